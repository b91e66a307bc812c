/**
 * `npm run bench:audit`: how fast the audit CLI's check re-verifies milestones from chain logs alone. It records
 * BENCH_AUDIT_MILESTONES (10,000) milestones over a tenth as many consignments on a fresh anvil, then runs the
 * `--all` audit BENCH_REPETITIONS (3) times. Writes bench/results/audit.json. Goal: 10,000 in under 10 s.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { ANVIL_DEPLOYER_KEY, ANVIL_RELAYER_KEY, launchLocalChain, localProvider } from "../server/chain/localChain";
import { deployConsignmentLedger, writeDeploymentRecord } from "../server/chain/ledgerDeployment";
import { runAudit } from "../server/chain/audit";
import { ConsignmentLedger__factory } from "../typechain-types";
import { MilestoneKind, OrganizationKind } from "../server/domain/milestoneKinds";
import { toCountryBytes, toLocationBytes } from "../server/domain/locationCodes";
import { consignmentIdOf, referenceHashOf } from "../server/domain/consignmentId";
import { payloadHashOf } from "../server/domain/payloadHash";
import { signTypedData, toMilestoneTypedData, toRegistrationTypedData, typedDataDigest } from "../server/domain/eip712";
import { freePort } from "../test/support/nodeHarness";

const MILESTONES = Number(process.env.BENCH_AUDIT_MILESTONES ?? 10_000);
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const PER_CONSIGNMENT = 10; // registration plus nine milestones
const BATCH = 200;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ledger-audit-bench-"));
  const chain = await launchLocalChain({ dataDir: dir, port: await freePort() });
  const provider = localProvider(chain.rpcUrl, chain.chainId);
  try {
    const deployer = new Wallet(ANVIL_DEPLOYER_KEY, provider);
    const record = await deployConsignmentLedger(deployer, {
      network: "bench",
      admin: deployer.address,
      adminTransferDelay: 0,
    });
    const deploymentFile = join(dir, "deployment.json");
    writeDeploymentRecord(deploymentFile, record);
    const deployment = { chainId: record.chainId, address: record.address };
    const governed = ConsignmentLedger__factory.connect(record.address, deployer);
    const relayed = ConsignmentLedger__factory.connect(record.address, new Wallet(ANVIL_RELAYER_KEY, provider));
    const aid = new Wallet(Wallet.createRandom().privateKey);
    const carrier = new Wallet(Wallet.createRandom().privateKey);
    await (
      await governed.registerOrganization(
        OrganizationKind.AidOrganization,
        toCountryBytes("KE"),
        deployer.address,
        "Kenya Red Cross",
      )
    ).wait();
    await (
      await governed.registerOrganization(OrganizationKind.Carrier, toCountryBytes("KE"), deployer.address, "Haulage")
    ).wait();
    await (await governed.addSigner(1, aid.address)).wait();
    await (await governed.addSigner(2, carrier.address)).wait();

    const consignments = Math.ceil(MILESTONES / PER_CONSIGNMENT);
    const heads: string[] = [];
    const ids: string[] = [];
    const started = Date.now();
    for (let start = 0; start < consignments; start += BATCH) {
      const registrations = [];
      const signatures = [];
      for (let i = start; i < Math.min(consignments, start + BATCH); i++) {
        const r = {
          referenceHash: referenceHashOf(`BENCH-AUDIT-${i}`),
          consignor: 1,
          consignee: 0,
          originCountry: toCountryBytes("KE"),
          destinationCountry: toCountryBytes("UG"),
          flags: 1,
          location: toLocationBytes("KEMBA"),
          occurredAt: 1_790_000_000,
          payloadHash: payloadHashOf({ i }),
        };
        const typed = toRegistrationTypedData(deployment, r);
        registrations.push(r);
        signatures.push(await signTypedData(aid, typed));
        heads[i] = typedDataDigest(typed);
        ids[i] = consignmentIdOf(1, r.referenceHash);
      }
      await (await relayed.registerConsignments(registrations, signatures)).wait();
    }
    for (let round = 1; round < PER_CONSIGNMENT; round++) {
      for (let start = 0; start < consignments; start += BATCH) {
        const milestones = [];
        const signatures = [];
        for (let i = start; i < Math.min(consignments, start + BATCH); i++) {
          const m = {
            consignmentId: ids[i],
            kind: MilestoneKind.Incident,
            location: toLocationBytes("KEMBA"),
            occurredAt: 1_790_000_000 + round,
            payloadHash: payloadHashOf({ i, round }),
            prevHash: heads[i],
          };
          const typed = toMilestoneTypedData(deployment, m);
          milestones.push(m);
          signatures.push(await signTypedData(carrier, typed));
          heads[i] = typedDataDigest(typed);
        }
        await (await relayed.recordMilestones(milestones, signatures)).wait();
      }
    }
    console.log(
      `recorded ${consignments * PER_CONSIGNMENT} milestones over ${consignments} consignments in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    const runs = [];
    for (let r = 0; r < REPETITIONS; r++) {
      const report = await runAudit({ rpcUrl: chain.rpcUrl, deploymentFile, target: { all: true } });
      if (report.failed !== 0 || report.milestonesChecked !== consignments * PER_CONSIGNMENT) {
        throw new Error(
          `audit run ${r + 1} did not verify everything: ${report.failed} failed, ${report.milestonesChecked} checked`,
        );
      }
      runs.push(report.seconds);
      console.log(`run ${r + 1}: ${report.milestonesChecked} milestones re-verified in ${report.seconds.toFixed(2)} s`);
    }
    const sorted = [...runs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const result = {
      benchmark: "audit CLI (--all): milestones re-verified from chain logs",
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      milestones: consignments * PER_CONSIGNMENT,
      consignments,
      seconds: { median, min: sorted[0], max: sorted.at(-1), runs },
      milestonesPerSecond: Math.round((consignments * PER_CONSIGNMENT) / median),
      goal: { milestones: 10_000, seconds: 10 },
    };
    console.log(
      `median ${median.toFixed(2)} s (min ${sorted[0].toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)}): ${result.milestonesPerSecond} milestones/s`,
    );
    mkdirSync(join(__dirname, "results"), { recursive: true });
    writeFileSync(join(__dirname, "results", "audit.json"), JSON.stringify(result, null, 2) + "\n");
    console.log("wrote bench/results/audit.json");
  } finally {
    provider.destroy();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
