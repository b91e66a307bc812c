/**
 * `npm run bench:read`: the verification API under load. It records BENCH_READ_MILESTONES (10,000) milestones over
 * a tenth as many consignments straight to a fresh anvil, starts a real node on that chain (its index catches up
 * first), and loads two endpoints with autocannon, each request for a random consignment:
 *   - GET /v1/consignments/:id/milestones (the whole history, every check);
 *   - GET /v1/consignments/:id (the summary, with the verdict);
 * flat out (BENCH_READ_CONNECTIONS, 10), and the summary at a fixed BENCH_READ_RATE (1,000) requests/s; autocannon
 * runs in a child process, off the node's event loop. Each
 * phase runs BENCH_REPETITIONS (3) times for BENCH_READ_SECONDS (5); medians with min and max. Writes
 * bench/results/read.json. Goal: summary p99 under 10 ms at 1,000 requests/s.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../server/config";
import { startLedgerNode } from "../server/ledgerNode";
import { ANVIL_RELAYER_KEY } from "../server/chain/localChain";
import { createLogger } from "../server/telemetry/logger";
import { freePort } from "../test/support/nodeHarness";
import { machine, summary } from "./benchStatistics";
import { runStandalone } from "./recordedHistory";
import type { RecordedHistory } from "./recordedHistory";
import { loadInChild } from "./loadGenerator";
import type { LoadResult } from "./loadGenerator";

const MILESTONES = Number(process.env.BENCH_READ_MILESTONES ?? 10_000);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_READ_CONNECTIONS ?? 10);
const RATE = Number(process.env.BENCH_READ_RATE ?? 1_000);
/**
 * autocannon paces each connection with its own timer, so all of them fire together: at a fixed rate, more
 * connections means larger simultaneous bursts rather than more clients. Five keep bursts near what independent
 * clients produce at this rate.
 */
const PACED_CONNECTIONS = Number(process.env.BENCH_READ_PACED_CONNECTIONS ?? 5);
const GOAL_P99_MS = 10;

type Phase = LoadResult;

function load(url: string, ids: string[], path: (id: string) => string, rate?: number): Promise<Phase> {
  return loadInChild({
    url,
    paths: ids.map(path),
    connections: rate ? PACED_CONNECTIONS : CONNECTIONS,
    seconds: SECONDS,
    rate,
  });
}

export async function measureReads(history: RecordedHistory) {
  const dataDir = mkdtempSync(join(tmpdir(), "ledger-read-bench-"));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    CHAIN_RPC_URL: history.chain.rpcUrl,
    CHAIN_ID: String(history.chain.chainId),
    DEPLOYMENT_FILE: history.deploymentFile,
    RELAYER_KEY: ANVIL_RELAYER_KEY,
    KEYSTORE_PASSPHRASE: "read benchmark passphrase",
    PUBLIC_REQUESTS_PER_MINUTE: "100000000",
    LOG_LEVEL: "silent",
  });
  const node = await startLedgerNode(config, createLogger("silent"));
  try {
    const indexStarted = Date.now();
    const latest = await node.client.blockNumber();
    while ((node.index.cursor?.blockNumber ?? -1) < latest) await node.indexer.syncOnce();
    console.log(
      `the node indexed ${history.milestones} milestones in ${((Date.now() - indexStarted) / 1000).toFixed(1)} s`,
    );

    const ids = history.consignmentIds;
    const probe = await fetch(`${node.url}/v1/consignments/${ids[0]}`);
    const verdict = ((await probe.json()) as { verdict?: string }).verdict;
    if (verdict !== "verified") throw new Error(`the summary of ${ids[0]} is ${probe.status} ${verdict}`);

    const phases = {
      history: [] as Phase[],
      summary: [] as Phase[],
      summaryAtRate: [] as Phase[],
    };
    for (let r = 0; r < REPETITIONS; r++) {
      phases.history.push(await load(node.url, ids, (id) => `/v1/consignments/${id}/milestones`));
      phases.summary.push(await load(node.url, ids, (id) => `/v1/consignments/${id}`));
      phases.summaryAtRate.push(await load(node.url, ids, (id) => `/v1/consignments/${id}`, RATE));
      console.log(
        `run ${r + 1}: history ${phases.history[r].requestsPerSecond} req/s (p99 ${phases.history[r].p99} ms); ` +
          `summary ${phases.summary[r].requestsPerSecond} req/s (p99 ${phases.summary[r].p99} ms); ` +
          `summary at ${RATE}/s: p50 ${phases.summaryAtRate[r].p50} ms, p99 ${phases.summaryAtRate[r].p99} ms`,
      );
    }
    const describe = (runs: Phase[]) => ({
      requestsPerSecond: summary(runs.map((p) => p.requestsPerSecond)),
      p50Ms: summary(runs.map((p) => p.p50)),
      p99Ms: summary(runs.map((p) => p.p99)),
      non2xx: runs.reduce((n, p) => n + p.non2xx, 0),
    });
    const atRate = describe(phases.summaryAtRate);
    const result = {
      benchmark: "verification API under autocannon load (random consignment per request)",
      measuredAt: new Date().toISOString(),
      machine: machine(),
      milestones: history.milestones,
      consignments: history.consignments,
      seconds: SECONDS,
      connections: CONNECTIONS,
      history: describe(phases.history),
      summary: describe(phases.summary),
      summaryAtRate: { rate: RATE, ...atRate },
      goal: {
        description: `summary p99 under ${GOAL_P99_MS} ms at ${RATE} requests/s`,
        measuredP99Ms: atRate.p99Ms.median,
        achievedRate: atRate.requestsPerSecond.median,
        met: atRate.p99Ms.median < GOAL_P99_MS && atRate.requestsPerSecond.median >= RATE * 0.95 && atRate.non2xx === 0,
      },
    };
    console.log(`goal (${result.goal.description}): ${result.goal.met ? "met" : "NOT MET"}`);
    return result;
  } finally {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone("read", MILESTONES, measureReads);
