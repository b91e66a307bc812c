/**
 * A synthetic recorded history for the read benchmarks: a fresh anvil with the ledger deployed, two organizations,
 * and `milestones` milestones over a tenth as many consignments (a registration and nine Incidents each), sent in
 * batches of 200 straight to the contract.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import type { JsonRpcProvider } from "ethers";
import { ANVIL_DEPLOYER_KEY, ANVIL_RELAYER_KEY, launchLocalChain, localProvider } from "../server/chain/localChain";
import type { LocalChain } from "../server/chain/localChain";
import { deployConsignmentLedger, writeDeploymentRecord } from "../server/chain/ledgerDeployment";
import type { DeploymentRecord } from "../server/chain/ledgerDeployment";
import { ConsignmentLedger__factory } from "../typechain-types";
import { MilestoneKind, OrganizationKind } from "../server/domain/milestoneKinds";
import { toCountryBytes, toLocationBytes } from "../server/domain/locationCodes";
import { consignmentIdOf, referenceHashOf } from "../server/domain/consignmentId";
import { payloadHashOf } from "../server/domain/payloadHash";
import { milestoneDigestOf, registrationDigestOf, signDigest } from "../server/domain/eip712";
import { freePort } from "../test/support/nodeHarness";
import { writeResult } from "./benchStatistics";

const PER_CONSIGNMENT = 10; // registration plus nine milestones
const REGISTRATION_BATCH = 200;
const MILESTONE_BATCH = 500;
/** Sent with each batch, so the node does not simulate it first to estimate. */
const GAS_LIMIT = 28_000_000;

export interface RecordedHistory {
  dir: string;
  chain: LocalChain;
  provider: JsonRpcProvider;
  record: DeploymentRecord;
  deploymentFile: string;
  consignments: number;
  /** Their ids, in registration order. */
  consignmentIds: string[];
  milestones: number;
  stop(): Promise<void>;
}

export async function recordSyntheticHistory(milestones: number): Promise<RecordedHistory> {
  const dir = mkdtempSync(join(tmpdir(), "ledger-bench-"));
  const chain = await launchLocalChain({ dataDir: dir, port: await freePort() });
  const provider = localProvider(chain.rpcUrl, chain.chainId);
  const stop = async () => {
    provider.destroy();
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  };
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

    const consignments = Math.ceil(milestones / PER_CONSIGNMENT);
    const heads: string[] = [];
    const ids: string[] = [];
    const started = Date.now();
    for (let start = 0; start < consignments; start += REGISTRATION_BATCH) {
      const registrations = [];
      const signatures = [];
      for (let i = start; i < Math.min(consignments, start + REGISTRATION_BATCH); i++) {
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
        const digest = registrationDigestOf(deployment, r);
        registrations.push(r);
        signatures.push(signDigest(aid.privateKey, aid.address, digest));
        heads[i] = digest;
        ids[i] = consignmentIdOf(1, r.referenceHash);
      }
      await (await relayed.registerConsignments(registrations, signatures, { gasLimit: GAS_LIMIT })).wait();
    }
    for (let round = 1; round < PER_CONSIGNMENT; round++) {
      for (let start = 0; start < consignments; start += MILESTONE_BATCH) {
        const milestones = [];
        const signatures = [];
        for (let i = start; i < Math.min(consignments, start + MILESTONE_BATCH); i++) {
          const m = {
            consignmentId: ids[i],
            kind: MilestoneKind.Incident,
            location: toLocationBytes("KEMBA"),
            occurredAt: 1_790_000_000 + round,
            payloadHash: payloadHashOf({ i, round }),
            prevHash: heads[i],
          };
          const digest = milestoneDigestOf(deployment, m);
          milestones.push(m);
          signatures.push(signDigest(carrier.privateKey, carrier.address, digest));
          heads[i] = digest;
        }
        await (await relayed.recordMilestones(milestones, signatures, { gasLimit: GAS_LIMIT })).wait();
      }
    }
    console.log(
      `recorded ${consignments * PER_CONSIGNMENT} milestones over ${consignments} consignments in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    return {
      dir,
      chain,
      provider,
      record,
      deploymentFile,
      consignments,
      consignmentIds: ids,
      milestones: consignments * PER_CONSIGNMENT,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What each read benchmark does when run alone: record `milestones`, measure, write bench/results/<name>.json,
 * and stop the chain. `npm run bench` calls the measure functions itself, on one shared history.
 */
export function runStandalone(
  name: string,
  milestones: number,
  measure: (history: RecordedHistory) => Promise<unknown>,
): void {
  const run = async () => {
    const history = await recordSyntheticHistory(milestones);
    try {
      console.log(`wrote ${writeResult(name, await measure(history))}`);
    } finally {
      await history.stop();
    }
  };
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
