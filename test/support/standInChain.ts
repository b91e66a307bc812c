/**
 * A chain outside the node, standing in for a QBFT network: an anvil the test launches (and can stop, kill and start
 * again from its persisted state) with the ledger deployed on it, and the settings a node needs to join it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { ANVIL_DEPLOYER_KEY, ANVIL_RELAYER_KEY, launchLocalChain, localProvider } from "../../server/chain/localChain";
import type { LocalChain, LocalChainOptions } from "../../server/chain/localChain";
import { deployConsignmentLedger, writeDeploymentRecord } from "../../server/chain/ledgerDeployment";
import { freePort } from "./nodeHarness";

export interface StandInChain {
  dir: string;
  port: number;
  chain: LocalChain;
  deploymentFile: string;
  /** Starts anvil again on the same port from the state it last persisted. */
  relaunch(options?: Partial<LocalChainOptions>): Promise<LocalChain>;
  /** The settings of a node that joins this chain with the relayer and governance keys. */
  nodeEnv(dataDir: string): Record<string, string>;
  remove(): Promise<void>;
}

export async function launchStandInChain(options: Partial<LocalChainOptions> = {}): Promise<StandInChain> {
  const dir = mkdtempSync(join(tmpdir(), "external-chain-"));
  const port = await freePort();
  const launch = (more: Partial<LocalChainOptions> = {}) =>
    launchLocalChain({ dataDir: dir, port, ...options, ...more });
  const standIn: StandInChain = {
    dir,
    port,
    chain: await launch(),
    deploymentFile: join(dir, "qbft.json"),
    async relaunch(more) {
      standIn.chain = await launch(more);
      return standIn.chain;
    },
    nodeEnv: (dataDir) => ({
      DATA_DIR: dataDir,
      CHAIN_RPC_URL: standIn.chain.rpcUrl,
      CHAIN_ID: String(standIn.chain.chainId),
      DEPLOYMENT_FILE: standIn.deploymentFile,
      RELAYER_KEY: ANVIL_RELAYER_KEY,
      GOVERNOR_KEY: ANVIL_DEPLOYER_KEY,
      KEYSTORE_PASSPHRASE: "a long enough test passphrase",
      KEYSTORE_SCRYPT_N: "1024",
    }),
    async remove() {
      await standIn.chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const provider = localProvider(standIn.chain.rpcUrl, standIn.chain.chainId);
  const deployer = new Wallet(ANVIL_DEPLOYER_KEY, provider);
  const record = await deployConsignmentLedger(deployer, {
    network: "qbft-stand-in",
    admin: deployer.address,
    adminTransferDelay: 0,
  });
  writeDeploymentRecord(standIn.deploymentFile, record);
  provider.destroy();
  return standIn;
}
