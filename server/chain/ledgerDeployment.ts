/**
 * Deploying ConsignmentLedger and the deployment record (`deployments/<network>.json`) that every node, script and
 * auditor reads to find it.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { writeFileDurably } from "../storage/durableFile";
import { dirname } from "node:path";
import type { Signer } from "ethers";
import { ConsignmentLedger__factory } from "../../typechain-types";

export interface DeploymentRecord {
  network: string;
  chainId: number;
  address: string;
  deploymentBlock: number;
  deploymentTransaction: string;
  contractVersion: string;
  admin: string;
  deployedAt: string;
}

export interface DeployOptions {
  network: string;
  /** Holds the default admin, governor and pauser roles; in production a consortium multisig or timelock. */
  admin: string;
  /** Seconds a transfer of the default admin role must wait (OpenZeppelin AccessControlDefaultAdminRules). */
  adminTransferDelay: number;
}

export async function deployConsignmentLedger(deployer: Signer, options: DeployOptions): Promise<DeploymentRecord> {
  const ledger = await new ConsignmentLedger__factory(deployer).deploy(options.admin, options.adminTransferDelay);
  const tx = ledger.deploymentTransaction();
  if (!tx) throw new Error("the deployment returned no transaction");
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error(`the deployment transaction ${tx.hash} failed`);
  const network = await deployer.provider!.getNetwork();
  return {
    network: options.network,
    chainId: Number(network.chainId),
    address: await ledger.getAddress(),
    deploymentBlock: receipt.blockNumber,
    deploymentTransaction: tx.hash,
    contractVersion: await ledger.VERSION(),
    admin: options.admin,
    deployedAt: new Date().toISOString(),
  };
}

export function writeDeploymentRecord(path: string, record: DeploymentRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileDurably(path, JSON.stringify(record, null, 2) + "\n");
}

export function readDeploymentRecord(path: string): DeploymentRecord {
  return JSON.parse(readFileSync(path, "utf8")) as DeploymentRecord;
}
