/**
 * Risk, alerts, warnings and emergencies through a real node (LevelDB, anvil, HTTP), with release targets of
 * seconds so the clock can pass them inside a test: a held relief consignment past its target raises exactly one
 * alert; a cold-chain excursion raises one; an agency's warning flags the consignments on its route and not the
 * others; alerts reach the stream, are acknowledged by those they concern and hidden from others; an emergency puts
 * the consignment in the priority lane, on its page too.
 */
import { expect } from "chai";
import { NodeClient, isoNow, removeDataDir, startTestNode, testNodeEnvironment } from "../../support/nodeHarness";
import type { TestNodeEnvironment } from "../../support/nodeHarness";
import type { RunningNode } from "../../../server/ledgerNode";
import { readEvents } from "../../support/sseClient";

/** The relief release target: 0.002 h is 7.2 s. */
const RELIEF_TARGET_HOURS = 0.002;

describe("risk, alerts, warnings and emergencies (real node)", function () {
  this.timeout(180_000);
  let environment: TestNodeEnvironment;
  let node: RunningNode;
  let api: NodeClient;
  let admin: string;
  let consignor: { id: number; token: string };
  let carrier: { id: number; token: string };
  let ugandaCustoms: { id: number; token: string };
  let agency: { id: number; token: string };
  let outsider: { id: number; token: string };
  let onRoute: string;
  let elsewhere: string;

  before(async function () {
    environment = await testNodeEnvironment({
      RISK_RELIEF_RELEASE_HOURS: String(RELIEF_TARGET_HOURS),
      RISK_EMERGENCY_RELEASE_HOURS: "0.001",
      RISK_INTERVAL_MS: "300",
    });
    node = await startTestNode(environment);
    api = new NodeClient(node.url);
    admin = node.bootstrapToken!;
    consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    carrier = await api.member(admin, "Carrier", "KE", "Northern Corridor Haulage");
    ugandaCustoms = await api.member(admin, "Customs", "UG", "Uganda Revenue Authority");
    agency = await api.member(admin, "Agency", "KE", "Kenya Meteorological Department");
    outsider = await api.member(admin, "Customs", "TZ", "Tanzania Revenue Authority");
    onRoute = await register("ROUTE-1", ["KEMBA", "KEMAL", "UGTOR", "UGKLA"], "UG");
    elsewhere = await register("ROUTE-2", ["KEMBA", "KENBO"], "KE");
  });

  after(async function () {
    await node?.stop();
    if (environment) removeDataDir(environment);
  });

  async function register(reference: string, route: string[], destination: string): Promise<string> {
    const response = await api.post("/v1/consignments", consignor.token, {
      eventId: reference,
      reference,
      originCountry: "KE",
      destinationCountry: destination,
      flags: { relief: true, medical: true, coldChain: true },
      location: "KEMBA",
      occurredAt: isoNow(-60),
      payload: { packages: 40, route, temperatureRange: [2, 8] },
    });
    expect(response.status, response.text).to.equal(202);
    await api.settled(consignor.token, reference);
    return response.body.consignmentId as string;
  }

  async function post(
    token: string,
    consignmentId: string,
    eventId: string,
    kind: string,
    location: string,
    payload = {},
  ) {
    const response = await api.post(`/v1/consignments/${consignmentId}/milestones`, token, {
      eventId,
      kind,
      location,
      occurredAt: isoNow(-1),
      payload,
    });
    expect(response.status, response.text).to.equal(202);
    return api.settled(token, eventId);
  }

  async function alertsOf(consignmentId: string, token = consignor.token) {
    const response = await api.get(`/v1/alerts?consignment=${consignmentId}`, token);
    expect(response.status, response.text).to.equal(200);
    return response.body.alerts as Array<{
      alertId: string;
      factor: string;
      evidence: string[];
      state: string;
      raisedAt: string;
    }>;
  }

  async function waitForAlert(consignmentId: string, factor: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await alertsOf(consignmentId)).filter((a) => a.factor === factor);
      if (found.length) return found;
      if (Date.now() > deadline) throw new Error(`no ${factor} alert for ${consignmentId}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("raises exactly one alert for a relief consignment held past its release target", async function () {
    await post(ugandaCustoms.token, onRoute, "arrived", "ArrivedAtBorder", "UGTOR");
    await post(ugandaCustoms.token, onRoute, "held", "Held", "UGTOR", { reason: "documents incomplete" });
    expect(await waitForAlert(onRoute, "HOLD_HISTORY")).to.have.length(1);
    const [dwell] = await waitForAlert(onRoute, "DWELL_OVER_TARGET");
    const arrival = (await node.index.milestonesOf(onRoute))[1];
    expect(dwell.evidence).to.deep.equal([arrival.position]);
    // Many more passes (every 300 ms), and one more milestone: still exactly one alert for that wait.
    await new Promise((r) => setTimeout(r, 2_000));
    await post(ugandaCustoms.token, onRoute, "released", "Released", "UGTOR");
    await node.riskMonitor.runOnce();
    expect((await alertsOf(onRoute)).filter((a) => a.factor === "DWELL_OVER_TARGET")).to.have.length(1);
  });

  it("raises one alert for a cold-chain temperature excursion, naming its milestone", async function () {
    const reading = await post(carrier.token, onRoute, "reading-hot", "Incident", "UGTOR", { temperatureC: 12.5 });
    const [excursion] = await waitForAlert(onRoute, "TEMPERATURE_EXCURSION");
    const position = (await node.index.milestonesOf(onRoute)).find(
      (m) => m.milestone.payloadHash === reading.payloadHash,
    )!.position;
    expect(excursion.evidence).to.deep.equal([position]);
    await post(carrier.token, onRoute, "reading-ok", "Incident", "UGTOR", { temperatureC: 5 });
    await node.riskMonitor.runOnce();
    expect((await alertsOf(onRoute)).filter((a) => a.factor === "TEMPERATURE_EXCURSION")).to.have.length(1);
  });

  it("anchors an agency's warning and flags the consignments on its route, not the others", async function () {
    const warning = {
      warningId: "KMD-CYCLONE-1",
      kind: "Cyclone",
      severity: "Severe",
      locations: ["UGTOR"],
      validFrom: isoNow(-60),
      validUntil: isoNow(3600),
      payload: { headline: "Border post closed by flooding" },
    };
    expect((await api.post("/v1/warnings", carrier.token, warning)).status).to.equal(403);
    const posted = await api.post("/v1/warnings", agency.token, warning);
    expect(posted.status, posted.text).to.equal(202);
    expect((await api.post("/v1/warnings", agency.token, { ...warning, severity: "Minor" })).body.error?.code).to.equal(
      "IDEMPOTENCY_CONFLICT",
    );
    const deadline = Date.now() + 20_000;
    while ((await api.get("/v1/warnings/KMD-CYCLONE-1", agency.token)).body.state !== "published") {
      if (Date.now() > deadline) throw new Error("the warning was never published");
      await new Promise((r) => setTimeout(r, 200));
    }
    const [flagged] = await waitForAlert(onRoute, "WARNING_ON_ROUTE");
    expect(flagged.evidence).to.deep.equal([posted.body.chainWarningId]);
    const listed = (await api.get("/v1/warnings?active=true")).body.warnings as Array<{ warningId: string }>;
    expect(listed.map((w) => w.warningId)).to.deep.equal([posted.body.chainWarningId]);
    await node.riskMonitor.runOnce();
    expect((await alertsOf(elsewhere)).map((a) => a.factor)).to.not.include("WARNING_ON_ROUTE");
  });

  it("streams alerts to those they concern, lets them acknowledge, and hides them from everyone else", async function () {
    const visible = [...(await alertsOf(onRoute)), ...(await alertsOf(elsewhere))];
    const streamed = await readEvents(
      `${node.url}/v1/stream?after=0&events=alert.raised`,
      consignor.token,
      visible.length,
      undefined,
      5_000,
    );
    expect(streamed.every((e) => e.event === "alert.raised")).to.equal(true);
    expect(streamed.map((e) => (e.data.alert as { alertId: string }).alertId).sort()).to.deep.equal(
      visible.map((a) => a.alertId).sort(),
    );
    const [first] = await alertsOf(onRoute);
    expect(await alertsOf(onRoute, outsider.token)).to.deep.equal([]);
    const refused = await api.post(`/v1/alerts/${first.alertId}/acknowledge`, outsider.token, {});
    expect(refused.status).to.equal(404);
    expect(refused.body.error?.code).to.equal("ALERT_NOT_FOUND");
    const acknowledged = await api.post(`/v1/alerts/${first.alertId}/acknowledge`, ugandaCustoms.token, {
      note: "documents received, released",
    });
    expect(acknowledged.status, acknowledged.text).to.equal(200);
    expect(acknowledged.body).to.deep.include({ state: "acknowledged" });
    expect((acknowledged.body.acknowledged as { organizationId: number }).organizationId).to.equal(ugandaCustoms.id);
    const open = (await api.get(`/v1/alerts?consignment=${onRoute}&state=open`, consignor.token)).body
      .alerts as unknown[];
    expect(open.length).to.equal((await alertsOf(onRoute)).length - 1);
    const risk = await api.get(`/v1/consignments/${onRoute}/risk`);
    expect(risk.status).to.equal(200);
    expect(risk.body.score).to.be.greaterThan(0);
    expect(JSON.stringify(risk.body)).to.not.include("12.5"); // details quote documents: not for the public
    const involved = await api.get(`/v1/consignments/${onRoute}/risk`, consignor.token);
    expect(JSON.stringify(involved.body)).to.include("12.5");
  });

  it("puts relief consignments on a route under an emergency in the priority lane, on their page too", async function () {
    const declared = await api.post("/v1/admin/emergencies", admin, {
      reference: "EMERGENCY-UG-2026-1",
      countries: ["UG"],
      startsAt: isoNow(-60),
      document: { title: "Floods in eastern Uganda", declaredBy: "EAC secretariat" },
    });
    expect(declared.status, declared.text).to.equal(201);
    expect((await api.post("/v1/admin/emergencies", consignor.token, {})).status).to.equal(403);
    const deadline = Date.now() + 10_000;
    let risk;
    do {
      await new Promise((r) => setTimeout(r, 200));
      risk = (await api.get(`/v1/consignments/${onRoute}/risk`)).body;
    } while (risk.priority !== "emergency" && Date.now() < deadline);
    expect(risk).to.deep.include({ priority: "emergency", releaseTargetHours: 0.001 });
    expect((await api.get(`/v1/consignments/${elsewhere}/risk`)).body.priority).to.equal("relief");
    const page = await api.get(`/c/${onRoute}`);
    expect(page.text).to.match(/id="emergency">Emergency declared over UG: priority lane/);
    expect(page.text).to.include('data-factor="TEMPERATURE_EXCURSION"');
    const listed = (await api.get("/v1/emergencies?active=true")).body.emergencies as Array<{ emergencyId: string }>;
    expect(listed.map((e) => e.emergencyId)).to.deep.equal([declared.body.emergencyId]);
    const ended = await api.post("/v1/admin/emergencies/EMERGENCY-UG-2026-1/end", admin, {});
    expect(ended.status, ended.text).to.equal(200);
    const again = await api.post("/v1/admin/emergencies/EMERGENCY-UG-2026-1/end", admin, {});
    expect(again.body.error?.code).to.equal("INVALID_EMERGENCY");
    const unknown = await api.post("/v1/admin/emergencies/EMERGENCY-NEVER/end", admin, {});
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error?.code).to.equal("EMERGENCY_NOT_FOUND");
  });
});
