/**
 * `npm run bench:index`: how fast a node that starts on an existing chain catches up. It records
 * BENCH_INDEX_MILESTONES (10,000) milestones over a tenth as many consignments on a fresh anvil, then indexes them
 * from the deployment block into an empty LevelDB, BENCH_REPETITIONS (3) times, each on a fresh store. Reports
 * milestones per second (median, min, max) and writes bench/results/index.json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChainHistory } from "../server/chain/chainHistory";
import { ChainIndexer } from "../server/chain/chainIndexer";
import { LedgerIndex } from "../server/storage/ledgerIndex";
import { LedgerStore } from "../server/storage/ledgerStore";
import { createLogger } from "../server/telemetry/logger";
import { machine, round, summary } from "./benchStatistics";
import { runStandalone } from "./recordedHistory";
import type { RecordedHistory } from "./recordedHistory";

const MILESTONES = Number(process.env.BENCH_INDEX_MILESTONES ?? 10_000);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);

async function catchUpOnce(history: RecordedHistory): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "ledger-index-bench-"));
  const store = new LedgerStore(join(dir, "store"));
  try {
    await store.open();
    const index = new LedgerIndex(store);
    await index.load();
    const indexer = new ChainIndexer(new ChainHistory(history.provider, history.record), index, {
      confirmations: 0,
      pollMs: 1_000,
      logger: createLogger("silent"),
    });
    const started = process.hrtime.bigint();
    const indexed = await indexer.syncOnce();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (indexed !== history.milestones) {
      throw new Error(`indexed ${indexed} milestones, expected ${history.milestones}`);
    }
    return seconds;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureCatchUp(history: RecordedHistory) {
  const runs: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) {
    const seconds = await catchUpOnce(history);
    runs.push(seconds);
    console.log(`run ${r + 1}: ${history.milestones} milestones indexed from zero in ${seconds.toFixed(2)} s`);
  }
  const seconds = summary(runs);
  const perSecond = summary(runs.map((s) => history.milestones / s));
  const result = {
    benchmark: "indexer catch-up from the deployment block into an empty store",
    measuredAt: new Date().toISOString(),
    machine: machine(),
    milestones: history.milestones,
    consignments: history.consignments,
    seconds,
    milestonesPerSecond: { ...perSecond, median: round(history.milestones / seconds.median, 0) },
  };
  console.log(
    `median ${seconds.median} s (min ${seconds.min}, max ${seconds.max}): ${result.milestonesPerSecond.median} milestones/s`,
  );
  return result;
}

if (require.main === module) runStandalone("index", MILESTONES, measureCatchUp);
