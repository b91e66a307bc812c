/**
 * `npm run bench:scaling`: where ingest stops scaling. Four real node processes on one chain (the first launches
 * anvil at 1 s blocks; the others join it, each with its own relayer account), one aid organization on each. Then:
 *   - 1, 2 and 4 organizations posting at once through their own nodes (batches of 100);
 *   - one organization with request batches of 10, 100 and 1,000.
 * Each organization posts BENCH_SCALING_MILESTONES (2,000) milestones with 4 requests in flight; the figures are
 * milestones/s accepted (until the last 202) and recorded (until every outbox is empty), and p50/p95 seconds from
 * accepted to recorded over a sample of events. BENCH_REPETITIONS (3) runs each; medians, min, max. Writes
 * bench/results/scaling.json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ANVIL_CHAIN_ID, ANVIL_DEPLOYER_KEY, ANVIL_SECOND_RELAYER_KEY } from "../server/chain/localChain";
import { NodeClient, freePort } from "../test/support/nodeHarness";
import { runNode, stopNode } from "../test/support/nodeProcess";
import type { NodeProcess } from "../test/support/nodeProcess";
import { machine, quantile, round, summary, writeResult } from "./benchStatistics";

const MILESTONES = Number(process.env.BENCH_SCALING_MILESTONES ?? 2_000);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const IN_FLIGHT = 4;
const CONSIGNMENTS_PER_ORG = 50;
const SAMPLE = 100;
/** anvil's development accounts 2, 3 and 4: one relayer per joining node. */
const RELAYER_KEYS = [
  ANVIL_SECOND_RELAYER_KEY,
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
];

interface Poster {
  node: NodeProcess;
  api: NodeClient;
  token: string;
  consignments: string[];
}

interface RunFigures {
  acceptedPerSecond: number;
  recordedPerSecond: number;
  p50: number;
  p95: number;
}

async function startNodes(count: number, dirs: string[]): Promise<NodeProcess[]> {
  const common = { EMBEDDED_BLOCK_TIME: "1", LOG_LEVEL: "warn", KEYSTORE_SCRYPT_N: "1024" };
  const first = mkdtempSync(join(tmpdir(), "ledger-scaling-"));
  dirs.push(first);
  const chainPort = await freePort();
  const nodes = [
    await runNode({
      ...common,
      DATA_DIR: first,
      PORT: String(await freePort()),
      EMBEDDED_CHAIN_PORT: String(chainPort),
      DEPLOYMENT_FILE: join(first, "deployment.json"),
    }),
  ];
  for (let i = 1; i < count; i++) {
    const dir = mkdtempSync(join(tmpdir(), "ledger-scaling-"));
    dirs.push(dir);
    nodes.push(
      await runNode({
        ...common,
        DATA_DIR: dir,
        PORT: String(await freePort()),
        CHAIN_RPC_URL: `http://127.0.0.1:${chainPort}`,
        CHAIN_ID: String(ANVIL_CHAIN_ID),
        DEPLOYMENT_FILE: join(first, "deployment.json"),
        RELAYER_KEY: RELAYER_KEYS[i - 1],
        GOVERNOR_KEY: ANVIL_DEPLOYER_KEY,
        KEYSTORE_PASSPHRASE: "scaling benchmark passphrase",
      }),
    );
  }
  return nodes;
}

async function poster(node: NodeProcess, index: number): Promise<Poster> {
  const api = new NodeClient(node.url);
  const { token } = await api.member(node.bootstrapToken!, "AidOrganization", "KE", `Relief organization ${index}`);
  const consignments: string[] = [];
  for (let i = 0; i < CONSIGNMENTS_PER_ORG; i++) {
    const response = await api.post("/v1/consignments", token, {
      eventId: `reg-${i}`,
      reference: `SCALING-${index}-${i}`,
      originCountry: "KE",
      destinationCountry: "UG",
      location: "KEMBA",
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    if (response.status !== 202) throw new Error(response.text);
    consignments.push(response.body.consignmentId as string);
  }
  await api.settled(token, `reg-${CONSIGNMENTS_PER_ORG - 1}`, 120_000);
  return { node, api, token, consignments };
}

/** Posts MILESTONES milestones in batches of `batch`, IN_FLIGHT requests at a time; returns the event ids. */
async function post(p: Poster, prefix: string, batch: number): Promise<string[]> {
  const ids = Array.from({ length: MILESTONES }, (_, i) => `${prefix}-${i}`);
  let next = 0;
  const occurredAt = new Date(Date.now() - 60_000).toISOString();
  const worker = async () => {
    while (next < ids.length) {
      const chunk = ids.slice(next, (next += batch));
      const response = await p.api.post(`/v1/milestones:batch`, p.token, {
        milestones: chunk.map((eventId, i) => ({
          eventId,
          consignmentId: p.consignments[(next + i) % p.consignments.length],
          kind: "Incident",
          location: "KEMBA",
          occurredAt,
          payload: { eventId },
        })),
      });
      if (response.status !== 202) throw new Error(`${response.status} ${response.text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return ids;
}

async function drained(p: Poster, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await p.api.get("/readyz");
    const pending = (ready.body?.checks as { store?: { pending?: number } })?.store?.pending;
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${p.node.url} still has ${pending} pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Seconds from accepted to recorded for a sample of the events, from their lifecycle history. */
async function latencies(p: Poster, ids: string[]): Promise<number[]> {
  const step = Math.max(1, Math.floor(ids.length / SAMPLE));
  const seconds: number[] = [];
  for (let i = 0; i < ids.length; i += step) {
    const event = await p.api.get(`/v1/milestones/${ids[i]}`, p.token);
    const history = event.body.history as Array<{ state: string; at: string }>;
    const at = (state: string) => Date.parse(history.find((h) => h.state === state)!.at);
    seconds.push((at("recorded") - at("accepted")) / 1000);
  }
  return seconds;
}

async function run(posters: Poster[], batch: number, label: string): Promise<RunFigures> {
  const started = Date.now();
  const ids = await Promise.all(posters.map((p) => post(p, label, batch)));
  const acceptedAt = Date.now();
  await Promise.all(posters.map((p) => drained(p)));
  const recordedAt = Date.now();
  const total = posters.length * MILESTONES;
  const sample = (await Promise.all(posters.map((p, i) => latencies(p, ids[i])))).flat();
  return {
    acceptedPerSecond: total / ((acceptedAt - started) / 1000),
    recordedPerSecond: total / ((recordedAt - started) / 1000),
    p50: quantile(sample, 0.5),
    p95: quantile(sample, 0.95),
  };
}

function describe(runs: RunFigures[]) {
  return {
    acceptedPerSecond: summary(runs.map((r) => r.acceptedPerSecond)),
    recordedPerSecond: summary(runs.map((r) => r.recordedPerSecond)),
    acceptToRecordP50Seconds: summary(runs.map((r) => r.p50)),
    acceptToRecordP95Seconds: summary(runs.map((r) => r.p95)),
  };
}

async function main(): Promise<void> {
  const dirs: string[] = [];
  const nodes = await startNodes(4, dirs);
  try {
    const posters: Poster[] = [];
    for (const [i, node] of nodes.entries()) posters.push(await poster(node, i));
    const configurations = [
      { organizations: 1, batch: 100 },
      { organizations: 2, batch: 100 },
      { organizations: 4, batch: 100 },
      { organizations: 1, batch: 10 },
      { organizations: 1, batch: 1_000 },
    ];
    const rows = [];
    for (const [c, config] of configurations.entries()) {
      const runs: RunFigures[] = [];
      for (let r = 0; r < REPETITIONS; r++) {
        runs.push(await run(posters.slice(0, config.organizations), config.batch, `c${c}r${r}`));
      }
      const figures = describe(runs);
      rows.push({ ...config, ...figures });
      console.log(
        `${config.organizations} organization(s), batches of ${config.batch}: accepted ${figures.acceptedPerSecond.median}/s, ` +
          `recorded ${figures.recordedPerSecond.median}/s, accept->record p50 ${figures.acceptToRecordP50Seconds.median} s ` +
          `p95 ${figures.acceptToRecordP95Seconds.median} s`,
      );
    }
    const result = {
      benchmark: "ingest scaling: organizations posting at once through their own nodes, and request batch sizes",
      measuredAt: new Date().toISOString(),
      machine: machine(),
      settings: { milestonesPerOrganization: MILESTONES, requestsInFlight: IN_FLIGHT, blockTimeSeconds: 1 },
      rows,
    };
    console.table(
      rows.map((r) => ({
        organizations: r.organizations,
        batch: r.batch,
        "accepted/s": round(r.acceptedPerSecond.median, 0),
        "recorded/s": round(r.recordedPerSecond.median, 0),
        "p50 s": r.acceptToRecordP50Seconds.median,
        "p95 s": r.acceptToRecordP95Seconds.median,
      })),
    );
    console.log(`wrote ${writeResult("scaling", result)}`);
  } finally {
    for (const node of nodes.reverse()) await stopNode(node).catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
