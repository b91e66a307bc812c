/**
 * `npm run bench:ingest`: the real node on its embedded chain at 1 s blocks, loaded with autocannon from a child
 * process (off the node's event loop).
 *   - milestones per second durably accepted through POST /v1/milestones:batch and through the single endpoint;
 *   - seconds from accepted to recorded (p50, p95), and whether the outbox drains.
 * Medians over REPETITIONS runs, with min and max. Writes bench/results/ingest.json.
 * Knobs: BENCH_REPETITIONS (3), BENCH_BATCH_ITEMS (100 per request), BENCH_BATCH_REQUESTS (40 per run),
 * BENCH_CONNECTIONS (8), BENCH_SINGLE_SECONDS (5), BENCH_PACED_RATE (50 milestones/s) and BENCH_PACED_SECONDS
 * (10) for the latency phase; the node's own settings (BATCH_SIZE, ...) apply too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../server/config";
import { startLedgerNode } from "../server/ledgerNode";
import type { RunningNode } from "../server/ledgerNode";
import { createLogger } from "../server/telemetry/logger";
import { NodeClient, freePort } from "../test/support/nodeHarness";
import { quantile, round, summary } from "./benchStatistics";
import { loadInChild } from "./loadGenerator";

const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const BATCH_ITEMS = Number(process.env.BENCH_BATCH_ITEMS ?? 100);
const BATCH_REQUESTS = Number(process.env.BENCH_BATCH_REQUESTS ?? 40);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SINGLE_SECONDS = Number(process.env.BENCH_SINGLE_SECONDS ?? 5);
/** The steady load under which accept-to-record latency is measured: below saturation, as in normal operation. */
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 50);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 10);
const CONSIGNMENTS = 200;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "ledger-bench-"));
  const env = {
    DATA_DIR: dataDir,
    PORT: "0",
    EMBEDDED_CHAIN_PORT: String(await freePort()),
    EMBEDDED_BLOCK_TIME: "1",
    DEPLOYMENT_FILE: join(dataDir, "deployment.json"),
    KEYSTORE_SCRYPT_N: "1024",
    LOG_LEVEL: "warn",
    ...pick(process.env, ["BATCH_SIZE", "BATCH_WAIT_MS"]),
  };
  const config = loadConfig(env);
  const node = await startLedgerNode(config, createLogger(config.logLevel));
  try {
    const api = new NodeClient(node.url);
    const admin = node.bootstrapToken!;
    const consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    const carrier = await api.member(admin, "Carrier", "KE", "Northern Corridor Haulage");
    const consignments = await registerConsignments(api, consignor.token);
    console.log(
      `registered ${consignments.length} consignments; batch size ${config.batchSize}, ${cpus().length} CPUs, Node ${process.version}`,
    );

    const runs = [];
    for (let r = 0; r < REPETITIONS; r++) {
      const paced = await loadSingleEndpoint(node, carrier.token, consignments, `p${r}`, {
        rate: PACED_RATE,
        seconds: PACED_SECONDS,
      });
      const pacedDrained = await waitForDrain(node, 180_000);
      const latency = await acceptToRecord(node, carrier.id, paced.eventIds);
      // Each burst starts on an empty outbox, so the submitter's draining does not slow the other endpoint's figure.
      const single = await loadSingleEndpoint(node, carrier.token, consignments, `s${r}`, { seconds: SINGLE_SECONDS });
      await waitForDrain(node, 300_000);
      const batch = await loadBatchEndpoint(node, carrier.token, consignments, r);
      const drained = await waitForDrain(node, 300_000);
      const burstLatency = await acceptToRecord(node, carrier.id, batch.eventIds);
      runs.push({
        batch,
        single,
        drained: { ...drained, drained: drained.drained && pacedDrained.drained },
        latency,
        burstLatency,
      });
      console.log(
        `run ${r + 1}: accept->record at ${PACED_RATE}/s p50 ${round(latency.p50)} s p95 ${round(latency.p95)} s; ` +
          `burst: batch ${round(batch.perSecond)} milestones/s accepted, single ${round(single.perSecond)}/s, ` +
          `recorded ${round(drained.recordedPerSecond)}/s, drained ${drained.drained}`,
      );
    }
    const result = {
      benchmark: "ingest throughput on the embedded chain (anvil, 1 s blocks)",
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      settings: {
        repetitions: REPETITIONS,
        batchItems: BATCH_ITEMS,
        batchRequests: BATCH_REQUESTS,
        connections: CONNECTIONS,
        submitterBatchSize: config.batchSize,
      },
      acceptedPerSecondBatchEndpoint: summary(runs.map((r) => r.batch.perSecond)),
      acceptedPerSecondSingleEndpoint: summary(runs.map((r) => r.single.perSecond)),
      recordedPerSecond: summary(runs.map((r) => r.drained.recordedPerSecond)),
      pacedRate: PACED_RATE,
      acceptToRecordSecondsP50: summary(runs.map((r) => r.latency.p50)),
      acceptToRecordSecondsP95: summary(runs.map((r) => r.latency.p95)),
      burstAcceptToRecordSecondsP95: summary(runs.map((r) => r.burstLatency.p95)),
      outboxDrained: runs.every((r) => r.drained.drained),
      non2xx: runs.reduce((n, r) => n + r.batch.non2xx + r.single.non2xx, 0),
    };
    console.table({
      "accepted/s, batch endpoint": result.acceptedPerSecondBatchEndpoint,
      "accepted/s, single endpoint": result.acceptedPerSecondSingleEndpoint,
      "recorded/s": result.recordedPerSecond,
      [`accept->record p50 (s) at ${PACED_RATE}/s`]: result.acceptToRecordSecondsP50,
      [`accept->record p95 (s) at ${PACED_RATE}/s`]: result.acceptToRecordSecondsP95,
      "accept->record p95 (s) after the burst": result.burstAcceptToRecordSecondsP95,
    });
    console.log(`outbox drained: ${result.outboxDrained}; non-2xx responses: ${result.non2xx}`);
    const dir = join(__dirname, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "ingest.json"), JSON.stringify(result, null, 2) + "\n");
    console.log("wrote bench/results/ingest.json");
  } finally {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function registerConsignments(api: NodeClient, token: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < CONSIGNMENTS; i++) {
    const response = await api.post("/v1/consignments", token, {
      eventId: `bench-registration-${i}`,
      reference: `BENCH-UCR-${i}`,
      originCountry: "KE",
      destinationCountry: "UG",
      location: "KEMBA",
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      payload: { packages: i },
    });
    if (response.status !== 202) throw new Error(response.text);
    ids.push(response.body.consignmentId as string);
  }
  await api.settled(token, `bench-registration-${CONSIGNMENTS - 1}`, 120_000);
  return ids;
}

async function loadBatchEndpoint(node: RunningNode, token: string, consignments: string[], run: number) {
  const prefix = `b${run}`;
  const result = await loadInChild({
    url: node.url,
    post: { token, consignments, prefix, batchItems: BATCH_ITEMS },
    connections: CONNECTIONS,
    amount: BATCH_REQUESTS,
  });
  const accepted = result.ok * BATCH_ITEMS;
  return {
    perSecond: accepted / (result.duration || 1),
    non2xx: result.non2xx,
    eventIds: Array.from({ length: result.eventsMade }, (_, i) => `${prefix}-${i}`),
  };
}

async function loadSingleEndpoint(
  node: RunningNode,
  token: string,
  consignments: string[],
  run: string,
  pace: { seconds: number; rate?: number },
) {
  const result = await loadInChild({
    url: node.url,
    post: { token, consignments, prefix: run },
    connections: pace.rate ? 2 : CONNECTIONS,
    seconds: pace.seconds,
    rate: pace.rate,
  });
  return {
    perSecond: result.ok / (result.duration || 1),
    non2xx: result.non2xx,
    eventIds: Array.from({ length: result.eventsMade }, (_, i) => `${run}-${i}`),
  };
}

async function waitForDrain(node: RunningNode, timeoutMs: number) {
  const started = Date.now();
  const pendingAtStart = node.store.pendingCount;
  while (node.store.pendingCount > 0 && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 100));
  const seconds = (Date.now() - started) / 1000;
  return {
    drained: node.store.pendingCount === 0,
    recordedPerSecond: pendingAtStart / Math.max(seconds, 0.001),
    seconds,
  };
}

async function acceptToRecord(node: RunningNode, organizationId: number, eventIds: string[]) {
  const latencies: number[] = [];
  for (const eventId of eventIds) {
    const event = await node.store.event(`${organizationId}/${eventId}`);
    const recorded = event?.history.find((h) => h.state === "recorded");
    if (event && recorded) latencies.push((Date.parse(recorded.at) - Date.parse(event.history[0].at)) / 1000);
  }
  return { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), count: latencies.length };
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]!]));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
