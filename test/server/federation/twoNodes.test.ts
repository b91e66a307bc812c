/**
 * Two administrations, two node processes, one chain: Kenya's node A (export customs and the consignor) launches
 * the chain; Uganda's node B (import customs, and an unrelated Tanzanian organization) joins it as an external
 * chain, with its own data directory, keys and relayer. What A records, B indexes, fetches the documents of from A
 * as a peer, and verifies exactly as A does; a B that was down catches up on everything.
 */
import { expect } from "chai";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { NodeClient, freePort, isoNow, removeDataDir, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import { runNode, stopNode } from "../../support/nodeProcess";
import type { NodeProcess } from "../../support/nodeProcess";
import { ANVIL_CHAIN_ID, ANVIL_DEPLOYER_KEY, ANVIL_SECOND_RELAYER_KEY } from "../../../server/chain/localChain";

type Milestones = Array<{ id: string; payloadHash: string; kind: string; chain: { blockNumber: number } }>;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("two nodes, one chain (federation)", function () {
  this.timeout(300_000);
  let envA: TestNodeEnvironment;
  let envB: TestNodeEnvironment;
  let nodeA: NodeProcess | undefined;
  let nodeB: NodeProcess | undefined;
  let a: NodeClient;
  let b: NodeClient;
  let provider: JsonRpcProvider;
  let kenyaCustoms: { id: number; token: string };
  let consignor: { id: number; token: string };
  let ugandaCustoms: { id: number; token: string };
  let unrelated: { id: number; token: string };
  let consignmentId: string;

  before(async function () {
    const [portA, portB] = [await freePort(), await freePort()];
    envA = await testNodeEnvironment({
      EMBEDDED_BLOCK_TIME: "1",
      PORT: String(portA),
      PUBLIC_BASE_URL: `http://127.0.0.1:${portA}`,
      INDEX_POLL_MS: "200",
      PEER_RETRY_MAX_MS: "1000",
      LOG_LEVEL: "warn",
    });
    nodeA = await runNode(envA.env);
    envB = await testNodeEnvironment({
      PORT: String(portB),
      PUBLIC_BASE_URL: `http://127.0.0.1:${portB}`,
      CHAIN_RPC_URL: `http://127.0.0.1:${envA.env.EMBEDDED_CHAIN_PORT}`,
      CHAIN_ID: String(ANVIL_CHAIN_ID),
      DEPLOYMENT_FILE: join(envA.dataDir, "deployments", "local.json"),
      RELAYER_KEY: ANVIL_SECOND_RELAYER_KEY,
      GOVERNOR_KEY: ANVIL_DEPLOYER_KEY,
      KEYSTORE_PASSPHRASE: "uganda node passphrase",
      INDEX_POLL_MS: "200",
      PEER_RETRY_MAX_MS: "1000",
      LOG_LEVEL: "warn",
    });
    nodeB = await runNode(envB.env);
    a = new NodeClient(nodeA.url);
    b = new NodeClient(nodeB.url);
    provider = new JsonRpcProvider(`http://127.0.0.1:${envA.env.EMBEDDED_CHAIN_PORT}`, ANVIL_CHAIN_ID, {
      staticNetwork: true,
    });

    kenyaCustoms = await a.member(nodeA.bootstrapToken!, "Customs", "KE", "Kenya Revenue Authority");
    consignor = await a.member(nodeA.bootstrapToken!, "AidOrganization", "KE", "Kenya Red Cross");
    ugandaCustoms = await b.member(nodeB.bootstrapToken!, "Customs", "UG", "Uganda Revenue Authority", "reader");
    unrelated = await b.member(nodeB.bootstrapToken!, "AidOrganization", "TZ", "Tanzania Relief", "reader");

    const registered = await a.post("/v1/consignments", consignor.token, {
      eventId: "reg",
      reference: "KE2026REL-FEDERATION",
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true },
      location: "KEMBA",
      occurredAt: isoNow(-600),
      payload: { packages: 80, hsCodes: ["3004.90"] },
    });
    expect(registered.status, registered.text).to.equal(202);
    consignmentId = registered.body.consignmentId as string;
    await a.settled(consignor.token, "reg");
  });

  after(async function () {
    if (nodeB) await stopNode(nodeB);
    if (nodeA) await stopNode(nodeA);
    provider?.destroy();
    removeDataDir(envB);
    removeDataDir(envA);
  });

  const milestonesAt = async (client: NodeClient, token: string) => {
    const response = await client.get(`/v1/milestones?consignment=${consignmentId}&limit=1000`, token);
    expect(response.status, response.text).to.equal(200);
    return response.body.milestones as Milestones;
  };

  it("publishes each node's endpoint on chain, for every organization it hosts", async function () {
    const directory = await waitFor("both endpoints in the directory", async () => {
      const orgs = (await b.get("/v1/organizations")).body.organizations as Array<{ id: number; endpoint: string }>;
      const endpoint = (id: number) => orgs.find((o) => o.id === id)?.endpoint;
      return endpoint(kenyaCustoms.id) && endpoint(ugandaCustoms.id) ? orgs : undefined;
    });
    expect(directory.find((o) => o.id === kenyaCustoms.id)!.endpoint).to.equal(nodeA!.url);
    expect(directory.find((o) => o.id === ugandaCustoms.id)!.endpoint).to.equal(nodeB!.url);
  });

  it("shows a milestone posted at A in B's index within two blocks, and B verifies it as A does", async function () {
    const started = Date.now();
    const posted = await a.post(`/v1/consignments/${consignmentId}/milestones`, kenyaCustoms.token, {
      eventId: "export",
      kind: "ExportCleared",
      location: "KEMAL",
      occurredAt: isoNow(-60),
      payload: { declaration: "KE-EX-2026-77", seals: ["KRA-1182"] },
    });
    expect(posted.status, posted.text).to.equal(202);
    const payloadHash = posted.body.payloadHash as string;
    const seenAtB = await waitFor("the milestone at B", async () => {
      const found = (await milestonesAt(b, ugandaCustoms.token)).find((m) => m.payloadHash === payloadHash);
      return found ? { milestone: found, chainBlock: await provider.getBlockNumber(), at: Date.now() } : undefined;
    });
    const delayMs = seenAtB.at - started;
    console.log(
      `      post at A -> visible at B: ${delayMs} ms; recorded in block ${seenAtB.milestone.chain.blockNumber}, ` +
        `seen at B with the chain at block ${seenAtB.chainBlock}`,
    );
    expect(seenAtB.chainBlock - seenAtB.milestone.chain.blockNumber).to.be.at.most(2);
    expect(seenAtB.milestone.kind).to.equal("ExportCleared");

    // B fetched the document from A, checked against the chain; Uganda's user reads it at B.
    const document = await waitFor("the document at B", async () => {
      const r = await b.get(`/v1/consignments/${consignmentId}/documents/${payloadHash}`, ugandaCustoms.token);
      return r.status === 200 ? r.body : undefined;
    });
    expect(document.document).to.deep.equal({
      eventId: "export",
      payload: { declaration: "KE-EX-2026-77", seals: ["KRA-1182"] },
    });
    const refused = await b.get(`/v1/consignments/${consignmentId}/documents/${payloadHash}`, unrelated.token);
    expect(refused.status).to.equal(403);

    await waitFor("the registration's document and reference at B", async () => {
      const summary = await b.get(`/v1/consignments/${consignmentId}`, ugandaCustoms.token);
      return summary.body.reference ? summary : undefined;
    });
    const atA = await a.get(`/v1/consignments/${consignmentId}/milestones`, kenyaCustoms.token);
    const atB = await b.get(`/v1/consignments/${consignmentId}/milestones`, ugandaCustoms.token);
    expect(atB.body.verdict).to.equal("verified");
    expect(atB.body.documentsShown).to.equal(true);
    const view = (body: Record<string, unknown>) =>
      (body.milestones as Array<Record<string, unknown>>).map((m) => ({
        digest: m.digest,
        document: m.document,
        checks: m.checks,
      }));
    expect(view(atB.body)).to.deep.equal(view(atA.body));
    const unrelatedView = await b.get(`/v1/consignments/${consignmentId}/milestones`, unrelated.token);
    expect(unrelatedView.body.documentsShown).to.equal(false);
  });

  it("catches up on exactly what it missed while it was down, documents included", async function () {
    await stopNode(nodeB!);
    nodeB = undefined;
    const batch = Array.from({ length: 100 }, (_, i) => ({
      eventId: `while-b-down-${i}`,
      consignmentId,
      kind: "Incident",
      location: "KEMAL",
      occurredAt: isoNow(-50 + i * 0.1),
      payload: { note: `queue at the border, truck ${i}` },
    }));
    const accepted = await a.post("/v1/milestones:batch", kenyaCustoms.token, { milestones: batch });
    expect(accepted.status, accepted.text).to.equal(202);
    const hashes = (accepted.body.milestones as Array<{ payloadHash: string }>).map((m) => m.payloadHash);
    await a.settled(kenyaCustoms.token, "while-b-down-99", 60_000);
    const before = (await milestonesAt(a, kenyaCustoms.token)).length;
    expect(before).to.equal(102);

    const restarted = Date.now();
    nodeB = await runNode(envB.env);
    b = new NodeClient(nodeB.url);
    const caughtUp = await waitFor("B caught up", async () => {
      const list = await milestonesAt(b, ugandaCustoms.token);
      return list.length >= 102 ? list : undefined;
    });
    const caughtUpMs = Date.now() - restarted;
    const missed = caughtUp.slice(2);
    expect(missed).to.have.length(100);
    expect(missed.map((m) => m.payloadHash)).to.deep.equal(hashes);
    expect(new Set(caughtUp.map((m) => m.id)).size).to.equal(102);

    await waitFor("every missed document at B", async () => {
      const v = await b.get(`/v1/consignments/${consignmentId}/milestones`, ugandaCustoms.token);
      const checks = (v.body.milestones as Array<{ checks: Array<{ check: string; ok: boolean | null }> }>).map(
        (m) => m.checks.find((c) => c.check === "payloadHash")!.ok,
      );
      return checks.length === 102 && checks.every((ok) => ok === true) ? v : undefined;
    });
    const documentsMs = Date.now() - restarted;
    console.log(
      `      B restarted: index caught up in ${caughtUpMs} ms, all 100 documents fetched in ${documentsMs} ms`,
    );
    expect((await milestonesAt(b, ugandaCustoms.token)).length).to.equal(102);
  });
});
