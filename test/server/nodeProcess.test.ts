/**
 * The node as `npm start` runs it: a separate process on a temporary data directory, with its own anvil at 1 s
 * blocks. A consignment goes through the whole border sequence, the node restarts, and everything is recorded
 * exactly once.
 */
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { NodeClient, freePort, isoNow, removeDataDir, testNodeEnvironment } from "../support/nodeHarness";
import { runNode, runNodeUntilExit, stopNode } from "../support/nodeProcess";
import type { NodeProcess } from "../support/nodeProcess";
import type { TestNodeEnvironment } from "../support/nodeHarness";
import { ConsignmentLedger__factory } from "../../typechain-types";
import { readDeploymentRecord } from "../../server/chain/ledgerDeployment";

describe("the node process (as npm start runs it)", function () {
  this.timeout(240_000);
  let environment: TestNodeEnvironment;
  let running: NodeProcess | undefined;

  before(async function () {
    environment = await testNodeEnvironment({
      EMBEDDED_BLOCK_TIME: "1",
      LOG_LEVEL: "warn",
      PORT: String(await freePort()),
    });
  });

  after(async function () {
    if (running) await stopNode(running);
    removeDataDir(environment);
  });

  it("stops with one clear line naming a wrong setting", async function () {
    const { code, stderr } = await runNodeUntilExit({ ...environment.env, PORT: "eighty" });
    expect(code).to.equal(2);
    expect(stderr.trim().split("\n")).to.have.length(1);
    expect(stderr).to.match(/^consignment-ledger: invalid setting PORT: /);
  });

  it("records a whole border sequence, restarts, and finds every milestone recorded exactly once", async function () {
    running = await runNode(environment.env);
    expect(running.bootstrapToken, running.output()).to.match(/^clk_/);
    const api = new NodeClient(running.url);
    const admin = running.bootstrapToken!;
    const kenyaCustoms = await api.member(admin, "Customs", "KE", "Kenya Revenue Authority");
    const ugandaCustoms = await api.member(admin, "Customs", "UG", "Uganda Revenue Authority");
    const consignor = await api.member(admin, "AidOrganization", "KE", "Kenya Red Cross");
    const consignee = await api.member(admin, "AidOrganization", "UG", "Uganda Red Cross");
    const carrier = await api.member(admin, "Carrier", "KE", "Northern Corridor Haulage");

    const registration = await api.post("/v1/consignments", consignor.token, {
      eventId: "ucr-registration",
      reference: "KE2026REL-CORRIDOR-1",
      consigneeOrganizationId: consignee.id,
      originCountry: "KE",
      destinationCountry: "UG",
      flags: { relief: true, medical: true, coldChain: true },
      location: "KEMBA",
      occurredAt: isoNow(-600),
      payload: { packages: 120, hsCodes: ["3002.15"], temperatureRange: [2, 8] },
    });
    expect(registration.status, registration.text).to.equal(202);
    const consignmentId = registration.body.consignmentId as string;
    const sequence: Array<[typeof carrier, string, string, object]> = [
      [carrier, "Dispatched", "KEMBA", { truck: "KDA 123X", seals: ["S-44"] }],
      [kenyaCustoms, "ExportCleared", "KEMAL", { declaration: "KE-EX-2026-1" }],
      [carrier, "Departed", "KEMAL", {}],
      [consignor, "PreArrivalLodged", "UGTOR", { declaration: "UG-IM-2026-9" }],
      [ugandaCustoms, "ArrivedAtBorder", "UGTOR", {}],
      [ugandaCustoms, "InspectionStarted", "UGTOR", { reason: "documentary" }],
      [ugandaCustoms, "Released", "UGTOR", { priority: "relief" }],
      [carrier, "Delivered", "UGKLA", {}],
      [consignee, "Received", "UGKLA", { packages: 120 }],
      [consignee, "Distributed", "UGKLA", { beneficiaries: 5000 }],
    ];
    const posted: Array<{ token: string; eventId: string; payloadHash: string }> = [];
    for (const [i, [who, kind, location, payload]] of sequence.entries()) {
      const eventId = `step-${i}-${kind}`;
      const response = await api.post(`/v1/consignments/${consignmentId}/milestones`, who.token, {
        eventId,
        kind,
        location,
        occurredAt: isoNow(-500 + i * 10),
        payload,
      });
      expect(response.status, `${kind}: ${response.text}`).to.equal(202);
      posted.push({ token: who.token, eventId, payloadHash: response.body.payloadHash as string });
    }
    const last = await api.settled(posted.at(-1)!.token, posted.at(-1)!.eventId, 60_000);
    expect(last.state).to.equal("recorded");

    expect(await stopNode(running)).to.equal(0);
    running = await runNode(environment.env);
    expect(running.bootstrapToken, "the bootstrap key is printed on the first start only").to.equal(undefined);
    const again = new NodeClient(running.url);
    for (const p of posted) expect((await again.settled(p.token, p.eventId)).state).to.equal("recorded");
    expect((await again.get("/v1/milestones/ucr-registration", consignor.token)).body.state).to.equal("recorded");

    const deployment = readDeploymentRecord(environment.env.DEPLOYMENT_FILE);
    const provider = new JsonRpcProvider(`http://127.0.0.1:${environment.env.EMBEDDED_CHAIN_PORT}`, undefined, {
      staticNetwork: true,
    });
    try {
      const ledger = ConsignmentLedger__factory.connect(deployment.address, provider);
      const logs = await ledger.queryFilter(ledger.filters.MilestoneRecorded(consignmentId), 0);
      for (const p of posted) expect(logs.filter((l) => l.args.payloadHash === p.payloadHash)).to.have.length(1);
      expect(logs).to.have.length(sequence.length);
      const [head, status] = await ledger.consignment(consignmentId);
      expect(head).to.equal(last.digest);
      expect(status.closed).to.equal(true);
      expect(Number(status.milestoneCount)).to.equal(sequence.length + 1);
    } finally {
      provider.destroy();
    }
  });
});
