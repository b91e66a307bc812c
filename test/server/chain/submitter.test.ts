import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { Governance } from "../../../server/chain/governance";
import { ANVIL_DEPLOYER_KEY, launchLocalChain } from "../../../server/chain/localChain";
import { ConsignmentLedger__factory } from "../../../typechain-types";

/** A node with a consignor, a carrier and one registered consignment. */
async function corridorNode(overrides: Record<string, string> = {}) {
  const environment = await testNodeEnvironment(overrides);
  const node = await startTestNode(environment);
  const api = new NodeClient(node.url);
  const admin = node.bootstrapToken!;
  const consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
  const carrier = await api.member(admin, "Carrier", "KE", "Northern Corridor Haulage");
  const kenyaCustoms = await api.member(admin, "Customs", "KE", "Kenya Revenue Authority");
  const registered = await api.post("/v1/consignments", consignor.token, {
    eventId: "registration",
    reference: "KE2026REL-SUBMITTER",
    originCountry: "KE",
    destinationCountry: "UG",
    location: "KEMBA",
    occurredAt: isoNow(-60),
    payload: { packages: 12 },
  });
  if (registered.status !== 202) throw new Error(registered.text);
  await api.settled(consignor.token, "registration");
  return {
    environment,
    node,
    api,
    admin,
    consignor,
    carrier,
    kenyaCustoms,
    consignmentId: registered.body.consignmentId as string,
  };
}

const incident = (eventId: string, location = "KEMBA") => ({
  eventId,
  kind: "Incident",
  location,
  occurredAt: isoNow(-5),
  payload: { eventId },
});

/** How many logs on chain carry this payload hash: the exactly-once check. */
async function timesRecorded(node: RunningNode, consignmentId: string, payloadHash: string): Promise<number> {
  const ledger = ConsignmentLedger__factory.connect(node.deployment.address, node.client.provider);
  const logs = await ledger.queryFilter(ledger.filters.MilestoneRecorded(consignmentId), 0);
  return logs.filter((l) => l.args.payloadHash === payloadHash).length;
}

describe("Submitter (real node and anvil)", function () {
  this.timeout(120_000);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });
  function track(environment: TestNodeEnvironment, node: () => RunningNode | undefined) {
    cleanups.push(async () => {
      await node()
        ?.stop()
        .catch(() => undefined);
      removeDataDir(environment);
    });
  }

  it("puts several accepted milestones in one recordMilestones transaction", async function () {
    const fx = await corridorNode();
    track(fx.environment, () => fx.node);
    await fx.node.submitter.stop();
    for (let i = 0; i < 12; i++) {
      expect(
        (
          await fx.api.post(
            `/v1/consignments/${fx.consignmentId}/milestones`,
            fx.carrier.token,
            incident(`batched-${i}`),
          )
        ).status,
      ).to.equal(202);
    }
    fx.node.submitter.start();
    const events = [];
    for (let i = 0; i < 12; i++) events.push(await fx.api.settled(fx.carrier.token, `batched-${i}`));
    expect(new Set(events.map((e) => e.txHash)).size).to.equal(1);
    expect(events.map((e) => e.logIndex)).to.deep.equal([...Array(12).keys()]);
  });

  it("rejects the one milestone the chain refuses, with the contract's reason, and records the rest", async function () {
    const fx = await corridorNode();
    track(fx.environment, () => fx.node);
    await fx.node.submitter.stop();
    const post = (token: string, body: object) =>
      fx.api.post(`/v1/consignments/${fx.consignmentId}/milestones`, token, body);
    expect((await post(fx.consignor.token, { ...incident("before"), kind: "Dispatched" })).status).to.equal(202);
    expect((await post(fx.carrier.token, incident("carrier-after-revocation"))).status).to.equal(202);
    expect((await post(fx.kenyaCustoms.token, incident("after", "KEMAL"))).status).to.equal(202);
    // The carrier's key is revoked on chain behind the node's back, after it accepted the milestone.
    const governance = new Governance(fx.node.deployment, new Wallet(ANVIL_DEPLOYER_KEY, fx.node.client.provider));
    await governance.revokeSigner(fx.carrier.signer, 0);
    fx.node.submitter.start();
    const refused = await fx.api.settled(fx.carrier.token, "carrier-after-revocation");
    expect(refused.state).to.equal("rejected");
    expect(refused.rejection).to.deep.include({ code: "SIGNER_KEY_REVOKED", rule: "SignerKeyRevoked" });
    const before = await fx.api.settled(fx.consignor.token, "before");
    const after = await fx.api.settled(fx.kenyaCustoms.token, "after");
    expect([before.state, after.state]).to.deep.equal(["recorded", "recorded"]);
    // The refused milestone is not in the chain of heads: "after" extends "before".
    expect(after.prevHash).to.equal(before.digest);
    const metrics = await fx.api.get("/metrics");
    expect(metrics.text).to.match(/ledger_events_rejected_total\{code="SIGNER_KEY_REVOKED"\} 1/);
  });

  it("keeps accepting while the chain is down, reports it in /readyz, and records everything when it is back", async function () {
    const fx = await corridorNode({ READY_MAX_LAG_SECONDS: "1" });
    track(fx.environment, () => fx.node);
    await fx.node.chain!.stop();
    const during = [];
    for (let i = 0; i < 3; i++) {
      const response = await fx.api.post(
        `/v1/consignments/${fx.consignmentId}/milestones`,
        fx.carrier.token,
        incident(`outage-${i}`),
      );
      expect(response.status, response.text).to.equal(202);
      during.push(response.body);
    }
    await new Promise((r) => setTimeout(r, 1500));
    const ready = await fx.api.get("/readyz");
    expect(ready.status).to.equal(503);
    expect((ready.body.checks as Record<string, { ok: boolean }>).chain.ok).to.equal(false);
    expect((ready.body.checks as Record<string, { ok: boolean }>).submitter.ok).to.equal(false);
    // The same anvil comes back from its persisted state, on the same port.
    const env = fx.environment.env;
    const restarted = await launchLocalChain({ dataDir: env.DATA_DIR, port: Number(env.EMBEDDED_CHAIN_PORT) });
    cleanups.push(() => restarted.stop());
    for (let i = 0; i < 3; i++)
      expect((await fx.api.settled(fx.carrier.token, `outage-${i}`, 60_000)).state).to.equal("recorded");
    for (const accepted of during)
      expect(await timesRecorded(fx.node, fx.consignmentId, accepted.payloadHash as string)).to.equal(1);
  });

  for (const fate of ["mined while the node was down", "dropped while the node was down"] as const) {
    it(`records a milestone exactly once after a restart while it was submitted but unconfirmed (${fate})`, async function () {
      const fx = await corridorNode();
      let node: RunningNode | undefined = fx.node;
      track(fx.environment, () => node);
      // The test's own connection to anvil: the node's closes when the node stops.
      const provider = new JsonRpcProvider(fx.node.chain!.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
      cleanups.push(async () => provider.destroy());
      await provider.send("evm_setAutomine", [false]);
      const accepted = await fx.api.post(
        `/v1/consignments/${fx.consignmentId}/milestones`,
        fx.carrier.token,
        incident("in-flight"),
      );
      expect(accepted.status).to.equal(202);
      const deadline = Date.now() + 20_000;
      while ((await fx.node.store.event(`${fx.carrier.id}/in-flight`))?.state !== "submitted") {
        if (Date.now() > deadline) throw new Error("never submitted");
        await new Promise((r) => setTimeout(r, 20));
      }
      await fx.node.stop({ keepChain: true });
      node = undefined;
      if (fate === "mined while the node was down") await provider.send("evm_mine", []);
      else await provider.send("anvil_dropAllTransactions", []);
      await provider.send("evm_setAutomine", [true]);

      node = await startTestNode(fx.environment);
      const api = new NodeClient(node.url);
      const event = await api.settled(fx.carrier.token, "in-flight");
      expect(event.state).to.equal("recorded");
      expect(await timesRecorded(node, fx.consignmentId, accepted.body.payloadHash as string)).to.equal(1);
      expect(node.bootstrapToken, "no second bootstrap key on restart").to.equal(undefined);
    });
  }

  it("records again, exactly once, what a restarted chain lost with its last blocks", async function () {
    // State is written only on a graceful stop, so killing anvil loses everything since.
    const fx = await corridorNode({ EMBEDDED_STATE_INTERVAL: "3600" });
    let node: RunningNode | undefined = fx.node;
    track(fx.environment, () => node);
    await fx.node.stop(); // anvil writes its state: the registration is safe
    node = await startTestNode(fx.environment);
    let api = new NodeClient(node.url);
    const accepted = await api.post(
      `/v1/consignments/${fx.consignmentId}/milestones`,
      fx.carrier.token,
      incident("lost-with-the-chain"),
    );
    const before = await api.settled(fx.carrier.token, "lost-with-the-chain");
    expect(before.state).to.equal("recorded");

    await node.chain!.kill(); // a crash: the block with the milestone is gone
    await node.stop();
    node = await startTestNode(fx.environment);
    api = new NodeClient(node.url);
    expect(await timesRecorded(node, fx.consignmentId, accepted.body.payloadHash as string)).to.be.oneOf([0, 1]);
    const after = await api.settled(fx.carrier.token, "lost-with-the-chain");
    expect(after.state).to.equal("recorded");
    const states = (after.history as Array<{ state: string; detail?: string }>).map((h) => h.detail ?? h.state);
    expect(states).to.include("the chain lost the block that recorded it");
    expect(await timesRecorded(node, fx.consignmentId, accepted.body.payloadHash as string)).to.equal(1);
    expect((await node.client.readConsignment(fx.consignmentId))?.head).to.equal(after.digest);
  });

  it("keeps several transactions in flight, never two for one consignment, and every chain of heads intact", async function () {
    const fx = await corridorNode({
      EMBEDDED_BLOCK_TIME: "1",
      BATCH_SIZE: "4",
      SUBMIT_MAX_IN_FLIGHT: "3",
      BATCH_WAIT_MS: "0",
    });
    track(fx.environment, () => fx.node);
    const ids = [fx.consignmentId];
    for (let c = 1; c < 3; c++) {
      const r = await fx.api.post("/v1/consignments", fx.consignor.token, {
        eventId: `registration-${c}`,
        reference: `KE2026REL-PIPELINE-${c}`,
        originCountry: "KE",
        destinationCountry: "UG",
        location: "KEMBA",
        occurredAt: isoNow(-30),
      });
      ids.push(r.body.consignmentId as string);
    }
    await fx.api.settled(fx.consignor.token, "registration-2", 60_000);
    await fx.node.submitter.stop();
    for (let i = 0; i < 24; i++) {
      const id = ids[Math.floor(i / 8)];
      expect(
        (await fx.api.post(`/v1/consignments/${id}/milestones`, fx.carrier.token, incident(`p-${i}`))).status,
      ).to.equal(202);
    }
    fx.node.submitter.start();
    const events = [];
    for (let i = 0; i < 24; i++) events.push(await fx.api.settled(fx.carrier.token, `p-${i}`, 60_000));
    expect(events.every((e) => e.state === "recorded")).to.equal(true);
    for (let c = 0; c < 3; c++) {
      const mine = events.filter((_, i) => Math.floor(i / 8) === c);
      for (let k = 1; k < mine.length; k++)
        expect(mine[k].prevHash, `consignment ${c}, milestone ${k}`).to.equal(mine[k - 1].digest);
      expect((await fx.node.client.readConsignment(ids[c]))?.head).to.equal(mine.at(-1)!.digest);
    }
    // Several transactions landed in one block: they were in flight together.
    const txsPerBlock = new Map<number, Set<string>>();
    for (const e of events)
      txsPerBlock.set(
        e.blockNumber as number,
        (txsPerBlock.get(e.blockNumber as number) ?? new Set()).add(e.txHash as string),
      );
    expect(Math.max(...[...txsPerBlock.values()].map((t) => t.size))).to.be.greaterThan(1);
  });
});
