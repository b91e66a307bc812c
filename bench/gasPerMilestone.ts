/**
 * `npm run bench:gas`: gas used per recorded milestone for batches of 1, 10, 50 and 100, on existing consignments with
 * distinct ids, on Hardhat's in-process network. Gas is deterministic, so repetitions only show that it is.
 * Writes bench/results/gas.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpus } from "node:os";
import { deployLedgerFixture } from "../test/support/ledgerFixture";
import type { Member } from "../test/support/ledgerFixture";
import { MilestoneKind } from "../server/domain/milestoneKinds";
import { median } from "./benchStatistics";

const BATCH_SIZES = [1, 10, 50, 100];
const REPETITIONS = 3;
/** Budgets from the foundation issue. */
const BUDGET_PER_MILESTONE_AT_50 = 25_000;
const BUDGET_SINGLE_MILESTONE_TX = 60_000;
/** ecrecover 3,000 + calldata ~4,800 + one cold head update 5,000 + log ~3,100 + two cold reads 4,200. */
const FLOOR_PER_MILESTONE = 20_100;

type Fixture = Awaited<ReturnType<typeof deployLedgerFixture>>;

async function registerMany(fx: Fixture, count: number): Promise<string[]> {
  const ids: string[] = [];
  const chunk = 50;
  for (let start = 0; start < count; start += chunk) {
    const signed = await Promise.all(
      Array.from({ length: Math.min(chunk, count - start) }, () =>
        fx.scenario.signedRegistration({ consignor: fx.members.consignor, consigneeId: fx.members.consignee.id }),
      ),
    );
    await (
      await fx.scenario.ledger.registerConsignments(
        signed.map((s) => s.registration),
        signed.map((s) => s.signature),
      )
    ).wait();
    ids.push(...signed.map((s) => s.consignmentId));
  }
  return ids;
}

/** One batch on `ids`, each milestone signed by `signers[i % signers.length]`; returns gas used by the transaction. */
async function recordBatch(fx: Fixture, ids: string[], signers: Member[]): Promise<bigint> {
  const signed = await Promise.all(
    ids.map((id, i) =>
      fx.scenario.signedMilestone(signers[i % signers.length].signer, id, MilestoneKind.Dispatched, "KEMBA"),
    ),
  );
  const tx = await fx.scenario.ledger.recordMilestones(
    signed.map((s) => s.milestone),
    signed.map((s) => s.signature),
  );
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error("batch reverted");
  return receipt.gasUsed;
}

async function main(): Promise<void> {
  const fx = await deployLedgerFixture();
  const needed = REPETITIONS * BATCH_SIZES.reduce((a, b) => a + b, 0) * 2;
  const ids = await registerMany(fx, needed);
  let next = 0;
  const take = (n: number): string[] => ids.slice(next, (next += n));

  const scenarios: Array<{ name: string; signers: Member[] }> = [
    { name: "one carrier key", signers: [fx.members.carrier] },
    { name: "two keys of two organizations", signers: [fx.members.carrier, fx.members.consignor] },
  ];
  const rows = [];
  for (const scenario of scenarios) {
    for (const size of BATCH_SIZES) {
      const perTx: number[] = [];
      for (let r = 0; r < REPETITIONS; r++) perTx.push(Number(await recordBatch(fx, take(size), scenario.signers)));
      const txGas = median(perTx);
      rows.push({
        signers: scenario.name,
        batchSize: size,
        txGasMedian: txGas,
        txGasMin: Math.min(...perTx),
        txGasMax: Math.max(...perTx),
        gasPerMilestone: Math.round(txGas / size),
      });
    }
  }

  const main = rows.filter((r) => r.signers === scenarios[0].name);
  const at50 = main.find((r) => r.batchSize === 50)!.gasPerMilestone;
  const single = main.find((r) => r.batchSize === 1)!.txGasMedian;
  const result = {
    benchmark: "gas per recorded milestone (recordMilestones, Dispatched, existing consignments with distinct ids)",
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    repetitions: REPETITIONS,
    floorPerMilestone: FLOOR_PER_MILESTONE,
    budgets: {
      perMilestoneAtBatch50: {
        budget: BUDGET_PER_MILESTONE_AT_50,
        measured: at50,
        within: at50 <= BUDGET_PER_MILESTONE_AT_50,
      },
      singleMilestoneTransaction: {
        budget: BUDGET_SINGLE_MILESTONE_TX,
        measured: single,
        within: single <= BUDGET_SINGLE_MILESTONE_TX,
      },
    },
    rows,
  };

  console.table(rows);
  console.log(
    `batch of 50: ${at50} gas per milestone (budget ${BUDGET_PER_MILESTONE_AT_50}, floor ~${FLOOR_PER_MILESTONE}, ${((at50 / FLOOR_PER_MILESTONE) * 100).toFixed(0)}% of floor)`,
  );
  console.log(`single-milestone transaction: ${single} gas (budget ${BUDGET_SINGLE_MILESTONE_TX})`);
  const dir = join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "gas.json"), JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${join("bench", "results", "gas.json")}`);
  if (!result.budgets.perMilestoneAtBatch50.within || !result.budgets.singleMilestoneTransaction.within) {
    console.error("OVER BUDGET");
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
