/**
 * A small drill end to end: two real nodes on a fresh chain, four relief consignments on two routes, a slow border
 * post, a cold-chain excursion and a cyclone warning over one route. Checks that each consignment held past its
 * target raises exactly one alert, the excursion one, the warning flags only the consignments on its route, and
 * the report's figures are the ledger's: read again from the chain's persisted state after the drill.
 */
import { expect } from "chai";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { scenarioSchema, loadScenario } from "../../drills/scenario";
import { runDrill } from "../../drills/drillRunner";
import type { DrillResult } from "../../drills/drillRunner";
import { drillReport } from "../../drills/drillReport";
import { launchLocalChain } from "../../server/chain/localChain";
import { ChainHistory } from "../../server/chain/chainHistory";
import { readDeploymentRecord } from "../../server/chain/ledgerDeployment";
import { MilestoneKind } from "../../server/domain/milestoneKinds";
import { freePort } from "../support/nodeHarness";
import { ROOT } from "../support/nodeProcess";

const small = scenarioSchema.parse({
  name: "small",
  title: "Small drill",
  secondsPerHour: 1.5,
  targets: { reliefReleaseHours: 3, emergencyReleaseHours: 2 },
  administrations: [
    { name: "Kenya Revenue Authority", country: "KE", node: "A" },
    { name: "Uganda Revenue Authority", country: "UG", node: "B" },
  ],
  agencies: [{ name: "Kenya Meteorological Department", country: "KE", node: "A" }],
  aidOrganizations: [
    { name: "Kenya Red Cross", country: "KE", node: "A" },
    { name: "Uganda Red Cross", country: "UG", node: "B" },
  ],
  carriers: [{ name: "Northern Corridor Haulage", country: "KE", node: "A" }],
  consignments: {
    count: 4,
    consignor: "Kenya Red Cross",
    consignee: "Uganda Red Cross",
    carrier: "Northern Corridor Haulage",
    startEveryHours: 0.5,
    coldChain: true,
    clearanceHours: 1,
    routes: [
      {
        name: "Mombasa via Malaba",
        origin: "KEMBA",
        exit: { place: "KEMAL", customs: "Kenya Revenue Authority" },
        entry: { place: "UGMAL", customs: "Uganda Revenue Authority" },
        destination: "UGKLA",
        legHours: 1,
      },
      {
        name: "Nairobi via Busia",
        origin: "KENBO",
        exit: { place: "KEBUS", customs: "Kenya Revenue Authority" },
        entry: { place: "UGBUS", customs: "Uganda Revenue Authority" },
        destination: "UGKLA",
        legHours: 1,
      },
    ],
  },
  disruptions: [
    { type: "slowBorder", place: "UGMAL", extraHours: 4 },
    { type: "temperatureExcursion", consignment: 2, temperatureC: 12 },
    {
      type: "warning",
      atHour: 0.5,
      agency: "Kenya Meteorological Department",
      kind: "Cyclone",
      severity: "Severe",
      locations: ["KEMBA"],
      validHours: 48,
    },
  ],
});

describe("drills (npm run drill)", function () {
  this.timeout(300_000);
  let result: DrillResult;

  before(async function () {
    result = await runDrill(small, { keepData: true });
  });

  after(function () {
    if (result?.kept) rmSync(result.kept.dataDir, { recursive: true, force: true });
  });

  const alertsOf = (factor: string) =>
    result.alerts
      .filter((a) => a.factor === factor)
      .map((a) => a.consignment)
      .sort();

  it("raises exactly one alert for each relief consignment held past its target at the slow post", function () {
    // Consignments 1 and 3 take the Malaba route, whose entry post is 4 h slower: 5 h against a 3 h target.
    expect(alertsOf("DWELL_OVER_TARGET")).to.deep.equal([1, 3]);
    const malaba = result.clearance.find((c) => c.place === "UGMAL")!;
    expect(malaba).to.deep.include({ passages: 2, withinTarget: 0, targetHours: 3 });
  });

  it("raises one alert for the cold-chain excursion", function () {
    expect(alertsOf("TEMPERATURE_EXCURSION")).to.deep.equal([2]);
  });

  it("flags the consignments on the warning's route, and only those", function () {
    expect(alertsOf("WARNING_ON_ROUTE")).to.deep.equal([1, 3]);
    for (const a of result.alerts.filter((x) => x.factor === "WARNING_ON_ROUTE")) {
      expect(a.secondsFromCause).to.be.a("number").and.at.least(0);
    }
  });

  it("reports what the ledger holds: every event recorded once, deliveries and clearance times from the chain", async function () {
    expect(result.events).to.deep.equal({ acknowledged: 40, recorded: 40, lost: 0, duplicates: 0 });
    expect(result.audit).to.deep.include({ consignments: 4, milestones: 40, unverifiable: 0 });

    // The chain again, from the state it persisted, read without any node.
    const chain = await launchLocalChain({ dataDir: result.kept!.dataDir, port: await freePort() });
    try {
      const deployment = readDeploymentRecord(result.kept!.deploymentFile);
      const provider = new JsonRpcProvider(chain.rpcUrl, deployment.chainId, { staticNetwork: true });
      const histories = await new ChainHistory(provider, deployment).histories();
      provider.destroy();
      const ours = result.consignments.ids.map((id) => histories.get(id.toLowerCase())!);
      expect(ours.flat()).to.have.length(result.events.acknowledged);
      const delivered = ours.filter((h) => h.some((m) => m.type === "milestone" && m.kind === MilestoneKind.Received));
      expect(delivered).to.have.length(result.consignments.delivered);
      expect(result.consignments.delivered).to.equal(4);
      for (const post of result.clearance) {
        const hours = ours.flatMap((h) => {
          const arrived = h.find((m) => m.kind === MilestoneKind.ArrivedAtBorder && m.location === post.place);
          const ended = h.find(
            (m) =>
              m.location === post.place &&
              (m.kind === MilestoneKind.Released || m.kind === MilestoneKind.ExportCleared),
          );
          return arrived && ended
            ? [Math.round(((ended.occurredAt - arrived.occurredAt) / small.secondsPerHour) * 100) / 100]
            : [];
        });
        expect(
          hours.sort((x, y) => x - y),
          post.place,
        ).to.deep.equal(post.hours);
      }
    } finally {
      await chain.stop();
    }

    const files = drillReport(result);
    expect(files["report.md"]).to.include("| Relief consignments delivered | **4 of 4** |");
    expect(files["report.md"]).to.include("| Lost, duplicated or unverifiable | **0**");
    expect(files["report.md"]).to.include(`| Alerts raised | ${result.alerts.length} |`);
    for (const post of result.clearance) {
      expect(files["report.md"]).to.include(
        `| ${post.place} | ${post.direction} | ${post.passages} | ${post.medianHours} |`,
      );
    }
    // One bar per post in the clearance chart (and its maximum behind it).
    expect(files["clearance.svg"].match(/fill="#(2e6da4|c0392b)"/g)).to.have.length(result.clearance.length);
    expect(files["clearance.svg"]).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it("ships valid scenarios, and refuses a bad one with every problem and its path", function () {
    for (const name of ["cyclone", "vaccine-cold-chain"]) {
      expect(loadScenario(join(ROOT, "drills", "scenarios", `${name}.json`)).name).to.equal(name);
    }
    const bad = scenarioSchema.safeParse({
      ...small,
      consignments: { ...small.consignments, carrier: "Nobody" },
      disruptions: [{ type: "temperatureExcursion", consignment: 9, temperatureC: 20 }],
    });
    expect(bad.success).to.equal(false);
    const problems = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(problems).to.include('consignments.carrier: no carrier named "Nobody"');
    expect(problems).to.include("disruptions.0.consignment: there are only 4 consignments");
  });
});
