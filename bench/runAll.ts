/**
 * `npm run bench`: every benchmark, one after the other, on this machine:
 *   1. gas per event against EAS and a naive baseline (bench/gasPerMilestone.ts, Hardhat network);
 *   2. ingest throughput through the real node (bench/ingestThroughput.ts);
 *   3. reads: the verification API under load, with 10,000 milestones recorded (bench/readThroughput.ts);
 *   4. the audit CLI over 10,000 and 100,000 milestones (bench/auditThroughput.ts), and the index's catch-up;
 *   5. ingest scaling with 1, 2 and 4 organizations and request batches of 10, 100 and 1,000 (bench/ingestScaling.ts).
 * Writes bench/results/<timestamp>.json and bench/results/latest.json and prints a table with each goal met or
 * not. A benchmark that fails is reported as failed; the command itself never fails the build.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { machine, writeResult } from "./benchStatistics";
import { recordSyntheticHistory } from "./recordedHistory";
import { measureReads } from "./readThroughput";
import { measureCatchUp } from "./indexCatchUp";
import { measureAudit } from "./auditThroughput";

const ROOT = join(__dirname, "..");
const RESULTS = join(__dirname, "results");

type Summary = { median: number; min: number; max: number };
type Json = Record<string, unknown>;

/** Runs a benchmark script in its own process and reads the result file it writes. */
function child(command: string, args: string[], resultFile: string, env: Record<string, string> = {}): Promise<Json> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const process_ = spawn(command, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
    process_.once("exit", (code) => {
      try {
        const result = JSON.parse(readFileSync(join(RESULTS, resultFile), "utf8")) as Json;
        if (Date.parse(String(result.measuredAt)) < started) throw new Error(`${resultFile} is from an earlier run`);
        resolve(result);
      } catch (error) {
        reject(new Error(`${args.join(" ")} exited with ${code}: ${(error as Error).message}`));
      }
    });
  });
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T | { error: string }> {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  try {
    const result = await run();
    console.log(`=== ${name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s ===`);
    return result;
  } catch (error) {
    console.error(`=== ${name}: FAILED: ${(error as Error).message} ===`);
    return { error: (error as Error).message };
  }
}

const fmt = (s: Summary | undefined, digits = 0) =>
  s ? `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}, ${s.max.toFixed(digits)}]` : "failed";

function markdown(rows: Array<Record<string, unknown>>): string {
  if (!rows.length) return "";
  const keys = Object.keys(rows[0]);
  return [
    `| ${keys.join(" | ")} |`,
    `| ${keys.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${keys.map((k) => String(row[k] ?? "")).join(" | ")} |`),
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  const tsNode = [join(ROOT, "node_modules", ".bin", "ts-node"), "--transpile-only"];
  const gas = await step("1. gas per event (ledger, EAS, naive)", () =>
    child(join(ROOT, "node_modules", ".bin", "hardhat"), ["run", "bench/gasPerMilestone.ts"], "gas.json"),
  );
  const ingest = await step("2. ingest throughput", () =>
    child(tsNode[0], [tsNode[1], "bench/ingestThroughput.ts"], "ingest.json"),
  );
  const reads = await step("3. read and verify, and index catch-up (10,000 milestones)", async () => {
    const history = await recordSyntheticHistory(10_000);
    try {
      return {
        read: await measureReads(history),
        index: await measureCatchUp(history),
        audit10k: await measureAudit(history),
      };
    } finally {
      await history.stop();
    }
  });
  const audit100k = await step("4. audit of 100,000 milestones", async () => {
    const history = await recordSyntheticHistory(100_000);
    try {
      return await measureAudit(history);
    } finally {
      await history.stop();
    }
  });
  const scaling = await step("5. ingest scaling", () =>
    child(tsNode[0], [tsNode[1], "bench/ingestScaling.ts"], "scaling.json", {
      BENCH_SCALING_MILESTONES: process.env.BENCH_SCALING_MILESTONES ?? "1000",
    }),
  );

  const g = gas as Json & { comparison?: { rows: Json[]; goal: { measured: number; met: boolean } } };
  const i = ingest as Json & Record<string, Summary>;
  const r = reads as { read?: Json & Record<string, Json>; index?: Json; audit10k?: Json };
  const a = audit100k as Json & { seconds?: Summary; milestonesPerSecond?: number };
  const at50 = g.comparison?.rows.find((row) => row.batchSize === 50);
  const summaryAtRate = r.read?.summaryAtRate as { p99Ms: Summary; requestsPerSecond: Summary } | undefined;
  const rows = [
    {
      benchmark: "gas per event at a batch of 50: ledger / EAS multiAttest / naive",
      figure: at50 ? `${at50.ledger} / ${at50.easMultiAttest} / ${at50.naive}` : "failed",
      goal: "EAS >= 10x ledger",
      met: g.comparison ? `${g.comparison.goal.met ? "met" : "NOT MET"} (${g.comparison.goal.measured}x)` : "failed",
    },
    {
      benchmark: "ingest: milestones/s accepted, batch endpoint",
      figure: fmt(i.acceptedPerSecondBatchEndpoint),
      goal: ">= 3,000/s",
      met: i.acceptedPerSecondBatchEndpoint
        ? i.acceptedPerSecondBatchEndpoint.median >= 3000
          ? "met"
          : "NOT MET"
        : "failed",
    },
    {
      benchmark: "ingest: milestones/s accepted, single endpoint",
      figure: fmt(i.acceptedPerSecondSingleEndpoint),
      goal: "",
      met: "",
    },
    {
      benchmark: "ingest: milestones/s recorded end to end",
      figure: fmt(i.recordedPerSecond),
      goal: ">= 1,000/s",
      met: i.recordedPerSecond ? (i.recordedPerSecond.median >= 1000 ? "met" : "NOT MET") : "failed",
    },
    {
      benchmark: "ingest: accept->record s at 50/s, p50 / p95",
      figure: i.acceptToRecordSecondsP95
        ? `${fmt(i.acceptToRecordSecondsP50, 2)} / ${fmt(i.acceptToRecordSecondsP95, 2)}`
        : "failed",
      goal: "p95 < 3 s",
      met: i.acceptToRecordSecondsP95 ? (i.acceptToRecordSecondsP95.median < 3 ? "met" : "NOT MET") : "failed",
    },
    {
      benchmark: "ingest: accept->record s p95, tail of a 4,000 burst",
      figure: fmt(i.burstAcceptToRecordSecondsP95, 1),
      goal: "",
      met: "",
    },
    {
      benchmark: "read: history with verification, req/s (p50 / p99 ms)",
      figure: r.read
        ? `${fmt((r.read.history as Json).requestsPerSecond as Summary)} (${((r.read.history as Json).p50Ms as Summary).median} / ${((r.read.history as Json).p99Ms as Summary).median})`
        : "failed",
      goal: "",
      met: "",
    },
    {
      benchmark: "read: summary, req/s (p50 / p99 ms)",
      figure: r.read
        ? `${fmt((r.read.summary as Json).requestsPerSecond as Summary)} (${((r.read.summary as Json).p50Ms as Summary).median} / ${((r.read.summary as Json).p99Ms as Summary).median})`
        : "failed",
      goal: "",
      met: "",
    },
    {
      benchmark: "read: summary at 1,000 req/s, p99 ms",
      figure: summaryAtRate ? fmt(summaryAtRate.p99Ms) : "failed",
      goal: "< 10 ms",
      met: r.read ? ((r.read.goal as { met: boolean }).met ? "met" : "NOT MET") : "failed",
    },
    {
      benchmark: "audit: 10,000 milestones, s (milestones/s)",
      figure: r.audit10k
        ? `${fmt(r.audit10k.seconds as Summary, 2)} (${String(r.audit10k.milestonesPerSecond)})`
        : "failed",
      goal: "",
      met: "",
    },
    {
      benchmark: "audit: 100,000 milestones, s (milestones/s)",
      figure: a.seconds ? `${fmt(a.seconds, 1)} (${a.milestonesPerSecond})` : "failed",
      goal: "< 30 s",
      met: a.seconds ? (a.seconds.median < 30 ? "met" : "NOT MET") : "failed",
    },
    {
      benchmark: "index catch-up from zero, milestones/s",
      figure: r.index ? fmt(r.index.milestonesPerSecond as Summary) : "failed",
      goal: "",
      met: "",
    },
  ];
  const scalingRows = ((scaling as { rows?: Json[] }).rows ?? []).map((row) => ({
    organizations: row.organizations,
    batch: row.batch,
    "accepted/s": fmt(row.acceptedPerSecond as Summary),
    "recorded/s": fmt(row.recordedPerSecond as Summary),
    "accept->record p50 s": fmt(row.acceptToRecordP50Seconds as Summary, 2),
    "p95 s": fmt(row.acceptToRecordP95Seconds as Summary, 2),
  }));
  const measuredAt = new Date().toISOString();
  const result = {
    benchmark: "npm run bench: every benchmark in one run",
    measuredAt,
    machine: machine(),
    minutes: Number(((Date.now() - started) / 60_000).toFixed(1)),
    table: rows,
    scaling: scalingRows,
    results: { gas, ingest, read: r.read, index: r.index, audit10k: r.audit10k, audit100k, scaling },
  };
  const file = writeResult(measuredAt.replace(/[:.]/g, "-"), result);
  writeFileSync(join(RESULTS, "latest.json"), JSON.stringify(result, null, 2) + "\n");
  console.log(`\n${result.machine.cpus} CPUs, Node ${result.machine.node}, ${measuredAt}, ${result.minutes} min`);
  console.table(rows);
  console.table(scalingRows);
  console.log("\nAs a Markdown table:\n");
  console.log(markdown(rows));
  console.log(markdown(scalingRows));
  console.log(`wrote ${file} and bench/results/latest.json`);
}

main().catch((error: unknown) => {
  // The benchmark never fails the build; say what went wrong.
  console.error(error);
});
