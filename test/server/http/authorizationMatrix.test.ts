/**
 * Every route against every kind of caller: no key, a revoked key, the submitter, reader and admin keys of
 * organization A, the submitter and admin keys of organization B, the node operator, and an auditor (an
 * organization-0 reader). A key never acts for another organization.
 */
import { expect } from "chai";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { alertOf } from "../../../server/domain/alerts";

type Role = "none" | "revoked" | "submitterA" | "readerA" | "adminA" | "submitterB" | "adminB" | "operator" | "auditor";
const ROLES: Role[] = [
  "none",
  "revoked",
  "submitterA",
  "readerA",
  "adminA",
  "submitterB",
  "adminB",
  "operator",
  "auditor",
];

describe("authorization matrix: every route x every role", function () {
  this.timeout(180_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  const tokens = {} as Record<Role, string | undefined>;
  let orgA: number;
  let orgB: number;
  let consignmentA: string;
  let keyIdOfA: string;
  let documentOfA: string;
  let subscriptionOfA: string;
  let alertOfA: string;
  let counter = 0;

  before(async function () {
    environment = await testNodeEnvironment();
    node = await startTestNode(environment);
    api = new NodeClient(node.url);
    const operator = node.bootstrapToken!;
    const a = await api.member(operator, "AidOrganization", "KE", "Organization A");
    const b = await api.member(operator, "AidOrganization", "UG", "Organization B");
    orgA = a.id;
    orgB = b.id;
    const issue = async (organizationId: number, role: string) =>
      (await api.post("/v1/admin/api-keys", operator, { organizationId, role, label: `${organizationId} ${role}` }))
        .body;
    const revoked = await issue(orgA, "submitter");
    await api.request("DELETE", `/v1/admin/api-keys/${revoked.keyId as string}`, operator);
    const spare = await issue(orgA, "reader");
    keyIdOfA = spare.keyId as string;
    Object.assign(tokens, {
      none: undefined,
      revoked: revoked.token,
      submitterA: a.token,
      readerA: (await issue(orgA, "reader")).token,
      adminA: (await issue(orgA, "admin")).token,
      submitterB: b.token,
      adminB: (await issue(orgB, "admin")).token,
      operator,
      auditor: (await issue(0, "reader")).token,
    });
    const registered = await api.post("/v1/consignments", a.token, {
      eventId: "a-registration",
      reference: "KE2026REL-MATRIX",
      originCountry: "KE",
      destinationCountry: "UG",
      location: "KEMBA",
      occurredAt: isoNow(-30),
      payload: { declaration: "secret-declaration-number" },
    });
    consignmentA = registered.body.consignmentId as string;
    documentOfA = (await api.settled(a.token, "a-registration")).payloadHash as string;
    subscriptionOfA = (await api.post("/v1/subscriptions", a.token, { url: "http://127.0.0.1:9/a-hook" })).body
      .id as string;
    // An alert about A's consignment, as the risk monitor raises one (its audience: A).
    const hold = {
      factor: "HOLD_HISTORY" as const,
      points: 10,
      evidence: ["x"],
      detail: "Held at KEMBA",
      cause: "hold:x",
    };
    [{ alertId: alertOfA }] = await node.alerts.raise([alertOf(consignmentA, hold, [orgA], new Date())]);
  });

  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  const registration = () => ({
    eventId: `reg-${++counter}`,
    reference: `KE2026REL-MATRIX-${counter}`,
    originCountry: "KE",
    destinationCountry: "UG",
    location: "KEMBA",
    occurredAt: isoNow(-5),
  });
  const milestone = () => ({
    eventId: `m-${++counter}`,
    kind: "Dispatched",
    location: "KEMBA",
    occurredAt: isoNow(-5),
  });

  const routes: Array<{
    name: string;
    send: (token?: string) => Promise<{ status: number; body: Record<string, unknown> }>;
    expect: Record<Role, number>;
  }> = [
    {
      name: "POST /v1/consignments",
      send: (t) => api.post("/v1/consignments", t, registration()),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 202,
        readerA: 403,
        adminA: 202,
        submitterB: 202,
        adminB: 202,
        operator: 403,
        auditor: 403,
      },
    },
    {
      name: "POST /v1/consignments/:A/milestones (A's consignment)",
      send: (t) => api.post(`/v1/consignments/${consignmentA}/milestones`, t, milestone()),
      // B is not a party to A's consignment: the contract's rule refuses it before it costs gas.
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 202,
        readerA: 403,
        adminA: 202,
        submitterB: 422,
        adminB: 422,
        operator: 403,
        auditor: 403,
      },
    },
    {
      name: "POST /v1/milestones:batch (A's consignment)",
      send: (t) =>
        api.post("/v1/milestones:batch", t, { milestones: [{ consignmentId: consignmentA, ...milestone() }] }),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 202,
        readerA: 403,
        adminA: 202,
        submitterB: 422,
        adminB: 422,
        operator: 403,
        auditor: 403,
      },
    },
    {
      name: "GET /v1/milestones/:eventId (A's event)",
      send: (t) => api.get("/v1/milestones/a-registration", t),
      // Event ids are namespaced per organization: to B, A's event does not exist.
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 200,
        readerA: 200,
        adminA: 200,
        submitterB: 404,
        adminB: 404,
        operator: 403,
        auditor: 403,
      },
    },
    {
      name: "GET /v1/consignments/:A (public summary)",
      send: (t) => api.get(`/v1/consignments/${consignmentA}`, t),
      expect: {
        none: 200,
        revoked: 401,
        submitterA: 200,
        readerA: 200,
        adminA: 200,
        submitterB: 200,
        adminB: 200,
        operator: 200,
        auditor: 200,
      },
    },
    {
      name: "GET /v1/admin/organizations",
      send: (t) => api.get("/v1/admin/organizations", t),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 403,
        readerA: 403,
        adminA: 403,
        submitterB: 403,
        adminB: 403,
        operator: 200,
        auditor: 403,
      },
    },
    {
      name: "POST /v1/admin/api-keys for A",
      send: (t) => api.post("/v1/admin/api-keys", t, { organizationId: orgA, role: "reader", label: "matrix" }),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 403,
        readerA: 403,
        adminA: 201,
        submitterB: 403,
        adminB: 403,
        operator: 201,
        auditor: 403,
      },
    },
    {
      name: "POST /v1/admin/organizations/:A/signers (rotate A's key)",
      send: (t) => api.post(`/v1/admin/organizations/${orgA}/signers`, t, {}),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 403,
        readerA: 403,
        adminA: 201,
        submitterB: 403,
        adminB: 403,
        operator: 201,
        auditor: 403,
      },
    },
    {
      name: "GET /v1/admin/api-keys",
      send: (t) => api.get("/v1/admin/api-keys", t),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 403,
        readerA: 403,
        adminA: 200,
        submitterB: 403,
        adminB: 200,
        operator: 200,
        auditor: 403,
      },
    },
  ];

  const row = (none: number, revoked: number, a: number, b: number, operator: number, auditor: number) => ({
    none,
    revoked,
    submitterA: a,
    readerA: a,
    adminA: a,
    submitterB: b,
    adminB: b,
    operator,
    auditor,
  });
  routes.push(
    {
      name: "GET /v1/milestones?consignment=:A (the index, public chain facts)",
      send: (t) => api.get(`/v1/milestones?consignment=${consignmentA}`, t),
      expect: row(401, 401, 200, 200, 200, 200),
    },
    {
      name: "GET /v1/organizations (the directory)",
      send: (t) => api.get("/v1/organizations", t),
      expect: row(200, 200, 200, 200, 200, 200),
    },
    {
      name: "GET /v1/consignments/:A/documents/:hash (A's registration document)",
      send: (t) => api.get(`/v1/consignments/${consignmentA}/documents/${documentOfA}`, t),
      expect: row(401, 401, 200, 403, 200, 200),
    },
    {
      name: "GET /v1/peer/consignments/:A/documents/:hash with an API key (not a peer credential)",
      send: (t) => api.get(`/v1/peer/consignments/${consignmentA}/documents/${documentOfA}`, t),
      expect: row(401, 401, 401, 401, 401, 401),
    },
    {
      name: "POST /v1/subscriptions",
      send: (t) => api.post("/v1/subscriptions", t, { url: "http://127.0.0.1:9/hook" }),
      expect: row(401, 401, 201, 201, 201, 201),
    },
    {
      name: "GET /v1/alerts",
      send: (t) => api.get("/v1/alerts", t),
      expect: row(401, 401, 200, 200, 200, 200),
    },
    {
      name: "POST /v1/alerts/:id/acknowledge (an alert about A's consignment)",
      send: (t) => api.post(`/v1/alerts/${alertOfA}/acknowledge`, t, {}),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 200,
        readerA: 403,
        adminA: 200,
        submitterB: 404,
        adminB: 404,
        operator: 200,
        auditor: 403,
      },
    },
    {
      name: "GET /v1/consignments/:A/risk",
      send: (t) => api.get(`/v1/consignments/${consignmentA}/risk`, t),
      expect: row(200, 401, 200, 200, 200, 200),
    },
    {
      name: "POST /v1/warnings (A and B are aid organizations, not agencies)",
      send: (t) =>
        api.post("/v1/warnings", t, {
          warningId: `w-${++counter}`,
          kind: "Flood",
          severity: "Moderate",
          countries: ["KE"],
          validFrom: isoNow(-5),
          validUntil: isoNow(3600),
        }),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 403,
        readerA: 403,
        adminA: 403,
        submitterB: 403,
        adminB: 403,
        operator: 403,
        auditor: 403,
      },
    },
    {
      name: "GET /v1/warnings/:id (nobody here posted one)",
      send: (t) => api.get("/v1/warnings/none-posted", t),
      expect: row(401, 401, 404, 404, 404, 404),
    },
    {
      name: "GET /v1/warnings and GET /v1/emergencies (public)",
      send: async (t) => {
        const warnings = await api.get("/v1/warnings", t);
        return warnings.status === 200 ? api.get("/v1/emergencies", t) : warnings;
      },
      expect: row(200, 200, 200, 200, 200, 200),
    },
    {
      name: "POST /v1/admin/emergencies",
      send: (t) =>
        api.post("/v1/admin/emergencies", t, {
          reference: `EMERGENCY-MATRIX-${++counter}`,
          countries: ["UG"],
          startsAt: isoNow(-5),
          document: { title: "matrix" },
        }),
      expect: {
        none: 401,
        revoked: 401,
        submitterA: 403,
        readerA: 403,
        adminA: 403,
        submitterB: 403,
        adminB: 403,
        operator: 201,
        auditor: 403,
      },
    },
    {
      name: "GET /v1/subscriptions/:id (A's subscription)",
      send: (t) => api.get(`/v1/subscriptions/${subscriptionOfA}`, t),
      expect: row(401, 401, 200, 404, 200, 200),
    },
  );

  for (const route of routes) {
    it(`${route.name}: ${ROLES.map((r) => `${r} ${route.expect[r]}`).join(", ")}`, async function () {
      const actual: Record<string, number> = {};
      for (const role of ROLES) actual[role] = (await route.send(tokens[role])).status;
      expect(actual).to.deep.equal(route.expect);
    });
  }

  it("never shows a webhook secret after creation, to anyone", async function () {
    for (const role of ROLES) {
      const one = await api.get(`/v1/subscriptions/${subscriptionOfA}`, tokens[role]);
      const all = await api.get("/v1/subscriptions", tokens[role]);
      expect(one.text + all.text, role).to.not.include("whsec_");
    }
  });

  it("lists and revokes only the caller's own organization's API keys (B cannot see or revoke A's)", async function () {
    const seenByB = (await api.get("/v1/admin/api-keys", tokens.adminB)).body.apiKeys as Array<{
      organizationId: number;
    }>;
    expect(seenByB.every((k) => k.organizationId === orgB)).to.equal(true);
    expect((await api.request("DELETE", `/v1/admin/api-keys/${keyIdOfA}`, tokens.adminB)).status).to.equal(404);
    expect((await api.request("DELETE", `/v1/admin/api-keys/${keyIdOfA}`, tokens.adminA)).status).to.equal(200);
  });

  it("shows A's documents to A and to auditors, never to B or the public", async function () {
    const documentOf = async (role: Role) => {
      const view = await api.get(`/v1/consignments/${consignmentA}/milestones`, tokens[role]);
      return (view.body.milestones as Array<{ document?: unknown }>)[0].document;
    };
    expect(await documentOf("submitterA")).to.deep.include({ eventId: "a-registration" });
    expect(await documentOf("readerA")).to.deep.include({ eventId: "a-registration" });
    expect(await documentOf("auditor")).to.deep.include({ eventId: "a-registration" });
    expect(await documentOf("submitterB")).to.equal(undefined);
    expect(await documentOf("none")).to.equal(undefined);
    const publicBundle = await api.get(`/v1/consignments/${consignmentA}/evidence`);
    expect(JSON.stringify(publicBundle.body)).to.not.include("secret-declaration-number");
  });
});
