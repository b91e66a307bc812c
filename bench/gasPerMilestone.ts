/**
 * `npm run bench:gas`: gas used per recorded milestone for batches of 1, 10, 50 and 100, on existing consignments with
 * distinct ids, on Hardhat's in-process network; and, in the same network run, the same events through the
 * Ethereum Attestation Service (its real contracts from the npm package: `attest`, and `multiAttest` at the same
 * batch sizes, with a schema of the same fields) and through a naive baseline that stores each milestone struct in
 * its own transaction (bench/contracts/NaiveMilestoneStore.sol). Gas is deterministic, so repetitions only show
 * that it is. Writes bench/results/gas.json; exits non-zero when the ledger is over its budgets.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpus } from "node:os";
import { deployLedgerFixture } from "../test/support/ledgerFixture";
import type { Member } from "../test/support/ledgerFixture";
import { AbiCoder, ZeroAddress, ZeroHash, hexlify, randomBytes } from "ethers";
import { ethers } from "hardhat";
import { MilestoneKind } from "../server/domain/milestoneKinds";
import { toLocationBytes } from "../server/domain/locationCodes";
import { median } from "./benchStatistics";

const BATCH_SIZES = [1, 10, 50, 100];
const REPETITIONS = 3;
/** Budgets from the foundation issue. */
const BUDGET_PER_MILESTONE_AT_50 = 25_000;
const BUDGET_SINGLE_MILESTONE_TX = 60_000;
/** From the gas schedule, itemized in bench/README.md: ecrecover, head and status reads and writes, log, calldata. */
const FLOOR_PER_MILESTONE = 19_700;

type Fixture = Awaited<ReturnType<typeof deployLedgerFixture>>;

/** The milestone's signed fields, as an EAS schema. */
const EAS_SCHEMA =
  "bytes32 consignmentId,uint8 kind,bytes5 location,uint64 occurredAt,bytes32 payloadHash,bytes32 prevHash";
const EAS_FIELD_TYPES = ["bytes32", "uint8", "bytes5", "uint64", "bytes32", "bytes32"];
const EAS = "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol:EAS";
const SCHEMA_REGISTRY = "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol:SchemaRegistry";
/** The goal of the benchmarks issue: at least ten times cheaper than EAS per event at a batch of 50. */
const GOAL_EAS_RATIO_AT_50 = 10;

/** One milestone's fields, with a fresh consignment id and hashes (distinct, as in the ledger's batches). */
function milestoneFields(): [string, number, string, number, string, string] {
  const bytes32 = () => hexlify(randomBytes(32));
  return [bytes32(), MilestoneKind.Dispatched, toLocationBytes("KEMBA"), 1_790_000_000, bytes32(), bytes32()];
}

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint; status: number | null } | null> }>) {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error("transaction reverted");
  return Number(receipt.gasUsed);
}

/** EAS: deploy its registry and EAS itself, register the schema, then attest one by one and in batches. */
async function easGas(): Promise<{ attest: number; multiAttest: Record<number, number> }> {
  const registry = await (await ethers.getContractFactory(SCHEMA_REGISTRY)).deploy();
  const eas = await (await ethers.getContractFactory(EAS)).deploy(await registry.getAddress());
  const registered = await (await registry.getFunction("register")(EAS_SCHEMA, ZeroAddress, false)).wait();
  const schema = registered!.logs
    .map((l: { topics: string[]; data: string }) => registry.interface.parseLog(l))
    .find((e: { name: string } | null) => e?.name === "Registered")!.args.uid as string;
  const request = () => ({
    recipient: ZeroAddress,
    expirationTime: 0,
    revocable: false,
    refUID: ZeroHash,
    data: AbiCoder.defaultAbiCoder().encode(EAS_FIELD_TYPES, milestoneFields()),
    value: 0,
  });
  const single: number[] = [];
  for (let r = 0; r < REPETITIONS; r++)
    single.push(await gasOf(eas.getFunction("attest")({ schema, data: request() })));
  const multiAttest: Record<number, number> = {};
  for (const size of BATCH_SIZES) {
    const perTx: number[] = [];
    for (let r = 0; r < REPETITIONS; r++) {
      perTx.push(
        await gasOf(
          eas.getFunction("multiAttest")([{ schema, data: Array.from({ length: size }, request) }], {
            gasLimit: 90_000_000,
          }),
        ),
      );
    }
    multiAttest[size] = Math.round(median(perTx) / size);
  }
  return { attest: median(single), multiAttest };
}

/** The naive baseline: one transaction per event, the whole struct stored. */
async function naiveGas(): Promise<number> {
  const store = await (await ethers.getContractFactory("NaiveMilestoneStore")).deploy();
  const perTx: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) perTx.push(await gasOf(store.getFunction("store")(...milestoneFields())));
  return median(perTx);
}

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

  const eas = await easGas();
  const naive = await naiveGas();
  const comparison = main.map((r) => ({
    batchSize: r.batchSize,
    ledger: r.gasPerMilestone,
    easMultiAttest: eas.multiAttest[r.batchSize],
    easAttest: eas.attest,
    naive,
    easMultiAttestOverLedger: Number((eas.multiAttest[r.batchSize] / r.gasPerMilestone).toFixed(2)),
    easAttestOverLedger: Number((eas.attest / r.gasPerMilestone).toFixed(2)),
    naiveOverLedger: Number((naive / r.gasPerMilestone).toFixed(2)),
  }));
  const ratioAt50 = comparison.find((c) => c.batchSize === 50)!.easMultiAttestOverLedger;
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
    comparison: {
      description:
        "gas per event: the ledger's recordMilestones (signature checked on chain, relayed) against EAS 1.9.0 " +
        "(attest: one per transaction; multiAttest: the batch size in one transaction; attester = sender, " +
        "schema of the same six fields, not revocable) and a naive contract storing each struct in its own transaction",
      rows: comparison,
      goal: {
        description: "at least 10x cheaper than EAS per event at a batch of 50 (EAS multiAttest / ledger)",
        ratio: GOAL_EAS_RATIO_AT_50,
        measured: ratioAt50,
        met: ratioAt50 >= GOAL_EAS_RATIO_AT_50,
      },
    },
  };

  console.table(rows);
  console.table(comparison);
  console.log(
    `EAS multiAttest / ledger at a batch of 50: ${ratioAt50}x (goal ${GOAL_EAS_RATIO_AT_50}x: ${ratioAt50 >= GOAL_EAS_RATIO_AT_50 ? "met" : "NOT MET"})`,
  );
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
