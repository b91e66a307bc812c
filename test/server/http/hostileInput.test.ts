/**
 * Generated hostile and malformed requests against every route (fast-check): no input may produce a 500, every
 * error carries a documented code, and the node stays responsive. The SSE stream is left out (a valid request stays
 * open); its bad parameters are tested in federationRoutes.test.ts. npm test runs HOSTILE_RUNS (default 1,500)
 * requests; npm run test:reliability runs 10,000.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ERROR_CODES } from "../../../server/errors";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";

const RUNS = Number(process.env.HOSTILE_RUNS ?? 1500);

describe("hostile and malformed input (generated)", function () {
  this.timeout(300_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let tokens: Record<string, string>;
  let consignmentId: string;

  before(async function () {
    environment = await testNodeEnvironment({ MAX_BODY_BYTES: "65536", PUBLIC_REQUESTS_PER_MINUTE: "1000000" });
    node = await startTestNode(environment);
    const api = new NodeClient(node.url);
    const admin = node.bootstrapToken!;
    const consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    const reader = await api.post("/v1/admin/api-keys", admin, {
      organizationId: consignor.id,
      role: "reader",
      label: "reader",
    });
    const registered = await api.post("/v1/consignments", consignor.token, {
      eventId: "seed",
      reference: "KE2026REL-FUZZ",
      originCountry: "KE",
      destinationCountry: "UG",
      location: "KEMBA",
      occurredAt: isoNow(-10),
    });
    consignmentId = registered.body.consignmentId as string;
    await api.settled(consignor.token, "seed");
    tokens = { admin, submitter: consignor.token, reader: reader.body.token as string };
  });

  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  it(`answers ${RUNS} generated requests without a 500, each error with a documented code`, async function () {
    const statuses = new Map<number, number>();
    const idLike = fc.oneof(
      fc.constant(() => consignmentId),
      fc.constant(() => "0x" + "ab".repeat(32)),
      fc.string({ maxLength: 80 }).map((s) => () => encodeURIComponent(s)),
      fc.constant(() => "%E0%A4%A"),
      fc.constant(() => "..%2F..%2Fetc%2Fpasswd"),
    );
    // Query strings for GET /v1/milestones: known parameters with good and bad values, unknown ones, repeats.
    const queryValue = fc.oneof(
      fc.constantFrom("Held,Released", "Flying", "KEMBA", "kemba", "KE", "KEN", "4", "-1", "relief,medical", "x"),
      fc.constantFrom("2026-11-20T00:00:00Z", "yesterday", "2026-13-01T00:00:00Z", "0", "1000", "100000"),
      fc.string({ maxLength: 60 }),
    );
    const queryKey = fc.oneof(
      fc.constantFrom(
        "kind",
        "location",
        "country",
        "organization",
        "flags",
        "consignment",
        "occurredFrom",
        "occurredTo",
        "recordedFrom",
        "recordedTo",
        "limit",
        "cursor",
      ),
      fc.string({ maxLength: 20 }),
    );
    const query = fc
      .array(fc.tuple(queryKey, queryValue), { maxLength: 6 })
      .map((pairs) => () => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"));
    const path = fc.oneof(
      fc.constant(() => "/v1/consignments"),
      idLike.map((id) => () => `/v1/consignments/${id()}/milestones`),
      idLike.map((id) => () => `/v1/consignments/${id()}`),
      idLike.map((id) => () => `/v1/consignments/${id()}/evidence`),
      fc.constant(() => "/v1/milestones:batch"),
      idLike.map((id) => () => `/v1/milestones/${id()}`),
      fc.constant(() => "/v1/verify"),
      fc.constant(() => "/v1/admin/organizations"),
      fc.constant(() => "/v1/admin/api-keys"),
      idLike.map((id) => () => `/v1/admin/api-keys/${id()}`),
      idLike.map((id) => () => `/v1/admin/organizations/${id()}/signers`),
      idLike.map((id) => () => `/c/${id()}`),
      query.map((q) => () => `/v1/milestones?${q()}`),
      fc.constant(() => "/v1/subscriptions"),
      idLike.map((id) => () => `/v1/subscriptions/${id()}`),
      idLike.map((id) => () => `/v1/subscriptions/${id()}/enable`),
      fc.constant(() => "/v1/organizations"),
      fc.tuple(idLike, idLike).map(
        ([id, hash]) =>
          () =>
            `/v1/consignments/${id()}/documents/${hash()}`,
      ),
      fc.tuple(idLike, idLike).map(
        ([id, hash]) =>
          () =>
            `/v1/peer/consignments/${id()}/documents/${hash()}`,
      ),
      fc.constant(() => "/v1/warnings"),
      idLike.map((id) => () => `/v1/warnings/${id()}`),
      fc.constant(() => "/v1/emergencies?active=maybe"),
      fc.constant(() => "/v1/admin/emergencies"),
      idLike.map((id) => () => `/v1/admin/emergencies/${id()}/end`),
      query.map((q) => () => `/v1/alerts?${q()}`),
      fc.constant(() => "/v1/alerts?factor=DWELL_OVER_TARGET,NOPE&state=open&limit=0"),
      idLike.map((id) => () => `/v1/alerts/${id()}/acknowledge`),
      idLike.map((id) => () => `/v1/consignments/${id()}/risk`),
      fc.string({ maxLength: 40 }).map((s) => () => `/${encodeURIComponent(s)}`),
    );
    const jsonish = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({
        eventId: fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.constant("ok-id")),
        kind: fc.oneof(fc.constantFrom("Dispatched", "Correction", "Registered", "ExportCleared"), fc.string()),
        location: fc.oneof(
          fc.constantFrom("KEMBA", "UGKLA", "kemba", "KEMB1", "XXAAA", "KE MBA", "KEMBAA", "ＫＥＭＢＡ", "KEMB\u0000"),
          fc.string({ maxLength: 10 }),
        ),
        occurredAt: fc.oneof(
          fc.constant(isoNow(-5)),
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.constantFrom("2026-02-30T00:00:00Z", "2026-11-28", "2026-11-28T25:00:00Z", "+275760-09-13T00:00:00.000Z"),
          fc.constantFrom("1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-11-28T10:00:00+14:00", ""),
          fc.integer(),
        ),
        payload: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant({})),
        correctedIndex: fc.option(fc.oneof(fc.integer(), fc.double())),
        reference: fc.option(fc.string({ maxLength: 80 })),
        originCountry: fc.option(fc.constantFrom("KE", "ke", "K", "")),
        destinationCountry: fc.option(fc.constantFrom("UG", "ug")),
        milestones: fc.option(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 })),
        warningId: fc.option(fc.oneof(fc.string({ maxLength: 140 }), fc.constant("w-1"))),
        severity: fc.option(fc.constantFrom("Severe", "severe", "Apocalyptic", "")),
        countries: fc.option(fc.array(fc.constantFrom("KE", "ke", "KEN", ""), { maxLength: 70 })),
        locations: fc.option(fc.array(fc.constantFrom("UGTOR", "UGTO1", "x"), { maxLength: 3 })),
        validFrom: fc.option(fc.constantFrom(isoNow(-5), "2026-13-01T00:00:00Z", "")),
        validUntil: fc.option(fc.constantFrom(isoNow(3600), isoNow(-3600), "soon")),
        startsAt: fc.option(fc.constantFrom(isoNow(-5), "x")),
        note: fc.option(fc.string({ maxLength: 2000 })),
      }),
    );
    const body = fc.oneof(
      jsonish.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc
        .integer({ min: 1, max: 200_000 })
        .map((n) => JSON.stringify({ milestones: Array.from({ length: n }, () => 1) })),
      fc.integer({ min: 1_000, max: 300_000 }).map((n) => JSON.stringify({ eventId: "x".repeat(n) })),
      fc.constant(JSON.stringify({ payload: { s: "\uD83D\uDE00".repeat(1000) + "\u202E\u200B\uFEFF" } })),
      fc.constant('{"eventId":'),
      fc.constant("[".repeat(5000) + "]".repeat(5000)),
      fc.constant('{"a":' + '{"a":'.repeat(2000) + "1" + "}".repeat(2001)),
      fc.constant(JSON.stringify({ s: "\u0000\uD800\uFFFF" + "é".repeat(100) })),
      fc.constant(undefined),
    );
    const auth = fc.constantFrom<() => string | undefined>(
      () => undefined,
      () => `Bearer ${tokens.admin}`,
      () => `Bearer ${tokens.submitter}`,
      () => `Bearer ${tokens.reader}`,
      () => "Bearer clk_0000000000000000_" + "x".repeat(43),
      () => `Basic ${tokens.submitter}`,
      () => "Bearer",
      () => "Bearer a b c",
      () => "LedgerPeer " + Buffer.from('{"organizationId":1}').toString("base64url"),
      () => "LedgerPeer !!!",
    );
    const contentType = fc.constantFrom(
      undefined,
      "application/json",
      "text/plain",
      "application/json; charset=latin1",
      "application/x-www-form-urlencoded",
      "application/json; charset=utf-16",
    );
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH");
    // Header abuse beyond auth and content type: oversized (over Node's 16 KiB), odd, repeated-looking.
    const extraHeaders = fc.oneof(
      { arbitrary: fc.constant({}), weight: 12 },
      fc.integer({ min: 17_000, max: 40_000 }).map((n) => ({ "x-padding": "a".repeat(n) })),
      fc.constant({ "content-length-extra": "1", accept: "*/*;q=abc", "if-none-match": '"' + "W/".repeat(500) }),
      fc.constant({ "idempotency-key": "\u00ff".repeat(100), "x-forwarded-for": "999.999.999.999" }),
    );

    await fc.assert(
      fc.asyncProperty(method, path, body, auth, contentType, extraHeaders, async (m, p, b, a, ct, extra) => {
        const headers: Record<string, string> = { ...extra };
        const authorization = a();
        if (authorization) headers.authorization = authorization;
        if (ct) headers["content-type"] = ct;
        const hasBody = b !== undefined && m !== "GET";
        const response = await fetch(node.url + p(), { method: m, headers, body: hasBody ? b : undefined });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, `${m} ${p()} -> ${text.slice(0, 300)}`).to.be.below(500);
        if (response.status >= 400) {
          const parsed = JSON.parse(text) as { error: { code: string } };
          expect(Object.keys(ERROR_CODES), text).to.include(parsed.error.code);
        }
      }),
      { numRuns: RUNS },
    );
    console.log("      statuses:", JSON.stringify(Object.fromEntries([...statuses].sort())));
    // Still responsive after all of it: a health check and a real read answer.
    expect((await fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status).to.equal(200);
    const history = await fetch(`${node.url}/v1/consignments/${consignmentId}`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(history.status).to.equal(200);
  });
});
