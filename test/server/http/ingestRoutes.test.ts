import { expect } from "chai";
import { Wallet } from "ethers";
import {
  LogCapture,
  NodeClient,
  isoNow,
  removeDataDir,
  startTestNode,
  testNodeEnvironment,
} from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { Governance } from "../../../server/chain/governance";
import { signMilestoneAsClient } from "../../support/clientSignedMilestones";
import { payloadHashOf } from "../../../server/domain/payloadHash";
import { ANVIL_DEPLOYER_KEY } from "../../../server/chain/localChain";

type Member = Awaited<ReturnType<NodeClient["member"]>>;

describe("ingest routes (real node, LevelDB and anvil)", function () {
  this.timeout(120_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  let admin: string;
  let kenyaCustoms: Member, ugandaCustoms: Member, consignor: Member, consignee: Member, carrier: Member;
  let consignmentId: string;
  let counter = 0;
  const logs = new LogCapture();
  const nextId = (prefix: string) => `${prefix}-${++counter}`;

  before(async function () {
    environment = await testNodeEnvironment({ MAX_BODY_BYTES: "65536", LOG_LEVEL: "trace" });
    node = await startTestNode(environment, logs);
    api = new NodeClient(node.url);
    admin = node.bootstrapToken!;
    kenyaCustoms = await api.member(admin, "Customs", "KE", "Kenya Revenue Authority");
    ugandaCustoms = await api.member(admin, "Customs", "UG", "Uganda Revenue Authority");
    consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    consignee = await api.member(admin, "AidOrganization", "UG", "Uganda Red Cross");
    carrier = await api.member(admin, "Carrier", "KE", "Northern Corridor Haulage");
    const registered = await api.post("/v1/consignments", consignor.token, registration("reg-main", "KE2026REL000001"));
    expect(registered.status, registered.text).to.equal(202);
    consignmentId = registered.body.consignmentId as string;
    await api.settled(consignor.token, "reg-main");
  });

  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  function registration(eventId: string, reference: string) {
    return {
      eventId,
      reference,
      consigneeOrganizationId: consignee.id,
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true, medical: true },
      location: "KEMBA",
      occurredAt: isoNow(-60),
      payload: { packages: 40, hsCodes: ["3004.90"], declaration: "KE-2026-REL-1" },
    };
  }

  const milestone = (eventId: string, kind: string, location: string, payload: object = {}) => ({
    eventId,
    kind,
    location,
    occurredAt: isoNow(-30),
    payload,
  });

  const postMilestone = (token: string, body: unknown, id = consignmentId) =>
    api.post(`/v1/consignments/${id}/milestones`, token, body);

  describe("POST /v1/consignments", function () {
    it("answers 202 with the consignment id and payload hash, and records the registration on chain", async function () {
      const body = registration("reg-a", "KE2026REL000002");
      const response = await api.post("/v1/consignments", consignor.token, body);
      expect(response.status).to.equal(202);
      expect(response.body.state).to.equal("accepted");
      expect(response.body.payloadHash).to.equal(payloadHashOf({ eventId: "reg-a", payload: body.payload }));
      const recorded = await api.settled(consignor.token, "reg-a");
      expect(recorded.state).to.equal("recorded");
      const chain = await node.client.readConsignment(response.body.consignmentId as string);
      expect(chain?.head).to.equal(recorded.digest);
      expect(chain?.consignee).to.equal(consignee.id);
    });

    it("answers a repeated eventId with the same body with the same answer, and records it once", async function () {
      const body = registration("reg-twice", "KE2026REL000003");
      const first = await api.post("/v1/consignments", consignor.token, body);
      const second = await api.post("/v1/consignments", consignor.token, body);
      expect(second.status).to.equal(202);
      expect(second.body).to.deep.equal(first.body);
      await api.settled(consignor.token, "reg-twice");
      const third = await api.post("/v1/consignments", consignor.token, body);
      expect(third.body).to.deep.equal(first.body);
    });

    it("answers 409 IDEMPOTENCY_CONFLICT for a repeated eventId with another body", async function () {
      await api.post("/v1/consignments", consignor.token, registration("reg-conflict", "KE2026REL000004"));
      const other = await api.post(
        "/v1/consignments",
        consignor.token,
        registration("reg-conflict", "KE2026REL000005"),
      );
      expect(other.status).to.equal(409);
      expect(other.body.error?.code).to.equal("IDEMPOTENCY_CONFLICT");
    });

    it("answers 422 CONSIGNMENT_ALREADY_REGISTERED for the same reference under a new eventId", async function () {
      const again = await api.post("/v1/consignments", consignor.token, registration("reg-again", " ke2026rel000001 "));
      expect(again.status).to.equal(422);
      expect(again.body.error?.code).to.equal("CONSIGNMENT_ALREADY_REGISTERED");
      expect(again.body.error?.details).to.deep.include({ rule: "ConsignmentAlreadyRegistered" });
    });

    it("answers 422 KIND_NOT_ALLOWED when customs tries to register", async function () {
      const response = await api.post(
        "/v1/consignments",
        kenyaCustoms.token,
        registration("reg-customs", "KE-CUSTOMS-1"),
      );
      expect(response.status).to.equal(422);
      expect(response.body.error?.code).to.equal("KIND_NOT_ALLOWED");
    });

    it("answers 422 UNKNOWN_CONSIGNEE for a consignee that is not a member", async function () {
      const response = await api.post("/v1/consignments", consignor.token, {
        ...registration("reg-unknown-consignee", "KE2026REL000009"),
        consigneeOrganizationId: 999,
      });
      expect(response.status).to.equal(422);
      expect(response.body.error?.code).to.equal("UNKNOWN_CONSIGNEE");
    });
  });

  describe("POST /v1/consignments/:id/milestones", function () {
    it("records milestones of several organizations in order, each with tx hash, block and log index", async function () {
      const steps: Array<[Member, string, string]> = [
        [carrier, "Dispatched", "KEMBA"],
        [kenyaCustoms, "ExportCleared", "KEMAL"],
        [carrier, "Departed", "KEMAL"],
      ];
      const ids: Array<[Member, string]> = [];
      for (const [who, kind, location] of steps) {
        const eventId = nextId(kind);
        const response = await postMilestone(who.token, milestone(eventId, kind, location, { seals: ["S-1"] }));
        expect(response.status, response.text).to.equal(202);
        ids.push([who, eventId]);
      }
      let previous = "";
      for (const [who, eventId] of ids) {
        const event = await api.settled(who.token, eventId);
        expect(event.state).to.equal("recorded");
        expect(event.txHash).to.match(/^0x[0-9a-f]{64}$/);
        expect(event.blockNumber).to.be.a("number");
        expect(event.logIndex).to.be.a("number");
        if (previous) expect(event.prevHash).to.equal(previous);
        previous = event.digest as string;
      }
      expect((await node.client.readConsignment(consignmentId))?.head).to.equal(previous);
    });

    it("refuses Delivered in the destination before import release with 422 IMPORT_RELEASE_REQUIRED", async function () {
      const response = await postMilestone(carrier.token, milestone(nextId("deliver"), "Delivered", "UGKLA"));
      expect(response.status).to.equal(422);
      expect(response.body.error?.code).to.equal("IMPORT_RELEASE_REQUIRED");
    });

    it("accepts Released then Delivered before either is recorded, checking rules against pending events", async function () {
      const released = nextId("released");
      const delivered = nextId("delivered");
      expect((await postMilestone(ugandaCustoms.token, milestone(released, "Released", "UGTOR"))).status).to.equal(202);
      expect((await postMilestone(carrier.token, milestone(delivered, "Delivered", "UGKLA"))).status).to.equal(202);
      expect((await api.settled(carrier.token, delivered)).state).to.equal("recorded");
    });

    it("refuses customs outside its country with 422 OUTSIDE_JURISDICTION and the contract's rule name", async function () {
      const response = await postMilestone(kenyaCustoms.token, milestone(nextId("held"), "Held", "UGTOR"));
      expect(response.status).to.equal(422);
      expect(response.body.error).to.deep.include({ code: "OUTSIDE_JURISDICTION" });
      expect(response.body.error?.details).to.deep.include({ rule: "OutsideJurisdiction" });
    });

    it("refuses a kind the organization may not sign with 422 KIND_NOT_ALLOWED", async function () {
      const response = await postMilestone(carrier.token, milestone(nextId("export"), "ExportCleared", "KEMAL"));
      expect(response.status).to.equal(422);
      expect(response.body.error?.code).to.equal("KIND_NOT_ALLOWED");
    });

    it("refuses an unknown consignment with 422 UNKNOWN_CONSIGNMENT", async function () {
      const response = await postMilestone(
        carrier.token,
        milestone(nextId("x"), "Dispatched", "KEMBA"),
        "0x" + "ab".repeat(32),
      );
      expect(response.status).to.equal(422);
      expect(response.body.error?.code).to.equal("UNKNOWN_CONSIGNMENT");
    });

    it("refuses a future occurredAt with 422 OCCURRED_AT_IN_FUTURE and an ancient one with OCCURRED_AT_TOO_OLD", async function () {
      const future = await postMilestone(carrier.token, {
        ...milestone(nextId("f"), "Incident", "KEMBA"),
        occurredAt: isoNow(3600),
      });
      expect(future.status).to.equal(422);
      expect(future.body.error?.code).to.equal("OCCURRED_AT_IN_FUTURE");
      const ancient = await postMilestone(carrier.token, {
        ...milestone(nextId("a"), "Incident", "KEMBA"),
        occurredAt: "1999-01-01T00:00:00Z",
      });
      expect(ancient.status).to.equal(422);
      expect(ancient.body.error?.code).to.equal("OCCURRED_AT_TOO_OLD");
    });

    it("answers 404 for another organization's eventId: event ids are namespaced per organization", async function () {
      const eventId = nextId("mine");
      await postMilestone(carrier.token, milestone(eventId, "Incident", "KEMBA"));
      const foreign = await api.get(`/v1/milestones/${eventId}`, kenyaCustoms.token);
      expect(foreign.status).to.equal(404);
      expect(foreign.body.error?.code).to.equal("EVENT_NOT_FOUND");
    });
  });

  describe("bad input", function () {
    const cases: Array<
      [string, () => Promise<{ status: number; body: { error?: { code: string } } }>, number, string]
    > = [
      [
        "malformed JSON",
        () => api.request("POST", `/v1/consignments/${consignmentId}/milestones`, carrier.token, '{"eventId": "x",'),
        400,
        "MALFORMED_JSON",
      ],
      [
        "a wrong type",
        () => postMilestone(carrier.token, { ...milestone("t1", "Incident", "KEMBA"), occurredAt: 12 }),
        400,
        "INVALID_REQUEST",
      ],
      [
        "an unknown field",
        () => postMilestone(carrier.token, { ...milestone("t2", "Incident", "KEMBA"), extra: true }),
        400,
        "INVALID_REQUEST",
      ],
      [
        "an unknown kind",
        () => postMilestone(carrier.token, milestone("t3", "Teleported", "KEMBA")),
        400,
        "INVALID_REQUEST",
      ],
      [
        "a wrong UN/LOCODE",
        () => postMilestone(carrier.token, milestone("t4", "Incident", "Mombasa")),
        400,
        "INVALID_REQUEST",
      ],
      [
        "a malformed consignment id",
        () => postMilestone(carrier.token, milestone("t5", "Incident", "KEMBA"), "0x1234"),
        400,
        "INVALID_REQUEST",
      ],
      [
        "an invalid eventId",
        () => postMilestone(carrier.token, milestone("no spaces allowed", "Incident", "KEMBA")),
        400,
        "INVALID_REQUEST",
      ],
      [
        "a string of 100 KB",
        () => postMilestone(carrier.token, milestone("t6", "Incident", "KEMBA", { note: "x".repeat(100_000) })),
        413,
        "PAYLOAD_TOO_LARGE",
      ],
      [
        "nesting 40 levels deep",
        () =>
          postMilestone(
            carrier.token,
            milestone("t7", "Incident", "KEMBA", JSON.parse('{"a":'.repeat(40) + "1" + "}".repeat(40))),
          ),
        400,
        "INVALID_REQUEST",
      ],
      [
        "a text/plain body",
        () =>
          api.request("POST", `/v1/consignments/${consignmentId}/milestones`, carrier.token, "hello", {
            "content-type": "text/plain",
          }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      ["no API key", () => postMilestone("", milestone("t8", "Incident", "KEMBA")), 401, "UNAUTHENTICATED"],
      [
        "a Basic auth header",
        () =>
          api.request(
            "POST",
            `/v1/consignments/${consignmentId}/milestones`,
            undefined,
            milestone("t9", "Incident", "KEMBA"),
            { authorization: "Basic dXNlcjpwYXNz" },
          ),
        401,
        "UNAUTHENTICATED",
      ],
      [
        "a made-up API key",
        () => postMilestone("clk_0123456789abcdef_" + "A".repeat(43), milestone("t10", "Incident", "KEMBA")),
        401,
        "UNAUTHENTICATED",
      ],
      ["an unknown route", () => api.get("/v1/nothing-here", carrier.token), 404, "NOT_FOUND"],
      [
        "a correction without correctedIndex",
        () => postMilestone(carrier.token, milestone("t11", "Correction", "KEMBA")),
        400,
        "INVALID_REQUEST",
      ],
    ];
    for (const [name, send, status, code] of cases) {
      it(`answers ${status} ${code} for ${name}`, async function () {
        const response = await send();
        expect(response.status).to.equal(status);
        expect(response.body.error?.code).to.equal(code);
      });
    }

    it("lists zod issues with their paths", async function () {
      const response = await postMilestone(carrier.token, {
        ...milestone("t12", "Incident", "KEMB"),
        occurredAt: "yesterday",
      });
      const paths = (response.body.error?.details as Array<{ path: string }>).map((d) => d.path).sort();
      expect(paths).to.deep.equal(["location", "occurredAt"]);
    });
  });

  describe("roles and keys", function () {
    it("answers 403 FORBIDDEN to a reader key posting a milestone", async function () {
      const reader = await api.post("/v1/admin/api-keys", admin, {
        organizationId: carrier.id,
        role: "reader",
        label: "dashboard",
      });
      const response = await postMilestone(reader.body.token as string, milestone(nextId("r"), "Incident", "KEMBA"));
      expect(response.status).to.equal(403);
      expect(response.body.error?.code).to.equal("FORBIDDEN");
    });

    it("answers 401 to a revoked API key", async function () {
      const issued = await api.post("/v1/admin/api-keys", admin, {
        organizationId: carrier.id,
        role: "submitter",
        label: "old system",
      });
      const revoked = await api.request("DELETE", `/v1/admin/api-keys/${issued.body.keyId as string}`, admin);
      expect(revoked.body.revokedAt).to.be.a("string");
      const response = await postMilestone(issued.body.token as string, milestone(nextId("r"), "Incident", "KEMBA"));
      expect(response.status).to.equal(401);
    });

    it("does not let an organization's admin key issue keys for another organization", async function () {
      const orgAdmin = await api.post("/v1/admin/api-keys", admin, {
        organizationId: carrier.id,
        role: "admin",
        label: "carrier admin",
      });
      const response = await api.post("/v1/admin/api-keys", orgAdmin.body.token as string, {
        organizationId: kenyaCustoms.id,
        role: "submitter",
        label: "x",
      });
      expect(response.status).to.equal(403);
    });

    it("never stores or lists an API key's secret", async function () {
      const list = await api.get("/v1/admin/api-keys", admin);
      expect(list.text).to.not.include(carrier.token.split("_")[2]);
      expect(list.text).to.not.include("secretHash");
    });
  });

  describe("client-signed milestones", function () {
    // On the embedded chain the deployer holds the governance role.
    const governance = () => new Governance(node.deployment, new Wallet(ANVIL_DEPLOYER_KEY, node.client.provider));

    const clientSigned = (eventId: string, wallet: Wallet, prevHash: string) =>
      signMilestoneAsClient(node.deployment, wallet, { eventId, consignmentId, prevHash });

    it("relays a milestone the client signed with a key of its organization, unchanged", async function () {
      // The client holds its own key: governance adds it to Kenya customs on chain.
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      await governance().addSigner(kenyaCustoms.id, wallet.address);
      await waitForIdle();
      const head = (await node.client.readConsignment(consignmentId))!.head;
      const signed = await clientSigned(nextId("client"), wallet, head);
      const response = await postMilestone(kenyaCustoms.token, signed.body);
      expect(response.status, response.text).to.equal(202);
      const event = await api.settled(kenyaCustoms.token, signed.body.eventId);
      expect(event.state).to.equal("recorded");
      expect(event.signer).to.equal(wallet.address);
      expect(event.digest).to.equal(signed.digest);
      // The same signature under another eventId no longer matches the document it signed.
      const replay = await postMilestone(kenyaCustoms.token, { ...signed.body, eventId: nextId("replay") });
      expect(replay.status).to.equal(422);
      expect(replay.body.error?.code).to.equal("SIGNATURE_MISMATCH");
      // A new milestone signed over the head before the recorded one is stale.
      const stale = await clientSigned(nextId("stale"), wallet, head);
      const staleResponse = await postMilestone(kenyaCustoms.token, stale.body);
      expect(staleResponse.status).to.equal(409);
      expect(staleResponse.body.error?.code).to.equal("STALE_HEAD");
    });

    it("answers 403 SIGNER_NOT_OF_ORGANIZATION when the signing key belongs to another organization", async function () {
      await waitForIdle();
      const head = (await node.client.readConsignment(consignmentId))!.head;
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      await governance().addSigner(ugandaCustoms.id, wallet.address);
      const signed = await clientSigned(nextId("foreign"), wallet, head);
      const response = await postMilestone(kenyaCustoms.token, signed.body);
      expect(response.status).to.equal(403);
      expect(response.body.error?.code).to.equal("SIGNER_NOT_OF_ORGANIZATION");
    });
  });

  async function waitForIdle() {
    const deadline = Date.now() + 20_000;
    while (node.store.pendingCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  describe("POST /v1/milestones:batch", function () {
    it("accepts a batch and records it chained in order", async function () {
      await waitForIdle();
      const items = [0, 1, 2].map((i) => ({
        consignmentId,
        ...milestone(nextId("batch"), "Incident", "KEMBA", { reading: i }),
      }));
      const response = await api.post("/v1/milestones:batch", carrier.token, { milestones: items });
      expect(response.status, response.text).to.equal(202);
      expect((response.body.milestones as unknown[]).length).to.equal(3);
      const events = [];
      for (const item of items) events.push(await api.settled(carrier.token, item.eventId));
      expect(events.map((e) => e.state)).to.deep.equal(["recorded", "recorded", "recorded"]);
      expect(events[1].prevHash).to.equal(events[0].digest);
      expect(events[2].prevHash).to.equal(events[1].digest);
    });

    it("refuses the whole batch when one item breaks a rule, naming its index", async function () {
      const good = { consignmentId, ...milestone(nextId("good"), "Incident", "KEMBA") };
      const bad = { consignmentId, ...milestone(nextId("bad"), "ExportCleared", "KEMAL") };
      const response = await api.post("/v1/milestones:batch", carrier.token, { milestones: [good, bad] });
      expect(response.status).to.equal(422);
      expect(response.body.error?.details).to.deep.include({ index: 1, rule: "KindNotAllowed" });
      expect((await api.get(`/v1/milestones/${good.eventId}`, carrier.token)).status).to.equal(404);
    });

    it("refuses more than 1,000 milestones with 400", async function () {
      const items = Array.from({ length: 1001 }, (_, i) => ({
        consignmentId,
        ...milestone(`over-${i}`, "Incident", "KEMBA"),
      }));
      const response = await api.request("POST", "/v1/milestones:batch", carrier.token, { milestones: items });
      expect([400, 413]).to.include(response.status);
    });
  });

  describe("logs", function () {
    it("never contain an API key, a signer key or the keystore passphrase", async function () {
      // A failing request with a key in the header, so that the request is logged at some level.
      await api.request("POST", "/v1/milestones:batch", carrier.token, "{broken");
      expect(logs.lines.length).to.be.greaterThan(5);
      const secrets = [admin, carrier.token, consignor.token, carrier.token.split("_")[2]];
      const passphrase = (await import("node:fs"))
        .readFileSync(`${environment.dataDir}/keystore-passphrase`, "utf8")
        .trim();
      secrets.push(passphrase);
      for (const secret of secrets) expect(logs.text).to.not.include(secret);
      expect(logs.text).to.not.match(/0x[0-9a-f]{64}"?,?\s*"?privateKey/i);
    });
  });

  describe("operations", function () {
    it("serves /healthz, /readyz with its checks, /metrics and an OpenAPI 3.1 description", async function () {
      expect((await api.get("/healthz")).status).to.equal(200);
      const ready = await api.get("/readyz");
      expect(ready.status).to.equal(200);
      expect(Object.keys(ready.body.checks as object)).to.deep.equal(["store", "chain", "submitter", "index"]);
      const metrics = await api.get("/metrics");
      expect(metrics.text).to.include("ledger_events_accepted_total");
      expect(metrics.text).to.include("ledger_events_recorded_total");
      expect(metrics.text).to.include("ledger_outbox_depth");
      expect(metrics.text).to.include("ledger_accept_to_record_seconds");
      expect(metrics.text).to.include("ledger_gas_per_event");
      const openapi = await api.get("/openapi.json");
      expect(openapi.body.openapi).to.equal("3.1.0");
      const paths = openapi.body.paths as Record<
        string,
        { post?: { requestBody?: { content: Record<string, { schema: { properties?: object } }> } } }
      >;
      const schema =
        paths["/v1/consignments/{consignmentId}/milestones"].post!.requestBody!.content["application/json"].schema;
      expect(Object.keys(schema.properties ?? {})).to.include.members([
        "eventId",
        "kind",
        "location",
        "occurredAt",
        "payload",
      ]);
    });
  });
});
