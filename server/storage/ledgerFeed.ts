/**
 * The numbered feed of changes that SSE clients, webhooks and the document fetcher follow: milestones the index saw
 * on chain, and the lifecycle of this node's own events. Entries are committed in the same batch as the change they
 * announce, and one batch at a time, so numbers become visible in order: a consumer that has read entry n never
 * finds an n-1 appearing later.
 */
import type { FeedEntry, UnnumberedEntry } from "../domain/feedEntries";
import type { StoreGuard, Sub } from "./ledgerStore";

export interface FeedBatch {
  put(key: string, value: unknown, options: { sublevel: Sub<never> }): unknown;
  write(options: { sync: boolean }): Promise<void>;
}

const feedKey = (seq: number) => String(seq).padStart(16, "0");

export class LedgerFeed {
  private seq = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(entries: FeedEntry[]) => void>();

  constructor(
    private readonly entries: Sub<FeedEntry>,
    private readonly guard: StoreGuard,
  ) {}

  /** The last number used: from the entries themselves, so it can never fall behind them. */
  async load(): Promise<void> {
    const [last] = await this.guard("read the feed", () => this.entries.keys({ reverse: true, limit: 1 }).all());
    this.seq = last ? Number(last) : 0;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Numbers `unnumbered`, adds them to `batch` and writes it, one commit at a time; then tells the listeners. */
  commit(what: string, batch: FeedBatch, unnumbered: readonly UnnumberedEntry[]): Promise<FeedEntry[]> {
    const run = this.tail.then(async () => {
      const numbered = unnumbered.map((e, i) => ({ ...e, seq: this.seq + 1 + i }) as FeedEntry);
      for (const entry of numbered) {
        batch.put(feedKey(entry.seq), entry, { sublevel: this.entries as unknown as Sub<never> });
      }
      await this.guard(what, () => batch.write({ sync: true }));
      this.seq += numbered.length;
      return numbered;
    });
    this.tail = run.catch(() => undefined);
    return run.then((numbered) => {
      if (numbered.length) for (const listener of this.listeners) listener(numbered);
      return numbered;
    });
  }

  onAppended(listener: (entries: FeedEntry[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async after(seq: number, limit: number): Promise<FeedEntry[]> {
    return this.guard("read the feed", () => this.entries.values({ gt: feedKey(seq), limit }).all());
  }
}
