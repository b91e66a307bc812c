/**
 * The index's routes on a real node: the query with its filters and cursor, the SSE stream resumed with
 * Last-Event-ID, webhooks through a receiver that is down for a while, documents for users and for peer nodes.
 */
import { expect } from "chai";
import { readEvents } from "../../support/sseClient";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import { Wallet } from "ethers";
import {
  NodeClient,
  freePort,
  isoNow,
  removeDataDir,
  startTestNode,
  testNodeEnvironment,
} from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { Governance } from "../../../server/chain/governance";
import { ANVIL_DEPLOYER_KEY } from "../../../server/chain/localChain";
import { OrganizationKind } from "../../../server/domain/milestoneKinds";
import { peerAuthorization } from "../../../server/domain/peerRequests";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from "../../../server/domain/webhookDelivery";
import { peerDocumentPath } from "../../../server/federation/documentFetcher";

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A webhook receiver that can be down (nothing listening) and come back on the same port. */
class Receiver {
  readonly received: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
  private server: Server | undefined;
  constructor(readonly port: number) {}
  get url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }
  async up() {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        this.received.push({ body, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
  }
  async down() {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    this.server = undefined;
  }
}

describe("index routes: query, stream, webhooks and documents (real node, LevelDB and anvil)", function () {
  this.timeout(120_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  let admin: string;
  let consignor: { id: number; token: string };
  let customs: { id: number; token: string };
  let outsider: { id: number; token: string };
  let consignmentId: string;
  let governance: Governance;

  before(async function () {
    environment = await testNodeEnvironment({
      INDEX_POLL_MS: "50",
      WEBHOOK_RETRY_BASE_MS: "50",
      WEBHOOK_RETRY_MAX_MS: "100",
      WEBHOOK_MAX_ATTEMPTS: "20",
    });
    node = await startTestNode(environment);
    api = new NodeClient(node.url);
    admin = node.bootstrapToken!;
    consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    customs = await api.member(admin, "Customs", "KE", "Kenya Revenue Authority");
    outsider = await api.member(admin, "AidOrganization", "TZ", "Tanzania Relief", "reader");
    const registered = await api.post("/v1/consignments", consignor.token, {
      eventId: "reg",
      reference: "KE-ROUTES-1",
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true, medical: true },
      location: "KEMBA",
      occurredAt: isoNow(-600),
      payload: { packages: 40 },
    });
    consignmentId = registered.body.consignmentId as string;
    await api.settled(consignor.token, "reg");
    governance = new Governance(node.deployment, new Wallet(ANVIL_DEPLOYER_KEY, node.client.provider));
  });

  after(async function () {
    await node?.stop();
    removeDataDir(environment);
  });

  async function post(eventId: string, kind: string, location = "KEMAL", token = customs.token) {
    const response = await api.post(`/v1/consignments/${consignmentId}/milestones`, token, {
      eventId,
      kind,
      location,
      occurredAt: isoNow(-60),
      payload: { eventId },
    });
    expect(response.status, response.text).to.equal(202);
    return api.settled(token, eventId);
  }

  async function indexed(payloadHash: string) {
    return waitFor(`${payloadHash} in the index`, async () => {
      const found = await api.get(`/v1/milestones?consignment=${consignmentId}&limit=1000`, customs.token);
      return (found.body.milestones as Array<{ payloadHash: string }>).some((m) => m.payloadHash === payloadHash);
    });
  }

  describe("GET /v1/milestones", function () {
    before(async function () {
      await post("q-incident-1", "Incident");
      await post("q-inspection", "InspectionStarted");
      const last = await post("q-incident-2", "Incident", "KENBO");
      await indexed(last.payloadHash as string);
    });

    it("filters by kind, location, country, organization, flags and time", async function () {
      const query = async (q: string) => {
        const r = await api.get(`/v1/milestones?${q}`, outsider.token);
        expect(r.status, r.text).to.equal(200);
        return r.body.milestones as Array<Record<string, unknown>>;
      };
      expect((await query("kind=Incident")).map((m) => m.location)).to.deep.equal(["KEMAL", "KENBO"]);
      expect((await query("kind=Incident,InspectionStarted&location=KEMAL")).map((m) => m.kind)).to.deep.equal([
        "Incident",
        "InspectionStarted",
      ]);
      expect(await query("location=KENBO")).to.have.length(1);
      expect(await query(`organization=${customs.id}`)).to.have.length(3);
      expect(await query(`organization=${consignor.id}&kind=Registered`)).to.have.length(1);
      expect(await query("country=UG")).to.have.length(0);
      expect(await query("flags=relief,medical")).to.have.length(4);
      expect(await query("flags=coldChain")).to.have.length(0);
      expect(await query(`occurredFrom=${encodeURIComponent(isoNow(-300))}`)).to.have.length(3);
      expect(await query(`recordedTo=${encodeURIComponent("2000-01-01T00:00:00Z")}`)).to.have.length(0);
      const [first] = await query(`consignment=${consignmentId}&kind=Registered`);
      expect(first).to.include({ type: "registration", kind: "Registered", bizStep: "commissioning", country: "KE" });
      expect(first.organization).to.deep.include({
        id: consignor.id,
        name: "Kenya Red Cross",
        kind: "AidOrganization",
      });
      expect(first).to.not.have.property("document");
    });

    it("pages with a stable cursor that only fits its own filters", async function () {
      const seen: string[] = [];
      let next: string | null = null;
      do {
        const page = await api.get(
          `/v1/milestones?consignment=${consignmentId}&limit=2${next ? `&cursor=${next}` : ""}`,
          customs.token,
        );
        expect(page.status, page.text).to.equal(200);
        seen.push(...(page.body.milestones as Array<{ id: string }>).map((m) => m.id));
        next = page.body.next as string | null;
      } while (next);
      const all = await api.get(`/v1/milestones?consignment=${consignmentId}&limit=1000`, customs.token);
      expect(seen).to.deep.equal((all.body.milestones as Array<{ id: string }>).map((m) => m.id));
      expect(new Set(seen).size).to.equal(seen.length);

      const page = await api.get(`/v1/milestones?kind=Incident&limit=1`, customs.token);
      const misuse = await api.get(`/v1/milestones?kind=Held&cursor=${page.body.next as string}`, customs.token);
      expect(misuse.status).to.equal(400);
      expect(misuse.body.error!.code).to.equal("INVALID_CURSOR");
    });

    it("answers a bad filter with 400 INVALID_QUERY naming it, and no key with 401", async function () {
      for (const [query, name] of [
        ["kind=Flying", "kind"],
        ["location=nairobi", "location"],
        ["occurredFrom=last-week", "occurredFrom"],
        ["limit=5000", "limit"],
        ["colour=blue", "colour"],
      ]) {
        const r = await api.get(`/v1/milestones?${query}`, customs.token);
        expect(r.status, query).to.equal(400);
        expect(r.body.error!.code).to.equal("INVALID_QUERY");
        expect(r.body.error!.message).to.include(name);
      }
      expect((await api.get("/v1/milestones")).status).to.equal(401);
    });
  });

  describe("GET /v1/stream", function () {
    it("sends what is indexed as it happens, and a client that reconnects with Last-Event-ID misses nothing", async function () {
      const url = `${node.url}/v1/stream?consignment=${consignmentId}&events=milestone.recorded`;
      const firstRead = readEvents(url, customs.token, 2);
      await new Promise((r) => setTimeout(r, 200));
      const posted: string[] = [];
      for (let i = 0; i < 5; i++) posted.push((await post(`sse-${i}`, "Incident")).payloadHash as string);
      const first = await firstRead;
      expect(first.map((e) => (e.data.milestone as { payloadHash: string }).payloadHash)).to.deep.equal(
        posted.slice(0, 2),
      );
      // Disconnected after two; three more were indexed meanwhile.
      await indexed(posted[4]);
      const rest = await readEvents(url, customs.token, 3, first[1].id);
      expect(rest.map((e) => (e.data.milestone as { payloadHash: string }).payloadHash)).to.deep.equal(posted.slice(2));
      expect(rest.every((e) => e.event === "milestone.recorded" && Number(e.id) > Number(first[1].id))).to.equal(true);

      const bad = await fetch(`${node.url}/v1/stream`, {
        headers: { authorization: `Bearer ${customs.token}`, "last-event-id": "yesterday" },
      });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal("INVALID_QUERY");
    });
  });

  describe("lifecycle of this node's events", function () {
    it("is streamed to the posting organization, from accepted to recorded, and to nobody else", async function () {
      const url = `${node.url}/v1/stream?consignment=${consignmentId}&events=event.lifecycle`;
      const reading = readEvents(url, customs.token, 4);
      await new Promise((r) => setTimeout(r, 200));
      const recorded = await post("lifecycle-1", "Incident");
      const events = (await reading).map(
        (e) => e.data as { type: string; organizationId: number; event: Record<string, unknown> },
      );
      expect(events.every((e) => e.type === "event.lifecycle" && e.organizationId === customs.id)).to.equal(true);
      expect(events.every((e) => e.event.eventId === "lifecycle-1")).to.equal(true);
      expect(events.map((e) => e.event.state)).to.deep.equal(["accepted", "signed", "submitted", "recorded"]);
      expect(events[3].event).to.include({
        txHash: recorded.txHash,
        blockNumber: recorded.blockNumber,
        kind: "Incident",
      });

      // Another organization's stream, from the very beginning, carries none of this node's events but its own.
      const theirs = await readEvents(`${url}&after=0`, outsider.token, 1_000, undefined, 1_000);
      expect(theirs).to.deep.equal([]);
      const operators = await readEvents(`${url}&after=0`, admin, 1_000, undefined, 1_000);
      const mine = operators.filter((e) => (e.data.event as { eventId: string }).eventId === "lifecycle-1");
      expect(mine).to.have.length(4);
    });
  });

  describe("webhooks", function () {
    it("delivers every event at least once, through a receiver that was down for a while, signed so tampering shows", async function () {
      const receiver = new Receiver(await freePort());
      const created = await api.post("/v1/subscriptions", outsider.token, {
        url: receiver.url,
        filters: { consignment: consignmentId, kind: "Incident" },
        events: ["milestone.recorded"],
      });
      expect(created.status, created.text).to.equal(201);
      const { id, secret } = created.body as { id: string; secret: string };
      expect(secret).to.match(/^whsec_/);

      const posted: string[] = [];
      for (let i = 0; i < 6; i++) posted.push((await post(`hook-${i}`, "Incident")).payloadHash as string);
      await post("hook-not-matching", "InspectionStarted");
      // The receiver is down: delivery fails and is retried, and the queue waits.
      const failing = await waitFor("failed deliveries", async () => {
        const s = await api.get(`/v1/subscriptions/${id}`, outsider.token);
        return (s.body.failedAttempts as number) >= 3 ? s.body : undefined;
      });
      expect(failing).to.include({ state: "active", delivered: 0 });
      expect(failing.lastError).to.match(/ECONNREFUSED|fetch failed/);
      expect(failing).to.not.have.property("secret");

      await receiver.up();
      try {
        await waitFor("every delivery", async () => {
          const s = await api.get(`/v1/subscriptions/${id}`, outsider.token);
          return s.body.delivered === 6 && s.body.backlog !== undefined ? s.body : undefined;
        });
        const bodies = receiver.received.map(
          (r) => JSON.parse(r.body) as { id: number; milestone: { payloadHash: string } },
        );
        const unique = new Map(bodies.map((b) => [b.id, b.milestone.payloadHash]));
        expect([...unique.values()]).to.deep.equal(posted);
        for (const r of receiver.received) {
          expect(verifyWebhookSignature(secret, r.body, r.headers[SIGNATURE_HEADER] as string)).to.equal(true);
          expect(r.headers[EVENT_ID_HEADER]).to.equal(String(JSON.parse(r.body).id));
        }
        const tampered = receiver.received[0].body.replace(posted[0], posted[1]);
        expect(
          verifyWebhookSignature(secret, tampered, receiver.received[0].headers[SIGNATURE_HEADER] as string),
        ).to.equal(false);

        const state = await api.get(`/v1/subscriptions/${id}`, outsider.token);
        expect(state.body).to.include({ state: "active", delivered: 6, attempts: 0 });
        expect((state.body.recentAttempts as Array<{ ok: boolean }>).some((a) => !a.ok)).to.equal(true);
        expect((state.body.recentAttempts as Array<{ ok: boolean }>).at(-1)!.ok).to.equal(true);
      } finally {
        await receiver.down();
      }
    });

    it("disables a subscription after the documented number of failures, and its owner can enable it", async function () {
      const created = await api.post("/v1/subscriptions", outsider.token, {
        url: `http://127.0.0.1:${await freePort()}/never`,
        filters: { consignment: consignmentId },
      });
      const id = created.body.id as string;
      await post("hook-to-nowhere", "Incident");
      const disabled = await waitFor("the subscription disabled", async () => {
        const s = await api.get(`/v1/subscriptions/${id}`, outsider.token);
        return s.body.state === "disabled" ? s.body : undefined;
      });
      expect(disabled.failedAttempts).to.equal(20);
      expect(disabled.disabledReason).to.match(/20 consecutive failed deliveries/);
      expect(disabled.retryPolicy).to.deep.equal({ maxAttempts: 20, baseMs: 50, maxMs: 100 });

      // Another organization neither sees nor changes it.
      expect((await api.get(`/v1/subscriptions/${id}`, customs.token)).body.error!.code).to.equal(
        "SUBSCRIPTION_NOT_FOUND",
      );
      expect((await api.post(`/v1/subscriptions/${id}/enable`, customs.token, {})).status).to.equal(404);
      expect(
        ((await api.get("/v1/subscriptions", customs.token)).body.subscriptions as Array<{ id: string }>).map(
          (s) => s.id,
        ),
      ).to.not.include(id);

      const enabled = await api.post(`/v1/subscriptions/${id}/enable`, outsider.token, {});
      expect(enabled.body).to.include({ state: "active", attempts: 0 });
      expect((await api.request("DELETE", `/v1/subscriptions/${id}`, outsider.token)).status).to.equal(200);
      expect((await api.get(`/v1/subscriptions/${id}`, outsider.token)).status).to.equal(404);
    });

    it("refuses a URL that is not http(s), and never shows a secret after creation", async function () {
      const refused = await api.post("/v1/subscriptions", outsider.token, { url: "file:///etc/passwd" });
      expect(refused.status).to.equal(400);
      const badFilter = await api.post("/v1/subscriptions", outsider.token, {
        url: "http://127.0.0.1:9/x",
        filters: { kind: "Flying" },
      });
      expect(badFilter.status).to.equal(400);
      expect(badFilter.body.error!.message).to.include("kind");
      const list = await api.get("/v1/subscriptions", admin);
      expect(list.text).to.not.include("whsec_");
    });
  });

  describe("documents", function () {
    let registrationHash: string;
    before(async function () {
      registrationHash = (await api.get("/v1/milestones/reg", consignor.token)).body.payloadHash as string;
    });

    it("shows a document to a party, and refuses an organization that is neither party nor on the route", async function () {
      const path = `/v1/consignments/${consignmentId}/documents/${registrationHash}`;
      const read = await api.get(path, customs.token);
      expect(read.status, read.text).to.equal(200);
      expect(read.body).to.deep.include({
        document: { eventId: "reg", payload: { packages: 40 } },
        reference: "KE-ROUTES-1",
      });
      const refused = await api.get(path, outsider.token);
      expect(refused.status).to.equal(403);
      expect(refused.body.error!.code).to.equal("FORBIDDEN");
      expect((await api.get(path)).status).to.equal(401);
      const missing = await api.get(`/v1/consignments/${consignmentId}/documents/0x${"00".repeat(32)}`, customs.token);
      expect(missing.body.error!.code).to.equal("DOCUMENT_NOT_AVAILABLE");
    });

    it("serves a peer node of an organization on the route, proven by its key on chain, and nobody else", async function () {
      const ugandaKey = new Wallet(Wallet.createRandom().privateKey);
      const tanzaniaKey = new Wallet(Wallet.createRandom().privateKey);
      const uganda = await governance.registerOrganization(
        OrganizationKind.Customs,
        "UG",
        Wallet.createRandom().address,
        "URA",
      );
      const tanzania = await governance.registerOrganization(
        OrganizationKind.Customs,
        "TZ",
        Wallet.createRandom().address,
        "TRA",
      );
      await governance.addSigner(uganda, ugandaKey.address);
      await governance.addSigner(tanzania, tanzaniaKey.address);
      await waitFor("the keys in the index", async () => node.index.keyOf(tanzaniaKey.address));

      const path = peerDocumentPath(consignmentId, registrationHash);
      const deployment = { chainId: node.deployment.chainId, address: node.deployment.address };
      const ask = async (
        key: Wallet,
        organizationId: number,
        overrides: Partial<{ path: string; issuedAt: number }> = {},
      ) => {
        const authorization = await peerAuthorization(key, deployment, {
          organizationId,
          method: "GET",
          path: overrides.path ?? path,
          issuedAt: overrides.issuedAt ?? Math.floor(Date.now() / 1000),
        });
        return api.request("GET", path, undefined, undefined, { authorization });
      };
      const served = await ask(ugandaKey, uganda);
      expect(served.status, served.text).to.equal(200);
      expect(served.body).to.deep.include({
        document: { eventId: "reg", payload: { packages: 40 } },
        reference: "KE-ROUTES-1",
      });

      expect((await ask(tanzaniaKey, tanzania)).body.error!.code).to.equal("FORBIDDEN");
      expect((await ask(tanzaniaKey, uganda)).body.error!.code).to.equal("UNAUTHENTICATED"); // a key acting for another
      expect((await ask(ugandaKey, uganda, { path: path.replace("/documents/", "/documents/0x00") })).status).to.equal(
        401,
      );
      expect((await ask(ugandaKey, uganda, { issuedAt: Math.floor(Date.now() / 1000) - 3600 })).status).to.equal(401);
      expect((await api.request("GET", path, customs.token)).status).to.equal(401); // an API key is not a peer credential
      expect((await api.get(path)).status).to.equal(401);

      await governance.revokeSigner(ugandaKey.address, 0);
      await waitFor(
        "the revocation in the index",
        async () => (node.index.keyOf(ugandaKey.address)?.revokedAt ?? 0) > 0,
      );
      const afterRevocation = await ask(ugandaKey, uganda);
      expect(afterRevocation.body.error?.code, afterRevocation.text).to.equal("UNAUTHENTICATED");
    });
  });
});
