/**
 * Deploys ConsignmentLedger to the selected network and writes deployments/<network>.json.
 *   npm run deploy -- --network localhost
 *   QBFT_RPC_URL=... QBFT_CHAIN_ID=... QBFT_DEPLOYER_KEY=... npm run deploy -- --network qbft
 * LEDGER_ADMIN names the admin (default: the deployer); LEDGER_ADMIN_TRANSFER_DELAY its transfer delay in seconds.
 */
import { join } from "node:path";
import hre from "hardhat";
import { deployConsignmentLedger, writeDeploymentRecord } from "../server/chain/ledgerDeployment";

async function main(): Promise<void> {
  if (hre.network.name === "qbft" && !process.env.QBFT_RPC_URL) {
    throw new Error(
      "QBFT_RPC_URL is not set: name the QBFT network's JSON-RPC URL (and QBFT_CHAIN_ID, QBFT_DEPLOYER_KEY)",
    );
  }
  const [deployer] = await hre.ethers.getSigners();
  if (!deployer)
    throw new Error(`network ${hre.network.name} has no deployer account (set QBFT_DEPLOYER_KEY for qbft)`);
  const record = await deployConsignmentLedger(deployer, {
    network: hre.network.name,
    admin: process.env.LEDGER_ADMIN ?? deployer.address,
    adminTransferDelay: Number(process.env.LEDGER_ADMIN_TRANSFER_DELAY ?? 0),
  });
  const path = join(__dirname, "..", "deployments", `${hre.network.name}.json`);
  writeDeploymentRecord(path, record);
  console.log(
    `ConsignmentLedger ${record.contractVersion} at ${record.address} on chain ${record.chainId}, block ${record.deploymentBlock}`,
  );
  console.log(`wrote ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
