/**
 * `npm run bench:audit`: how fast the audit CLI's check re-verifies milestones from chain logs alone. It records
 * BENCH_AUDIT_MILESTONES (10,000) milestones over a tenth as many consignments on a fresh anvil, then runs the
 * `--all` audit BENCH_REPETITIONS (3) times. Writes bench/results/audit.json. Goal: 10,000 in under 10 s.
 */
import { runAudit } from "../server/chain/audit";
import { runStandalone } from "./recordedHistory";
import type { RecordedHistory } from "./recordedHistory";
import { machine, summary } from "./benchStatistics";

const MILESTONES = Number(process.env.BENCH_AUDIT_MILESTONES ?? 10_000);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);

export async function measureAudit(history: RecordedHistory) {
  const { chain, deploymentFile, consignments } = history;
  const runs: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) {
    const report = await runAudit({ rpcUrl: chain.rpcUrl, deploymentFile, target: { all: true } });
    if (report.failed !== 0 || report.milestonesChecked !== history.milestones) {
      throw new Error(
        `audit run ${r + 1} did not verify everything: ${report.failed} failed, ${report.milestonesChecked} checked`,
      );
    }
    runs.push(report.seconds);
    console.log(`run ${r + 1}: ${report.milestonesChecked} milestones re-verified in ${report.seconds.toFixed(2)} s`);
  }
  const seconds = summary(runs);
  const result = {
    benchmark: "audit CLI (--all): milestones re-verified from chain logs",
    measuredAt: new Date().toISOString(),
    machine: machine(),
    milestones: history.milestones,
    consignments,
    seconds,
    milestonesPerSecond: Math.round(history.milestones / seconds.median),
    goal: { milestones: 10_000, seconds: 10 },
  };
  console.log(
    `median ${seconds.median} s (min ${seconds.min}, max ${seconds.max}): ${result.milestonesPerSecond} milestones/s`,
  );
  return result;
}

if (require.main === module) runStandalone("audit", MILESTONES, measureAudit);
