/**
 * Warnings, emergencies, risk and alerts:
 * - agencies post warnings (202 once durably stored; the submitter anchors them), anyone lists what is on chain;
 * - the operator declares and ends emergencies (governance key), anyone lists them;
 * - a consignment's risk: score, priority lane and factors for anyone, with the factors' details (which may quote
 *   documents) only for those who may read its documents;
 * - alerts, listed and acknowledged by the organizations they concern (and the operator).
 */
import express from "express";
import { z } from "zod";
import { LedgerError } from "../errors";
import { alertView, maySeeAlert } from "../domain/alerts";
import type { Alert } from "../domain/alerts";
import {
  emergencyDeclarationOf,
  emergencyIdOf,
  emergencyRequestSchema,
  warningRequestSchema,
  warningStructOf,
} from "../domain/advisoryRequests";
import { emergencyView, warningView } from "../domain/emergencies";
import { OrganizationKind } from "../domain/milestoneKinds";
import { RISK_FACTORS } from "../domain/riskAssessment";
import type { RiskAssessment } from "../domain/riskAssessment";
import { eventIdSchema } from "../domain/milestoneRequests";
import { parseQuery } from "../domain/milestoneQuery";
import type { Governance } from "../chain/governance";
import type { RiskMonitor } from "../risk/riskMonitor";
import type { AlertStore } from "../storage/alertStore";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { LedgerStore } from "../storage/ledgerStore";
import type { PostedWarning, WarningStore } from "../storage/warningStore";
import { authenticate, callerWithRole, optionalAuthentication, OPERATOR_ORGANIZATION } from "./auth";
import type { Caller } from "./auth";
import { consignmentIdParams } from "./schemas";

export interface RiskApi {
  store: LedgerStore;
  index: LedgerIndex;
  alerts: AlertStore;
  warnings: WarningStore;
  monitor: RiskMonitor;
  governance: Pick<Governance, "declareEmergency" | "endEmergency">;
  /** The kind of an organization this node hosts, if it hosts it. */
  hostedKind(organizationId: number): OrganizationKind | undefined;
  /** A warning was stored: publish it now rather than at the next pass. */
  wakeSubmitter(): void;
}

export const alertQuerySchema = z.strictObject({
  consignment: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .transform((s) => s.toLowerCase())
    .optional(),
  factor: z
    .string()
    .transform((s) => s.split(","))
    .pipe(z.array(z.enum(RISK_FACTORS)))
    .optional(),
  state: z.enum(["open", "acknowledged"]).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const alertParams = z.strictObject({ alertId: z.string().regex(/^[0-9a-f]{32}$/) });
const acknowledgeSchema = z.strictObject({ note: z.string().max(1000).optional() });
const warningParams = z.strictObject({ warningId: eventIdSchema });
const emergencyParams = z.strictObject({ reference: eventIdSchema });
const activeQuerySchema = z.strictObject({ active: z.enum(["true", "false"]).optional() });

export function riskRoutes(api: RiskApi): express.Router {
  const router = express.Router();
  const auth = authenticate(api.store);

  // ---------------------------------------------------------------- warnings
  router.post("/v1/warnings", auth, async (req, res) => {
    const caller = callerWithRole(req, "submitter", "admin");
    const organizationId = caller.organizationId;
    if (organizationId === OPERATOR_ORGANIZATION || api.hostedKind(organizationId) !== OrganizationKind.Agency) {
      throw new LedgerError("FORBIDDEN", "only a health or meteorological agency hosted on this node posts warnings");
    }
    const request = warningRequestSchema.parse(req.body);
    const { struct, document, fingerprint } = warningStructOf(organizationId, request);
    const key = `${organizationId}/${request.warningId}`;
    const existing = await api.warnings.get(key);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new LedgerError("IDEMPOTENCY_CONFLICT", `warningId ${request.warningId} was used with another body`);
      }
      return void res.status(202).json(postedWarningView(existing));
    }
    const posted: PostedWarning = {
      key,
      organizationId,
      clientWarningId: request.warningId,
      fingerprint,
      struct,
      document,
      state: "accepted",
      acceptedAt: new Date().toISOString(),
    };
    await api.warnings.put(posted);
    api.wakeSubmitter();
    res.status(202).json(postedWarningView(posted));
  });

  router.get("/v1/warnings/:warningId", auth, async (req, res) => {
    const caller = callerWithRole(req, "submitter", "reader", "admin");
    const { warningId } = warningParams.parse(req.params);
    const posted = await api.warnings.get(`${caller.organizationId}/${warningId}`);
    if (!posted) throw new LedgerError("WARNING_NOT_FOUND", `no warning ${warningId} from this organization`);
    res.json(postedWarningView(posted));
  });

  router.get("/v1/warnings", (req, res) => {
    const { active } = parseQuery(activeQuerySchema, req.query);
    const now = Math.floor(Date.now() / 1000);
    const warnings = api.index.warningList
      .map((w) => warningView(w, now))
      .filter((w) => active === undefined || String(w.active) === active);
    res.json({ warnings });
  });

  // ---------------------------------------------------------------- emergencies
  router.get("/v1/emergencies", (req, res) => {
    const { active } = parseQuery(activeQuerySchema, req.query);
    const now = Math.floor(Date.now() / 1000);
    const emergencies = api.index.emergencyList
      .map((e) => emergencyView(e, now))
      .filter((e) => active === undefined || String(e.active) === active);
    res.json({ emergencies });
  });

  router.post("/v1/admin/emergencies", auth, async (req, res) => {
    operatorOnly(callerWithRole(req, "admin"));
    const request = emergencyRequestSchema.parse(req.body);
    const declaration = emergencyDeclarationOf(request);
    // The declaration document is kept beside the data: the chain holds only its hash.
    await api.store.putMeta(`emergency-document:${declaration.emergencyId}`, request.document);
    const { txHash, blockNumber } = await api.governance.declareEmergency(declaration);
    res.status(201).json({ reference: request.reference, ...declaration, txHash, blockNumber });
  });

  router.post("/v1/admin/emergencies/:reference/end", auth, async (req, res) => {
    operatorOnly(callerWithRole(req, "admin"));
    const { reference } = emergencyParams.parse(req.params);
    const emergencyId = emergencyIdOf(reference);
    const { txHash, blockNumber } = await api.governance.endEmergency(emergencyId).catch((error: unknown) => {
      const rule = ((error as LedgerError).details as { rule?: string } | undefined)?.rule;
      if (rule === "UnknownEmergency") {
        throw new LedgerError("EMERGENCY_NOT_FOUND", `no emergency ${reference} on chain`, undefined, { cause: error });
      }
      throw error;
    });
    res.json({ reference, emergencyId, txHash, blockNumber });
  });

  // ---------------------------------------------------------------- risk and alerts
  router.get("/v1/consignments/:consignmentId/risk", optionalAuthentication(api.store), async (req, res) => {
    const { consignmentId } = consignmentIdParams.parse(req.params);
    const assessment = await api.monitor.assess(consignmentId);
    if (!assessment) throw new LedgerError("CONSIGNMENT_NOT_FOUND", `the chain has no consignment ${consignmentId}`);
    const alerts = await api.alerts.ofConsignment(consignmentId);
    const caller = req.caller;
    const involved =
      caller !== undefined &&
      (caller.organizationId === OPERATOR_ORGANIZATION || alerts.some((a) => maySeeAlert(a, caller.organizationId)));
    res.json(riskView(assessment, alerts, involved));
  });

  router.get("/v1/alerts", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const q = parseQuery(alertQuerySchema, req.query);
    const alerts = await api.alerts.list(
      (a) =>
        maySeeAlert(a, caller.organizationId) &&
        (!q.consignment || a.consignmentId === q.consignment) &&
        (!q.factor || q.factor.includes(a.factor)) &&
        (!q.state || a.state === q.state) &&
        (!q.since || a.raisedAt >= new Date(q.since).toISOString()),
      q.limit,
    );
    res.json({ alerts: alerts.map(alertView) });
  });

  router.post("/v1/alerts/:alertId/acknowledge", auth, async (req, res) => {
    const caller = callerWithRole(req, "submitter", "admin");
    const { alertId } = alertParams.parse(req.params);
    const { note } = acknowledgeSchema.parse(req.body ?? {});
    const alert = await api.alerts.get(alertId);
    if (!alert || !maySeeAlert(alert, caller.organizationId)) {
      throw new LedgerError("ALERT_NOT_FOUND", `no alert ${alertId} for organization ${caller.organizationId}`);
    }
    if (alert.state === "acknowledged") return void res.json(alertView(alert));
    const acknowledged = await api.alerts.acknowledge(alert, {
      organizationId: caller.organizationId,
      keyId: caller.keyId,
      at: new Date().toISOString(),
      ...(note ? { note } : {}),
    });
    res.json(alertView(acknowledged));
  });

  return router;
}

function operatorOnly(caller: Caller): void {
  if (caller.organizationId !== OPERATOR_ORGANIZATION) {
    throw new LedgerError("FORBIDDEN", "only the node operator's admin key declares or ends emergencies");
  }
}

function postedWarningView(w: PostedWarning) {
  return {
    warningId: w.clientWarningId,
    chainWarningId: w.struct.warningId,
    organizationId: w.organizationId,
    payloadHash: w.struct.payloadHash,
    state: w.state,
    acceptedAt: w.acceptedAt,
    ...(w.publishedAt ? { publishedAt: w.publishedAt } : {}),
    ...(w.txHash ? { txHash: w.txHash } : {}),
    ...(w.blockNumber !== undefined ? { blockNumber: w.blockNumber } : {}),
    ...(w.rejection ? { rejection: w.rejection } : {}),
  };
}

/** The risk as shown: details (which may quote documents) only to those the consignment concerns. */
export function riskView(assessment: RiskAssessment, alerts: Alert[], withDetails: boolean) {
  const alertOf = new Map(alerts.map((a) => [a.cause, a]));
  return {
    consignmentId: assessment.consignmentId,
    score: assessment.score,
    priority: assessment.priority,
    releaseTargetHours: assessment.releaseTargetHours,
    emergencies: assessment.emergencies,
    assessedAt: new Date(assessment.assessedAt * 1000).toISOString(),
    factors: assessment.factors.map((f) => ({
      factor: f.factor,
      points: f.points,
      evidence: f.evidence,
      ...(f.zScore !== undefined ? { zScore: f.zScore } : {}),
      ...(withDetails ? { detail: f.detail } : {}),
      alert: alertOf.has(f.cause)
        ? {
            alertId: alertOf.get(f.cause)!.alertId,
            state: alertOf.get(f.cause)!.state,
            raisedAt: alertOf.get(f.cause)!.raisedAt,
          }
        : null,
    })),
  };
}
