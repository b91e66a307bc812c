/**
 * Alerts: what the risk engine raises, one per consignment and cause, kept until an authorized user acknowledges
 * it. Who may see an alert is fixed when it is raised (the consignment's parties, the organizations that signed its
 * milestones, customs of the countries on its route, and the operator), because the directory and the route may
 * change later. Pure.
 */
import { createHash } from "node:crypto";
import type { RiskFactor, RiskFactorName } from "./riskAssessment";

export interface Alert {
  alertId: string;
  consignmentId: string;
  factor: RiskFactorName;
  cause: string;
  points: number;
  /** Milestone ids (chain positions), or the warning's id. */
  evidence: string[];
  detail: string;
  zScore?: number;
  raisedAt: string;
  state: "open" | "acknowledged";
  acknowledged?: { organizationId: number; keyId: string; at: string; note?: string };
  /** Organizations that may see it (the operator, 0, always may). */
  audience: number[];
}

/** The same consignment and cause always give the same id: raising it again finds it already there. */
export function alertIdOf(consignmentId: string, cause: string): string {
  return createHash("sha256").update(`${consignmentId.toLowerCase()}\n${cause}`).digest("hex").slice(0, 32);
}

export function alertOf(consignmentId: string, factor: RiskFactor, audience: number[], raisedAt: Date): Alert {
  return {
    alertId: alertIdOf(consignmentId, factor.cause),
    consignmentId: consignmentId.toLowerCase(),
    factor: factor.factor,
    cause: factor.cause,
    points: factor.points,
    evidence: factor.evidence,
    detail: factor.detail,
    ...(factor.zScore !== undefined ? { zScore: factor.zScore } : {}),
    raisedAt: raisedAt.toISOString(),
    state: "open",
    audience: [...new Set(audience)].sort((a, b) => a - b),
  };
}

export function maySeeAlert(alert: Alert, organizationId: number): boolean {
  return organizationId === 0 || alert.audience.includes(organizationId);
}

/** An alert as the API, the stream and webhooks show it (the audience is the node's business). */
export function alertView(alert: Alert) {
  const { audience: _audience, ...shown } = alert;
  return shown;
}
