/**
 * The risk engine factor by factor, and the statistics it learns from: each factor appears when its cause is there,
 * not otherwise, with its evidence and a cause key that does not change while the cause does not.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ConsignmentFlag, MilestoneKind } from "../../../server/domain/milestoneKinds";
import { DEFAULT_RISK_THRESHOLDS, assessRisk } from "../../../server/domain/riskAssessment";
import type { RiskInput, RiskMilestone } from "../../../server/domain/riskAssessment";
import { dwellsOf, learnDwellDistributions, quantile, robustZScore } from "../../../server/domain/dwellStatistics";
import type { AgencyWarning, Emergency } from "../../../server/domain/emergencies";
import type { KeyHistory } from "../../../server/domain/verification";

const HOUR = 3600;
const T0 = 1_800_000_000;

function milestone(
  n: number,
  kind: keyof typeof MilestoneKind,
  location: string,
  hoursAfterStart: number,
  payload?: Record<string, unknown>,
  signer = "0xaaaa",
): RiskMilestone {
  return {
    id: `m${n}`,
    kind: MilestoneKind[kind],
    location,
    country: location.slice(0, 2),
    occurredAt: T0 + hoursAfterStart * HOUR,
    signer,
    ...(payload ? { document: { eventId: `e${n}`, payload } as never } : {}),
  };
}

function input(
  milestones: RiskMilestone[],
  overrides: Partial<RiskInput> = {},
  flags: number = ConsignmentFlag.Relief,
): RiskInput {
  return {
    consignment: { consignmentId: "0xc1", flags, originCountry: "KE", destinationCountry: "UG", closed: false },
    milestones,
    now: milestones.at(-1)!.occurredAt + HOUR,
    keyOf: () => undefined,
    emergencies: [],
    warnings: [],
    dwellDistribution: () => undefined,
    thresholds: DEFAULT_RISK_THRESHOLDS,
    ...overrides,
  };
}

const factorsOf = (i: RiskInput) => assessRisk(i).factors.map((f) => f.factor);

describe("risk engine", function () {
  const registered = milestone(0, "Registered", "KEMBA", 0, {
    packages: 120,
    route: ["KEMBA", "KEMAL", "UGTOR", "UGKLA"],
  });

  it("scores a consignment moving on time at 0", function () {
    const on = input([registered, milestone(1, "ArrivedAtBorder", "UGTOR", 10), milestone(2, "Released", "UGTOR", 12)]);
    expect(assessRisk(on)).to.deep.include({ score: 0, factors: [], priority: "relief", releaseTargetHours: 6 });
  });

  describe("dwell at a border", function () {
    it("raises DWELL_OVER_TARGET for a relief consignment still held past its target, with the arrival as evidence", function () {
      const held = input([registered, milestone(1, "ArrivedAtBorder", "UGTOR", 10)], { now: T0 + 17 * HOUR });
      const [factor] = assessRisk(held).factors;
      expect(factor).to.deep.include({ factor: "DWELL_OVER_TARGET", points: 30, cause: "dwell:m1" });
      expect(factor.evidence).to.deep.equal(["m1"]);
      // Later, and then released: the same cause (one alert), more points, the release added to the evidence.
      const released = input([
        registered,
        milestone(1, "ArrivedAtBorder", "UGTOR", 10),
        milestone(2, "Released", "UGTOR", 24),
      ]);
      const [after] = assessRisk(released).factors;
      expect(after).to.deep.include({ factor: "DWELL_OVER_TARGET", points: 40, cause: "dwell:m1" });
      expect(after.evidence).to.deep.equal(["m1", "m2"]);
    });

    it("holds standard consignments to 48 h and relief ones on a route under an emergency to 2 h", function () {
      const arrival = [registered, milestone(1, "ArrivedAtBorder", "UGTOR", 10)];
      const threeHours = { now: T0 + 13 * HOUR };
      expect(factorsOf(input(arrival, threeHours, 0))).to.deep.equal([]);
      expect(factorsOf(input(arrival, threeHours))).to.deep.equal([]);
      const emergency: Emergency = {
        emergencyId: "0xe1",
        countries: ["UG"],
        locations: [],
        startsAt: T0,
        endsAt: 0,
        endedAt: 0,
        documentHash: "0x",
        declaredAt: T0,
      };
      const under = assessRisk(input(arrival, { ...threeHours, emergencies: [emergency] }));
      expect(under).to.deep.include({ priority: "emergency", releaseTargetHours: 2, emergencies: ["0xe1"] });
      expect(under.factors.map((f) => f.factor)).to.deep.equal(["DWELL_OVER_TARGET"]);
      // Ended: back to the relief target.
      const ended = { ...emergency, endedAt: T0 + 11 * HOUR };
      expect(assessRisk(input(arrival, { ...threeHours, emergencies: [ended] })).priority).to.equal("relief");
    });

    it("raises DWELL_ANOMALY with its robust z-score against the post's learned distribution", function () {
      const arrival = [registered, milestone(1, "ArrivedAtBorder", "UGTOR", 10)];
      const distribution = {
        location: "UGTOR",
        samples: 40,
        medianSeconds: 1 * HOUR,
        madSeconds: 0.25 * HOUR,
        p90Seconds: 2 * HOUR,
      };
      const anomalous = assessRisk(input(arrival, { now: T0 + 13 * HOUR, dwellDistribution: () => distribution }));
      const factor = anomalous.factors.find((f) => f.factor === "DWELL_ANOMALY")!;
      expect(factor.zScore).to.equal(5.4); // (3 h - 1 h) / (1.4826 × 0.25 h)
      expect(factor.cause).to.equal("anomaly:m1");
      const usual = assessRisk(input(arrival, { now: T0 + 11.5 * HOUR, dwellDistribution: () => distribution }));
      expect(usual.factors).to.deep.equal([]);
      // A post with too little history falls back to the fixed targets alone.
      const thin = { ...distribution, samples: 3 };
      expect(factorsOf(input(arrival, { now: T0 + 13 * HOUR, dwellDistribution: () => thin }))).to.deep.equal([]);
    });
  });

  it("raises STALLED when nothing was recorded for longer than expected, and not once closed", function () {
    const quiet = [registered, milestone(1, "Dispatched", "KEMBA", 1)];
    expect(factorsOf(input(quiet, { now: T0 + 30 * HOUR }))).to.deep.equal(["STALLED"]);
    expect(factorsOf(input(quiet, { now: T0 + 20 * HOUR }))).to.deep.equal([]);
    expect(factorsOf(input(quiet, { now: T0 + 30 * HOUR }, 0))).to.deep.equal([]); // standard: 48 h
    const closed = input(quiet, { now: T0 + 30 * HOUR });
    expect(factorsOf({ ...closed, consignment: { ...closed.consignment, closed: true } })).to.deep.equal([]);
  });

  it("raises OFF_ROUTE for a place outside the declared route, only when a route was declared", function () {
    const diverted = [registered, milestone(1, "ArrivedAtBorder", "TZDAR", 5)];
    const [factor] = assessRisk(input(diverted)).factors;
    expect(factor).to.deep.include({ factor: "OFF_ROUTE", cause: "offroute:m1" });
    expect(factor.detail).to.include("KEMBA → KEMAL → UGTOR → UGKLA");
    const undeclared = milestone(0, "Registered", "KEMBA", 0, { packages: 120 });
    expect(factorsOf(input([undeclared, milestone(1, "ArrivedAtBorder", "TZDAR", 5)]))).to.deep.equal([]);
    expect(factorsOf(input([registered, milestone(1, "ArrivedAtBorder", "KEMAL", 5)]))).to.deep.equal([]);
  });

  it("raises QUANTITY_MISMATCH when what was received differs from what was dispatched", function () {
    const history = [
      registered,
      milestone(1, "Dispatched", "KEMBA", 1, { packages: 118 }),
      milestone(2, "Received", "UGKLA", 20, { packages: 110 }),
    ];
    const [factor] = assessRisk(input(history)).factors;
    expect(factor).to.deep.include({ factor: "QUANTITY_MISMATCH", cause: "quantity:m2" });
    expect(factor.evidence).to.deep.equal(["m1", "m2"]);
    const matching = [...history.slice(0, 2), milestone(2, "Received", "UGKLA", 20, { packages: 118 })];
    expect(factorsOf(input(matching))).to.deep.equal([]);
    // Without a dispatch count, the registration's declared packages are held against it.
    expect(factorsOf(input([registered, milestone(2, "Received", "UGKLA", 20, { packages: 100 })]))).to.deep.equal([
      "QUANTITY_MISMATCH",
    ]);
  });

  it("raises TEMPERATURE_EXCURSION for a cold-chain reading outside the declared (or default) range", function () {
    const cold = ConsignmentFlag.Relief | ConsignmentFlag.ColdChain;
    const declared = milestone(0, "Registered", "KEMBA", 0, { temperatureRange: [2, 8] });
    const warm = milestone(1, "Incident", "KEMAL", 3, { readings: [{ temperatureC: 5 }, { temperatureC: 11.5 }] });
    const [factor] = assessRisk(input([declared, warm], {}, cold)).factors;
    expect(factor).to.deep.include({ factor: "TEMPERATURE_EXCURSION", cause: "temperature:m1" });
    expect(factor.detail).to.include("11.5 °C");
    expect(
      factorsOf(input([declared, milestone(1, "Incident", "KEMAL", 3, { temperatureC: 4 })], {}, cold)),
    ).to.deep.equal([]);
    // Not a cold-chain consignment: no range to hold it to.
    expect(factorsOf(input([declared, warm]))).to.deep.equal([]);
    // No declared range: 2..8 °C.
    expect(
      factorsOf(input([registered, milestone(1, "Incident", "KEMAL", 3, { temperatures: [1.5] })], {}, cold)),
    ).to.deep.equal(["TEMPERATURE_EXCURSION"]);
  });

  it("raises COMPROMISED_SIGNER once per key for what it signed from its declared compromise on", function () {
    const key: KeyHistory = { organizationId: 3, addedAt: T0, revokedAt: T0 + 9 * HOUR, compromisedAt: T0 + 4 * HOUR };
    const history = [
      registered,
      milestone(1, "Dispatched", "KEMBA", 2, undefined, "0xbad"),
      milestone(2, "Departed", "KEMAL", 6, undefined, "0xbad"),
    ];
    const factors = assessRisk(input(history, { keyOf: (s) => (s === "0xbad" ? key : undefined) })).factors;
    expect(factors.map((f) => [f.factor, f.evidence, f.cause])).to.deep.equal([
      ["COMPROMISED_SIGNER", ["m2"], "compromised:0xbad"],
    ]);
    // A later milestone by the same key adds evidence to the same cause: still one alert.
    const more = [...history, milestone(3, "Incident", "KEMAL", 7, undefined, "0xbad")];
    const again = assessRisk(input(more, { keyOf: (s) => (s === "0xbad" ? key : undefined) })).factors;
    expect(again.map((f) => [f.evidence, f.cause])).to.deep.equal([[["m2", "m3"], "compromised:0xbad"]]);
  });

  it("raises HOLD_HISTORY for each hold or rejection, counting points for the first two", function () {
    const history = [
      registered,
      milestone(1, "ArrivedAtBorder", "UGTOR", 1),
      milestone(2, "Held", "UGTOR", 1.5),
      milestone(3, "Held", "UGTOR", 2),
      milestone(4, "Rejected", "UGTOR", 2.5),
    ];
    const factors = assessRisk(input(history)).factors.filter((f) => f.factor === "HOLD_HISTORY");
    expect(factors.map((f) => [f.cause, f.points])).to.deep.equal([
      ["hold:m2", 10],
      ["hold:m3", 10],
      ["hold:m4", 0],
    ]);
  });

  it("raises WARNING_ON_ROUTE for an active warning over the route or the current place, by severity", function () {
    const warning: AgencyWarning = {
      warningId: "0xw1",
      organizationId: 9,
      signer: "0xagency",
      kind: "Cyclone",
      severity: "Severe",
      countries: [],
      locations: ["KEMBA"],
      validFrom: T0,
      validUntil: T0 + 48 * HOUR,
      payloadHash: "0x",
      publishedAt: T0,
    };
    const history = [registered, milestone(1, "Dispatched", "KEMBA", 1)];
    const [factor] = assessRisk(input(history, { warnings: [warning] })).factors;
    expect(factor).to.deep.include({
      factor: "WARNING_ON_ROUTE",
      points: 30,
      cause: "warning:0xw1",
      evidence: ["0xw1"],
    });
    const elsewhere = { ...warning, locations: ["TZDAR"] };
    expect(factorsOf(input(history, { warnings: [elsewhere] }))).to.deep.equal([]);
    const expired = { ...warning, validUntil: T0 + 1 * HOUR };
    expect(factorsOf(input(history, { warnings: [expired] }))).to.deep.equal([]);
    const wholeCountry = { ...warning, locations: [], countries: ["UG"], severity: "Extreme" as const };
    expect(assessRisk(input(history, { warnings: [wholeCountry] })).factors[0].points).to.equal(40);
  });

  it("never scores above 100, and the score is the sum of the factors' points below that", function () {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<keyof typeof MilestoneKind>("Held", "Rejected", "Incident", "ArrivedAtBorder"), {
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 500 }),
        (kinds, hours) => {
          const history = [
            registered,
            ...kinds.map((k, i) => milestone(i + 1, k, i % 2 ? "TZDAR" : "UGTOR", i / 10, { temperatureC: 20 })),
          ];
          const assessment = assessRisk(
            input(history, { now: T0 + hours * HOUR }, ConsignmentFlag.Relief | ConsignmentFlag.ColdChain),
          );
          const sum = assessment.factors.reduce((s, f) => s + f.points, 0);
          expect(assessment.score).to.equal(Math.min(100, sum));
          expect(new Set(assessment.factors.map((f) => f.cause)).size).to.equal(assessment.factors.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("dwell statistics", function () {
  it("pairs each arrival with the first later release at the same post", function () {
    const dwells = dwellsOf("0xc1", [
      milestone(1, "ArrivedAtBorder", "KEMAL", 0),
      milestone(2, "Released", "UGTOR", 1),
      milestone(3, "Released", "KEMAL", 2),
      milestone(4, "ArrivedAtBorder", "UGTOR", 3),
    ]);
    expect(dwells.map((d) => [d.location, d.arrival.id, d.release?.id])).to.deep.equal([
      ["KEMAL", "m1", "m3"],
      ["UGTOR", "m4", undefined],
    ]);
  });

  it("learns median, MAD and p90 per post, leaving out posts with too few passages", function () {
    const dwells = [1, 2, 2, 3, 100].map((hours, i) => ({
      consignmentId: `c${i}`,
      location: "UGTOR",
      arrival: { id: `a${i}`, at: T0 },
      release: { id: `r${i}`, at: T0 + hours * HOUR, kind: MilestoneKind.Released },
    }));
    const learned = learnDwellDistributions([...dwells, { ...dwells[0], location: "KEMAL" }], 5);
    expect([...learned.keys()]).to.deep.equal(["UGTOR"]);
    // The one extreme wait moves neither the median nor the MAD.
    expect(learned.get("UGTOR")).to.deep.include({ samples: 5, medianSeconds: 2 * HOUR, madSeconds: 1 * HOUR });
    expect(robustZScore(2 * HOUR, learned.get("UGTOR")!)).to.equal(0);
    expect(robustZScore(100 * HOUR, learned.get("UGTOR")!)).to.be.greaterThan(60);
  });

  it("uses a tenth of the median as the spread where every passage took the same time", function () {
    const flat = { location: "X", samples: 20, medianSeconds: 10 * HOUR, madSeconds: 0, p90Seconds: 10 * HOUR };
    expect(robustZScore(11 * HOUR, flat)).to.be.closeTo(1 / 1.4826, 1e-9);
  });

  it("computes quantiles by interpolation", function () {
    expect(quantile([4, 1, 3, 2], 0.5)).to.equal(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.9)).to.equal(4.6);
    expect(Number.isNaN(quantile([], 0.5))).to.equal(true);
  });
});
