/**
 * Work a node does in the background, one pass at a time: after each pass it asks when to wake next, a change can
 * wake it early, and stopping waits for the pass under way. The indexer, the document fetcher and the webhook
 * dispatcher run on it.
 */
export interface BackgroundPass<T = void> {
  /** One pass over the work. */
  run(): Promise<T>;
  /** Milliseconds until the next pass, asked after each one. */
  nextWakeMs(): Promise<number>;
  /** A pass failed; the loop goes on. */
  failed(error: unknown): void;
}

export class BackgroundWork<T = void> {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> = Promise.resolve();

  constructor(private readonly pass: BackgroundPass<T>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Run a pass now rather than at the next wake. */
  wake(): void {
    this.schedule(0);
  }

  /** One pass, after the one under way; for callers that need its result. */
  runOnce(): Promise<T> {
    const run = this.current.catch(() => undefined).then(() => this.pass.run());
    this.current = run;
    return run;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.runOnce()
        .catch((error: unknown) => this.pass.failed(error))
        .then(() => this.pass.nextWakeMs())
        .catch(() => 1_000)
        .then((next) => this.schedule(next));
    }, ms);
  }
}
