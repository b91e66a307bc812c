/**
 * The risk engine: a score from 0 to 100 for a consignment, with the factors that produced it, each with its points,
 * its evidence (milestone ids, or a warning id) and a cause key that stays the same while the cause does, so an
 * alert is raised once per cause. Pure: the node feeds it the consignment's indexed milestones (with the documents
 * it may read), the directory's keys, active emergencies and warnings, the learned dwell distributions and the
 * thresholds; the clock is an argument.
 */
import { ConsignmentFlag, MilestoneKind } from "./milestoneKinds";
import type { JsonValue } from "./payloadHash";
import type { KeyHistory } from "./verification";
import { durationOf, dwellsOf, robustZScore } from "./dwellStatistics";
import type { DwellDistribution } from "./dwellStatistics";
import { covers, isEmergencyActive, isWarningActive, touchesRoute } from "./emergencies";
import type { AgencyWarning, Emergency, WarningSeverity } from "./emergencies";

export const RISK_FACTORS = [
  "DWELL_OVER_TARGET",
  "DWELL_ANOMALY",
  "STALLED",
  "OFF_ROUTE",
  "QUANTITY_MISMATCH",
  "TEMPERATURE_EXCURSION",
  "COMPROMISED_SIGNER",
  "HOLD_HISTORY",
  "WARNING_ON_ROUTE",
] as const;
export type RiskFactorName = (typeof RISK_FACTORS)[number];

export interface RiskThresholds {
  /** Relief consignments: release within this many hours of arrival (RKC Specific Annex J5: release on arrival). */
  reliefReleaseHours: number;
  /** Relief consignments on a route an active emergency covers: the priority lane's tighter target. */
  emergencyReleaseHours: number;
  standardReleaseHours: number;
  /** No milestone for this long (relief; twice as long for others) and not closed: stalled. */
  stalledHours: number;
  /** A dwell whose robust z-score against its post's history exceeds this is an anomaly. */
  anomalyZScore: number;
  /** Fewer completed dwells than this at a post: no distribution, fixed targets only. */
  minSamples: number;
  /** The cold chain's range when the registration declares none (°C). */
  coldChainRange: [number, number];
}

export const DEFAULT_RISK_THRESHOLDS: RiskThresholds = {
  reliefReleaseHours: 6,
  emergencyReleaseHours: 2,
  standardReleaseHours: 48,
  stalledHours: 24,
  anomalyZScore: 3.5,
  minSamples: 10,
  coldChainRange: [2, 8],
};

export interface RiskMilestone {
  /** The milestone's id in the index: its chain position. */
  id: string;
  kind: MilestoneKind;
  location: string;
  country: string;
  occurredAt: number;
  signer: string;
  /** The milestone's document ({ eventId, payload }), when this node may read it. */
  document?: JsonValue;
}

export interface RiskInput {
  consignment: {
    consignmentId: string;
    flags: number;
    originCountry: string;
    destinationCountry: string;
    closed: boolean;
  };
  milestones: readonly RiskMilestone[];
  now: number;
  keyOf(signer: string): KeyHistory | undefined;
  emergencies: readonly Emergency[];
  warnings: readonly AgencyWarning[];
  dwellDistribution(location: string): DwellDistribution | undefined;
  thresholds: RiskThresholds;
}

export interface RiskFactor {
  factor: RiskFactorName;
  points: number;
  /** Milestone ids (chain positions), or the warning's id. */
  evidence: string[];
  detail: string;
  /** Stable while the cause is the same: one alert per cause. */
  cause: string;
  zScore?: number;
}

export type ServicePriority = "emergency" | "relief" | "standard";

export interface RiskAssessment {
  consignmentId: string;
  score: number;
  priority: ServicePriority;
  /** Emergencies whose area covers the consignment's route now. */
  emergencies: string[];
  releaseTargetHours: number;
  factors: RiskFactor[];
  assessedAt: number;
}

const SEVERITY_POINTS: Record<WarningSeverity, number> = { Minor: 10, Moderate: 20, Severe: 30, Extreme: 40 };
const HOUR = 3600;

export function assessRisk(input: RiskInput): RiskAssessment {
  const { consignment: c, milestones, now, thresholds: t } = input;
  const relief = (c.flags & ConsignmentFlag.Relief) !== 0;
  const route = routeOf(input);
  const emergencies = input.emergencies.filter((e) => isEmergencyActive(e, now) && touchesRoute(e, route.travelled));
  const priority: ServicePriority = relief ? (emergencies.length ? "emergency" : "relief") : "standard";
  const releaseTargetHours =
    priority === "emergency" ? t.emergencyReleaseHours : relief ? t.reliefReleaseHours : t.standardReleaseHours;
  const factors: RiskFactor[] = [];

  for (const dwell of dwellsOf(c.consignmentId, milestones)) {
    if (dwell.release === undefined && c.closed) continue;
    const seconds = durationOf(dwell, now);
    const hours = seconds / HOUR;
    if (hours > releaseTargetHours) {
      factors.push({
        factor: "DWELL_OVER_TARGET",
        points: hours > 2 * releaseTargetHours ? 40 : 30,
        evidence: [dwell.arrival.id, ...(dwell.release ? [dwell.release.id] : [])],
        detail:
          `${dwell.release ? "released" : "still waiting"} at ${dwell.location} after ${round(hours)} h; ` +
          `the ${priority} target is ${releaseTargetHours} h`,
        cause: `dwell:${dwell.arrival.id}`,
      });
    }
    const distribution = input.dwellDistribution(dwell.location);
    if (distribution && distribution.samples >= t.minSamples) {
      const z = robustZScore(seconds, distribution);
      if (z > t.anomalyZScore) {
        factors.push({
          factor: "DWELL_ANOMALY",
          points: 15,
          evidence: [dwell.arrival.id, ...(dwell.release ? [dwell.release.id] : [])],
          detail:
            `${round(hours)} h at ${dwell.location} against a median of ${round(distribution.medianSeconds / HOUR)} h ` +
            `over ${distribution.samples} passages (robust z ${round(z)})`,
          cause: `anomaly:${dwell.arrival.id}`,
          zScore: round(z),
        });
      }
    }
  }

  const last = milestones.at(-1);
  const stalledAfterHours = relief ? t.stalledHours : 2 * t.stalledHours;
  if (last && !c.closed && (now - last.occurredAt) / HOUR > stalledAfterHours) {
    factors.push({
      factor: "STALLED",
      points: 20,
      evidence: [last.id],
      detail: `no milestone for ${round((now - last.occurredAt) / HOUR)} h (expected within ${stalledAfterHours} h)`,
      cause: `stalled:${last.id}`,
    });
  }

  if (route.declared) {
    // The registration's own place is where the route starts.
    for (const m of milestones.slice(1)) {
      if (!isOffRoute(m, route.plan)) continue;
      factors.push({
        factor: "OFF_ROUTE",
        points: 25,
        evidence: [m.id],
        detail: `${MilestoneKind[m.kind]} at ${m.location}, outside the declared route ${route.declaredText}`,
        cause: `offroute:${m.id}`,
      });
    }
  }

  const dispatched = [...milestones].reverse().find((m) => m.kind === MilestoneKind.Dispatched && packagesOf(m));
  const declared = milestones[0] && packagesOf(milestones[0]) ? milestones[0] : undefined;
  const sent = dispatched ?? declared;
  for (const received of milestones.filter((m) => m.kind === MilestoneKind.Received)) {
    const got = packagesOf(received);
    const expected = sent ? packagesOf(sent) : undefined;
    if (got === undefined || expected === undefined || got === expected) continue;
    factors.push({
      factor: "QUANTITY_MISMATCH",
      points: 25,
      evidence: [sent!.id, received.id],
      detail: `${got} packages received, ${expected} ${sent === dispatched ? "dispatched" : "declared"}`,
      cause: `quantity:${received.id}`,
    });
  }

  if (c.flags & ConsignmentFlag.ColdChain) {
    const [low, high] = temperatureRangeOf(milestones[0]) ?? t.coldChainRange;
    for (const m of milestones) {
      const outside = temperaturesOf(m).filter((x) => x < low || x > high);
      if (outside.length === 0) continue;
      factors.push({
        factor: "TEMPERATURE_EXCURSION",
        points: 30,
        evidence: [m.id],
        detail: `${outside.map((x) => `${x} °C`).join(", ")} at ${m.location}, outside ${low}..${high} °C`,
        cause: `temperature:${m.id}`,
      });
    }
  }

  // One factor per compromised key: everything it signed from its declared compromise on is the evidence.
  const afterCompromise = new Map<string, { since: number; ids: string[] }>();
  for (const m of milestones) {
    const key = input.keyOf(m.signer);
    if (!key || key.compromisedAt === 0 || m.occurredAt < key.compromisedAt) continue;
    const signer = m.signer.toLowerCase();
    const found = afterCompromise.get(signer) ?? { since: key.compromisedAt, ids: [] };
    found.ids.push(m.id);
    afterCompromise.set(signer, found);
  }
  for (const [signer, { since, ids }] of afterCompromise) {
    factors.push({
      factor: "COMPROMISED_SIGNER",
      points: 40,
      evidence: ids,
      detail: `${ids.length} milestone(s) signed by ${signer}, declared compromised from ${new Date(since * 1000).toISOString()}`,
      cause: `compromised:${signer}`,
    });
  }

  const holds = milestones.filter((m) => m.kind === MilestoneKind.Held || m.kind === MilestoneKind.Rejected);
  holds.forEach((m, i) =>
    factors.push({
      factor: "HOLD_HISTORY",
      points: i < 2 ? 10 : 0,
      evidence: [m.id],
      detail: `${MilestoneKind[m.kind]} at ${m.location}`,
      cause: `hold:${m.id}`,
    }),
  );

  const here = last ? { location: last.location, country: last.country } : undefined;
  for (const w of input.warnings) {
    if (!isWarningActive(w, now) || c.closed) continue;
    const onRoute = touchesRoute(w, route.travelled) || (here !== undefined && covers(w, here));
    if (!onRoute) continue;
    factors.push({
      factor: "WARNING_ON_ROUTE",
      points: SEVERITY_POINTS[w.severity],
      evidence: [w.warningId],
      detail: `${w.severity} ${w.kind} warning over ${[...w.countries, ...w.locations].join(", ")} until ${new Date(w.validUntil * 1000).toISOString()}`,
      cause: `warning:${w.warningId}`,
    });
  }

  return {
    consignmentId: c.consignmentId,
    score: Math.min(
      100,
      factors.reduce((sum, f) => sum + f.points, 0),
    ),
    priority,
    emergencies: emergencies.map((e) => e.emergencyId),
    releaseTargetHours,
    factors,
    assessedAt: now,
  };
}

/**
 * The consignment's route. `plan`: what the registration's document declares (`payload.route`, UN/LOCODEs or
 * country codes); places are held to the listed places, countries to the listed countries. `travelled`: origin,
 * destination, the plan and everywhere a milestone was recorded: what warnings and emergencies are held against.
 */
function routeOf(input: RiskInput) {
  const declared = stringList(payloadOf(input.milestones[0])?.route);
  const plan = {
    countries: declared.filter((code) => code.length === 2),
    locations: declared.filter((code) => code.length === 5),
  };
  const { originCountry, destinationCountry } = input.consignment;
  const travelled = {
    countries: unique([
      originCountry,
      destinationCountry,
      ...plan.countries,
      ...plan.locations.map((l) => l.slice(0, 2)),
      ...input.milestones.map((m) => m.country),
    ]),
    locations: unique([...plan.locations, ...input.milestones.map((m) => m.location)]),
  };
  return { declared: declared.length > 0, declaredText: declared.join(" → "), plan, travelled };
}

function isOffRoute(m: RiskMilestone, plan: { countries: string[]; locations: string[] }): boolean {
  return !plan.locations.includes(m.location) && !plan.countries.includes(m.country);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function payloadOf(m: RiskMilestone | undefined): Record<string, JsonValue> | undefined {
  const payload = (m?.document as { payload?: JsonValue } | undefined)?.payload;
  return payload && typeof payload === "object" && !Array.isArray(payload) ? payload : undefined;
}

function packagesOf(m: RiskMilestone): number | undefined {
  const payload = payloadOf(m);
  const value = payload?.packages ?? payload?.quantity;
  return typeof value === "number" ? value : undefined;
}

function temperatureRangeOf(m: RiskMilestone | undefined): [number, number] | undefined {
  const range = payloadOf(m)?.temperatureRange;
  return Array.isArray(range) && range.length === 2 && range.every((x) => typeof x === "number")
    ? [range[0] as number, range[1] as number]
    : undefined;
}

/** Temperatures a milestone reports: `temperatureC`, `temperatures: [..]` or `readings: [{ temperatureC }]`. */
function temperaturesOf(m: RiskMilestone): number[] {
  const payload = payloadOf(m);
  if (!payload) return [];
  const found: number[] = [];
  if (typeof payload.temperatureC === "number") found.push(payload.temperatureC);
  if (Array.isArray(payload.temperatures))
    found.push(...payload.temperatures.filter((x): x is number => typeof x === "number"));
  if (Array.isArray(payload.readings)) {
    for (const r of payload.readings) {
      const value = (r as { temperatureC?: JsonValue } | null)?.temperatureC;
      if (typeof value === "number") found.push(value);
    }
  }
  return found;
}

function stringList(value: JsonValue | undefined): string[] {
  return Array.isArray(value)
    ? value.filter((x): x is string => typeof x === "string").map((x) => x.toUpperCase())
    : [];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
