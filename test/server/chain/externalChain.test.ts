/**
 * The node on an external chain (CHAIN_RPC_URL): it launches nothing, uses the deployment file, relays with
 * RELAYER_KEY, and changes the consortium only when it holds GOVERNOR_KEY. The "external" chain here is an
 * anvil this test starts itself, standing in for a QBFT network.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { NodeClient, freePort, isoNow, startTestNode } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import {
  ANVIL_DEPLOYER_KEY,
  ANVIL_RELAYER_KEY,
  launchLocalChain,
  localProvider,
} from "../../../server/chain/localChain";
import type { LocalChain } from "../../../server/chain/localChain";
import { deployConsignmentLedger, writeDeploymentRecord } from "../../../server/chain/ledgerDeployment";
import { Governance } from "../../../server/chain/governance";
import { OrganizationKind } from "../../../server/domain/milestoneKinds";

describe("the node on an external chain", function () {
  this.timeout(120_000);
  let chainDir: string;
  let chain: LocalChain;
  let deploymentFile: string;
  const nodes: Array<{ node: RunningNode; dataDir: string }> = [];

  before(async function () {
    chainDir = mkdtempSync(join(tmpdir(), "external-chain-"));
    chain = await launchLocalChain({ dataDir: chainDir, port: await freePort() });
    const provider = localProvider(chain.rpcUrl, chain.chainId);
    const deployer = new Wallet(ANVIL_DEPLOYER_KEY, provider);
    const record = await deployConsignmentLedger(deployer, {
      network: "qbft-stand-in",
      admin: deployer.address,
      adminTransferDelay: 0,
    });
    deploymentFile = join(chainDir, "qbft.json");
    writeDeploymentRecord(deploymentFile, record);
    provider.destroy();
  });

  after(async function () {
    for (const { node, dataDir } of nodes) {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await chain.stop();
    rmSync(chainDir, { recursive: true, force: true });
  });

  async function externalNode(extra: Record<string, string>) {
    const dataDir = mkdtempSync(join(tmpdir(), "external-node-"));
    const node = await startTestNode({
      dataDir,
      env: {
        DATA_DIR: dataDir,
        PORT: "0",
        CHAIN_RPC_URL: chain.rpcUrl,
        CHAIN_ID: String(chain.chainId),
        DEPLOYMENT_FILE: deploymentFile,
        RELAYER_KEY: ANVIL_RELAYER_KEY,
        KEYSTORE_PASSPHRASE: "a long enough test passphrase",
        KEYSTORE_SCRYPT_N: "1024",
        LOG_LEVEL: "silent",
        BATCH_WAIT_MS: "20",
        ...extra,
      },
    });
    nodes.push({ node, dataDir });
    return { node, dataDir, api: new NodeClient(node.url), admin: node.bootstrapToken! };
  }

  it("launches no chain, and records through the external one with the governance key", async function () {
    const { node, dataDir, api, admin } = await externalNode({ GOVERNOR_KEY: ANVIL_DEPLOYER_KEY });
    expect(node.chain).to.equal(undefined);
    expect(existsSync(join(dataDir, "chain"))).to.equal(false);
    const aid = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    const response = await api.post("/v1/consignments", aid.token, {
      eventId: "external-1",
      reference: "KE2026REL-EXTERNAL",
      originCountry: "KE",
      destinationCountry: "UG",
      location: "KEMBA",
      occurredAt: isoNow(-5),
    });
    expect(response.status, response.text).to.equal(202);
    expect((await api.settled(aid.token, "external-1")).state).to.equal("recorded");
  });

  it("without the governance key, refuses to register organizations but hosts one the consortium registered", async function () {
    const { node, api, admin } = await externalNode({});
    const refused = await api.post("/v1/admin/organizations", admin, { kind: "Customs", country: "UG", name: "URA" });
    expect(refused.status).to.equal(422);
    expect(refused.body.error?.code).to.equal("GOVERNANCE_NOT_CONFIGURED");

    // The consortium registers the organization; the node hosts it and creates its key; governance adds the key.
    const governance = new Governance(node.deployment, new Wallet(ANVIL_DEPLOYER_KEY, node.client.provider));
    const id = await governance.registerOrganization(
      OrganizationKind.Customs,
      "UG",
      "0x0000000000000000000000000000000000000000",
      "URA",
    );
    const hosted = await api.post("/v1/admin/organizations", admin, {
      organizationId: id,
      name: "Uganda Revenue Authority",
    });
    expect(hosted.status, hosted.text).to.equal(201);
    expect(hosted.body).to.include({ id, kind: "Customs", country: "UG", signerAddedOnChain: false });
    const signer = (hosted.body.signers as Array<{ address: string }>)[0].address;
    expect(await node.client.readSignerKey(signer)).to.equal(undefined);
    await governance.addSigner(id, signer);
    expect((await node.client.readSignerKey(signer))?.organizationId).to.equal(id);
  });

  it("stops with one clear line naming CHAIN_ID when the chain says another id", async function () {
    const dataDir = mkdtempSync(join(tmpdir(), "external-node-"));
    try {
      await startTestNode({
        dataDir,
        env: {
          DATA_DIR: dataDir,
          PORT: "0",
          CHAIN_RPC_URL: chain.rpcUrl,
          CHAIN_ID: "999",
          DEPLOYMENT_FILE: deploymentFile,
          RELAYER_KEY: ANVIL_RELAYER_KEY,
          KEYSTORE_PASSPHRASE: "a long enough test passphrase",
          LOG_LEVEL: "silent",
        },
      });
      expect.fail("the node started on the wrong chain id");
    } catch (error) {
      expect((error as Error).message).to.match(/invalid setting CHAIN_ID: the chain at CHAIN_RPC_URL says 31337/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
