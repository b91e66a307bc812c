/**
 * The indexer against a real node and anvil: it indexes every organization's milestones, keeps its cursor across
 * restarts without gaps or duplicates, waits for confirmations, and rolls back when the chain replaces blocks.
 * Each check runs a second indexer on its own LevelDB, so what it sees comes from the chain alone.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { LedgerStore } from "../../../server/storage/ledgerStore";
import { LedgerIndex } from "../../../server/storage/ledgerIndex";
import type { FeedEntry } from "../../../server/storage/ledgerIndex";
import { ChainHistory } from "../../../server/chain/chainHistory";
import { ChainIndexer } from "../../../server/chain/chainIndexer";
import { createLogger } from "../../../server/telemetry/logger";

interface Follower {
  store: LedgerStore;
  index: LedgerIndex;
  indexer: ChainIndexer;
  dir: string;
}

async function follower(node: RunningNode, confirmations = 0, dir = mkdtempSync(join(tmpdir(), "ledger-index-"))) {
  const store = new LedgerStore(join(dir, "store"));
  await store.open();
  const index = new LedgerIndex(store);
  await index.load();
  const indexer = new ChainIndexer(new ChainHistory(node.client.provider, node.deployment), index, {
    confirmations,
    pollMs: 50,
    logger: createLogger("silent"),
  });
  return { store, index, indexer, dir } satisfies Follower;
}

async function allMilestones(index: LedgerIndex): Promise<number> {
  return (await index.scan({ index: "position" }, undefined, 1_000_000)).entries.length;
}

async function allFeed(index: LedgerIndex): Promise<FeedEntry[]> {
  return index.feedAfter(0, 100_000);
}

describe("ChainIndexer (real node and anvil)", function () {
  this.timeout(120_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  let consignor: { id: number; token: string };
  let customs: { id: number; token: string };
  let consignmentId: string;
  const followers: Follower[] = [];

  before(async function () {
    environment = await testNodeEnvironment();
    node = await startTestNode(environment);
    api = new NodeClient(node.url);
    consignor = await api.member(node.bootstrapToken!, "AidOrganization", "KE", "Kenya Red Cross");
    customs = await api.member(node.bootstrapToken!, "Customs", "KE", "Kenya Revenue Authority");
    const registered = await api.post("/v1/consignments", consignor.token, {
      eventId: "reg",
      reference: "KE-INDEX-1",
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true },
      location: "KEMBA",
      occurredAt: isoNow(-60),
    });
    consignmentId = registered.body.consignmentId as string;
    await api.settled(consignor.token, "reg");
    for (let i = 0; i < 5; i++) await post(`m-${i}`);
    await api.settled(customs.token, "m-4");
  });

  after(async function () {
    for (const f of followers) {
      await f.indexer.stop();
      await f.store.close();
      rmSync(f.dir, { recursive: true, force: true });
    }
    await node?.stop();
    removeDataDir(environment);
  });

  async function post(eventId: string, kind = "Incident") {
    const response = await api.post(`/v1/consignments/${consignmentId}/milestones`, customs.token, {
      eventId,
      kind,
      location: "KEMAL",
      occurredAt: isoNow(-30),
      payload: { eventId },
    });
    expect(response.status, response.text).to.equal(202);
  }

  async function track(f: Follower | Promise<Follower>) {
    const resolved = await f;
    followers.push(resolved);
    return resolved;
  }

  it("indexes every milestone by consignment, organization, country, kind and time", async function () {
    const f = await track(follower(node));
    expect(await f.indexer.syncOnce()).to.equal(6);
    const history = await f.index.milestonesOf(consignmentId);
    expect(history.map((e) => e.milestone.type)).to.deep.equal(["registration", ...Array(5).fill("milestone")]);
    expect(history.every((e) => e.flags === 1 && e.country === "KE")).to.equal(true);
    const byOrganization = await f.index.scan(
      { index: "organization", value: String(customs.id).padStart(10, "0") },
      undefined,
      100,
    );
    expect(byOrganization.entries).to.have.length(5);
    const byKind = await f.index.scan({ index: "kind", value: "00" }, undefined, 100);
    expect(byKind.entries.map((e) => e.milestone.type)).to.deep.equal(["registration"]);
    const byCountry = await f.index.scan({ index: "country", value: "KE" }, undefined, 100);
    expect(byCountry.entries).to.have.length(6);
    const byTime = await f.index.scan({ index: "occurredAt" }, undefined, 100);
    expect(byTime.entries.map((e) => e.milestone.occurredAt)).to.deep.equal(
      [...byTime.entries.map((e) => e.milestone.occurredAt)].sort((a, b) => a - b),
    );
    const consignment = await f.index.consignment(consignmentId);
    expect(consignment).to.include({ consignor: consignor.id, milestoneCount: 6, originCountry: "KE" });
    expect(f.index.keyOf((await api.get(`/v1/milestones/m-0`, customs.token)).body.signer as string)).to.include({
      organizationId: customs.id,
    });
  });

  it("keeps its cursor across a restart: nothing is skipped and nothing indexed twice", async function () {
    const first = await track(follower(node));
    await first.indexer.syncOnce();
    await first.indexer.stop();
    await first.store.close();
    await post("after-restart-1");
    await post("after-restart-2");
    await api.settled(customs.token, "after-restart-2");
    const again = await track(follower(node, 0, first.dir));
    expect(await again.indexer.syncOnce()).to.equal(2);
    const history = await again.index.milestonesOf(consignmentId);
    expect(history).to.have.length(8);
    expect(new Set(history.map((e) => e.position)).size).to.equal(8);
    const recorded = (await allFeed(again.index)).filter((e) => e.type === "milestone.recorded");
    expect(recorded).to.have.length(8);
    expect(await again.indexer.syncOnce()).to.equal(0);
  });

  it("waits for the configured number of confirmations", async function () {
    const f = await track(follower(node, 2));
    await post("needs-confirmations");
    const recorded = await api.settled(customs.token, "needs-confirmations");
    const indexed = async () =>
      (await f.index.milestonesOf(consignmentId)).some((e) => e.milestone.payloadHash === recorded.payloadHash);
    await f.indexer.syncOnce();
    expect(await indexed()).to.equal(false);
    expect(f.index.cursor!.blockNumber).to.equal((recorded.blockNumber as number) - 2);
    const provider = node.client.provider as JsonRpcProvider;
    await provider.send("evm_mine", []);
    await f.indexer.syncOnce();
    expect(await indexed()).to.equal(false);
    await provider.send("evm_mine", []);
    await f.indexer.syncOnce();
    expect(await indexed()).to.equal(true);
  });

  it("rolls back to the fork point when the chain replaces blocks it indexed, and announces the retraction", async function () {
    const provider = node.client.provider as JsonRpcProvider;
    const f = await track(follower(node));
    await f.indexer.syncOnce();
    const kept = (await f.index.milestonesOf(consignmentId)).length;
    const snapshot = await provider.send("evm_snapshot", []);
    await post("to-be-reorganised", "Held");
    const first = await api.settled(customs.token, "to-be-reorganised");
    await f.indexer.syncOnce();
    expect((await f.index.milestonesOf(consignmentId)).length).to.equal(kept + 1);
    expect((await f.index.consignment(consignmentId))!.status).to.equal(6); // Held

    // The chain drops that block and mines others at the same heights.
    await provider.send("evm_revert", [snapshot]);
    await provider.send("evm_mine", []);
    await provider.send("evm_mine", []);
    await f.indexer.syncOnce();
    const history = await f.index.milestonesOf(consignmentId);
    expect(history).to.have.length(kept);
    expect((await f.index.consignment(consignmentId))!.milestoneCount).to.equal(kept);
    expect((await f.index.consignment(consignmentId))!.status).to.equal(0); // Registered: Incidents move no status
    const retracted = (await allFeed(f.index)).flatMap((e) => (e.type === "milestone.retracted" ? [e] : []));
    expect(retracted).to.have.length(1);
    expect(retracted[0].milestone.milestone.kind).to.equal(6);
    expect(f.index.cursor!.blockHash).to.equal((await provider.getBlock(f.index.cursor!.blockNumber))!.hash);

    // The node that recorded the lost milestone notices its block is gone, records it again, and the index follows.
    const deadline = Date.now() + 30_000;
    let again = first;
    while (again.txHash === first.txHash || again.state !== "recorded") {
      if (Date.now() > deadline) throw new Error(`not recorded again: ${JSON.stringify(again)}`);
      await new Promise((r) => setTimeout(r, 200));
      again = (await api.get("/v1/milestones/to-be-reorganised", customs.token)).body;
    }
    await f.indexer.syncOnce();
    expect((await f.index.milestonesOf(consignmentId)).length).to.equal(kept + 1);
  });

  it("indexes again from the deployment when the chain lost more blocks than it can undo", async function () {
    const provider = node.client.provider as JsonRpcProvider;
    const f = await track(follower(node));
    await f.indexer.syncOnce();
    const before = await f.index.milestonesOf(consignmentId);
    const snapshot = await provider.send("evm_snapshot", []);
    await provider.send("anvil_mine", ["0x500"]); // 1,280 blocks: past the undo window
    await f.indexer.syncOnce();
    const cursorBefore = f.index.cursor!.blockNumber;

    await provider.send("evm_revert", [snapshot]);
    await provider.send("evm_mine", []);
    await f.indexer.syncOnce();
    expect(f.index.cursor!.blockNumber).to.be.lessThan(cursorBefore - 1024);
    const after = await f.index.milestonesOf(consignmentId);
    expect(after.map((e) => e.position)).to.deep.equal(before.map((e) => e.position));
    const recorded = (await f.index.feedAfter(0, 100_000)).filter((e) => e.type === "milestone.recorded");
    // Indexed again from zero: the feed announces each milestone a second time, which at-least-once allows.
    expect(recorded.length).to.equal(2 * (await allMilestones(f.index)));
  });
});
