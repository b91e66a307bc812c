/**
 * Follows the contract's logs from its deployment block into the LedgerIndex: every organization's milestones, not
 * only this node's. It indexes up to `confirmations` blocks behind the chain's tip, keeps its cursor in the same
 * batch as what it indexed (so a restart neither skips nor repeats), and notices a reorganisation when the block
 * under its cursor changed hash: it then rolls back to the newest block both agree on and indexes forward again.
 */
import type { Logger } from "pino";
import type { LedgerMetrics } from "../telemetry/metrics";
import type { IndexCursor, LedgerIndex } from "../storage/ledgerIndex";
import type { ChainHistory } from "./chainHistory";
import { BackgroundWork } from "../backgroundWork";

export interface IndexerOptions {
  confirmations: number;
  pollMs: number;
  /** Blocks per eth_getLogs call while catching up. */
  chunkBlocks?: number;
  logger: Logger;
  metrics?: LedgerMetrics;
}

export interface IndexerStatus {
  running: boolean;
  cursor?: IndexCursor;
  chainBlock?: number;
  lagBlocks?: number;
  lastError?: string;
  lastSyncedAt?: string;
}

export class ChainIndexer {
  private readonly work: BackgroundWork<number>;
  private chainBlock: number | undefined;
  private lastError: string | undefined;
  private lastSyncedAt: string | undefined;

  constructor(
    private readonly history: ChainHistory,
    private readonly index: LedgerIndex,
    private readonly options: IndexerOptions,
  ) {
    this.work = new BackgroundWork({
      run: async () => {
        const indexed = await this.sync();
        this.lastError = undefined;
        return indexed;
      },
      nextWakeMs: async () => this.options.pollMs,
      failed: (error) => {
        const message = (error as Error)?.message ?? String(error);
        if (message !== this.lastError) this.options.logger.warn({ err: error }, "indexing failed; retrying");
        this.lastError = message;
      },
    });
  }

  start(): void {
    this.work.start();
  }

  async stop(): Promise<void> {
    await this.work.stop();
  }

  /** Index now rather than at the next poll (the submitter just recorded something). */
  poke(): void {
    this.work.wake();
  }

  status(): IndexerStatus {
    const cursor = this.index.cursor;
    return {
      running: this.work.isRunning,
      cursor,
      chainBlock: this.chainBlock,
      lagBlocks:
        this.chainBlock !== undefined && cursor ? Math.max(0, this.chainBlock - cursor.blockNumber) : undefined,
      lastError: this.lastError,
      lastSyncedAt: this.lastSyncedAt,
    };
  }

  /** Indexes everything up to the confirmed tip; returns the milestones indexed. One run at a time. */
  syncOnce(): Promise<number> {
    return this.work.runOnce();
  }

  private async sync(): Promise<number> {
    const latest = await this.history.latestBlock();
    this.chainBlock = latest;
    let cursor = this.index.cursor ?? { blockNumber: this.history.deployment.deploymentBlock - 1 };
    if (cursor.blockHash) {
      const hash = cursor.blockNumber <= latest ? await this.history.blockHash(cursor.blockNumber) : undefined;
      if (hash !== cursor.blockHash) cursor = await this.recover(cursor, latest);
    }
    const target = latest - this.options.confirmations;
    const chunk = this.options.chunkBlocks ?? 2_000;
    let indexed = 0;
    while (cursor.blockNumber < target) {
      const to = Math.min(target, cursor.blockNumber + chunk);
      const records = await this.history.recordsBetween(cursor.blockNumber + 1, to);
      const blockHash = await this.history.blockHash(to);
      const entries = await this.index.apply(records, { blockNumber: to, blockHash });
      const milestones = entries.filter((e) => e.type === "milestone.recorded").length;
      indexed += milestones;
      this.options.metrics?.indexedMilestones.inc(milestones);
      this.options.metrics?.indexedBlock.set(to);
      cursor = this.index.cursor!;
    }
    this.lastSyncedAt = new Date().toISOString();
    return indexed;
  }

  /** The chain replaced blocks the index holds: roll back to the newest block both still agree on. */
  private async recover(cursor: IndexCursor, latest: number): Promise<IndexCursor> {
    this.history.forgetCaches(true);
    this.options.metrics?.reorganisations.inc();
    for (const checkpoint of await this.index.checkpointsDescending()) {
      if (checkpoint.blockNumber > latest || checkpoint.blockNumber >= cursor.blockNumber) continue;
      if ((await this.history.blockHash(checkpoint.blockNumber)) !== checkpoint.blockHash) continue;
      const { ok, retracted } = await this.index.rollBack(checkpoint);
      if (!ok) break;
      this.options.logger.warn(
        { from: cursor.blockNumber, to: checkpoint.blockNumber, retracted: retracted.length },
        "the chain reorganised: rolled the index back to the fork point",
      );
      return checkpoint;
    }
    this.options.logger.warn(
      { from: cursor.blockNumber },
      "the chain no longer holds the indexed blocks and no fork point is known: indexing again from the deployment",
    );
    await this.index.reset();
    return { blockNumber: this.history.deployment.deploymentBlock - 1 };
  }
}
