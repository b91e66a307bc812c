/**
 * The verification API and the public page. Anyone may read; documents are shown only to keys of the
 * organizations involved (and to the operator's and auditors' keys). Public routes are rate-limited.
 */
import express from "express";
import type { Request } from "express";
import { rateLimit } from "express-rate-limit";
import QRCode from "qrcode";
import { z } from "zod";
import { LedgerError } from "../errors";
import type { ConsignmentVerifier } from "../chain/consignmentVerifier";
import { evidenceBundleSchema, toEvidenceBundle } from "../domain/evidenceBundle";
import { consignmentSummary, mayReadDocuments, milestoneViews } from "../domain/consignmentView";
import type { LedgerStore } from "../storage/ledgerStore";
import type { FederationStore } from "../storage/federationStore";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { ConsignmentVerification } from "../chain/consignmentVerifier";
import { optionalAuthentication } from "./auth";
import { consignmentIdParams } from "./schemas";
import { renderConsignmentPage } from "./consignmentPage";
import type { PageRisk } from "./consignmentPage";

export interface VerificationApi {
  store: LedgerStore;
  /** Which consignments exist, and who their parties are, as far as the index has followed the chain. */
  index: Pick<LedgerIndex, "consignment" | "directory" | "directoryVersion">;
  /** Read-your-writes: waits until the index holds what this node itself recorded for the consignment. */
  caughtUpWith(consignmentId: string): Promise<void>;
  /** Documents by hash: this node's own, and those fetched from the nodes that posted them. */
  documents: Pick<FederationStore, "documentOf" | "referenceOf" | "documentsVersion">;
  verifier: ConsignmentVerifier;
  publicRequestsPerMinute: number;
  /** The URL printed in QR codes: what field staff's phones can reach. */
  publicBaseUrl(req: Request): string;
  /** The consignment's priority lane and open alerts, for its page. */
  pageRisk?(consignmentId: string): Promise<PageRisk | undefined>;
}

const VERDICTS_KEPT = 10_000;

const verifyRequestSchema = z.union([evidenceBundleSchema, z.strictObject({ bundle: evidenceBundleSchema })]);

export function verificationRoutes(api: VerificationApi): express.Router {
  const router = express.Router();
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: api.publicRequestsPerMinute,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new LedgerError("RATE_LIMITED", "too many requests; try again in a minute")),
  });
  // A key is optional here: without one the caller sees the public view; a bad key is still refused.
  const optionalAuth = optionalAuthentication(api.store);

  // A verdict changes only with a new milestone, a change of organizations or keys, or a change of the documents
  // this node holds; until one of those happens it is served from memory. Documents are checked for every caller
  // (the verdict says whether this node's copies are intact) and shown only to those who may see them.
  const verdicts = new Map<string, { version: string; result: ConsignmentVerification }>();
  async function verification(consignmentId: string, count: number): Promise<ConsignmentVerification> {
    const version = `${count}/${api.index.directoryVersion}/${api.documents.documentsVersion}`;
    const cached = verdicts.get(consignmentId);
    if (cached?.version === version) return cached.result;
    const result = await api.verifier.verifyConsignment(consignmentId, (m) => api.documents.documentOf(m.payloadHash));
    verdicts.delete(consignmentId);
    if (verdicts.size >= VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(consignmentId, { version, result });
    return result;
  }

  async function verified(req: Request) {
    const consignmentId = consignmentIdParams.parse(req.params).consignmentId.toLowerCase();
    await api.caughtUpWith(consignmentId);
    const consignment = await api.index.consignment(consignmentId);
    if (!consignment) throw new LedgerError("CONSIGNMENT_NOT_FOUND", `no consignment ${consignmentId} on chain`);
    const withDocuments = mayReadDocuments(req.caller, consignment, api.index.directory);
    const result = await verification(consignmentId, consignment.milestoneCount);
    if (result.history.length === 0)
      throw new LedgerError("CONSIGNMENT_NOT_FOUND", `no consignment ${consignmentId} on chain`);
    return {
      ...result,
      withDocuments,
      reference: withDocuments
        ? await api.documents.referenceOf(result.consignmentId, result.history[0].payloadHash)
        : undefined,
    };
  }

  router.get("/v1/consignments/:consignmentId", limiter, optionalAuth, async (req, res) => {
    const v = await verified(req);
    res.json(consignmentSummary(v.consignmentId, v.history, v.directory, v.result, v.reference));
  });

  router.get("/v1/consignments/:consignmentId/milestones", limiter, optionalAuth, async (req, res) => {
    const v = await verified(req);
    res.json({
      consignmentId: v.consignmentId,
      verdict: v.result.verdict,
      head: v.result.head,
      failures: v.result.failures,
      documentsShown: v.withDocuments,
      milestones: milestoneViews(v.history, v.directory, v.result, v.withDocuments),
    });
  });

  router.get("/v1/consignments/:consignmentId/evidence", limiter, optionalAuth, async (req, res) => {
    const v = await verified(req);
    const history = v.withDocuments ? v.history : v.history.map((m) => ({ ...m, document: undefined }));
    const bundle = toEvidenceBundle({
      chainId: Number(api.verifier.deployment.chainId),
      contract: api.verifier.deployment.address,
      consignmentId: v.consignmentId,
      head: v.result.head.onChain!,
      history,
      organizations: v.directory.organizations,
      keys: v.directory.keys,
    });
    res.setHeader("Content-Disposition", `attachment; filename="evidence-${v.consignmentId}.json"`);
    res.json(bundle);
  });

  router.post("/v1/verify", limiter, async (req, res) => {
    const parsed = verifyRequestSchema.parse(req.body);
    const bundle = "bundle" in parsed ? parsed.bundle : parsed;
    const result =
      bundle.milestones.length === 1 && bundle.milestones[0].type !== "registration"
        ? await api.verifier.verifyMilestone(bundle)
        : await api.verifier.verifyBundle(bundle);
    res.json(result);
  });

  router.get("/c/:consignmentId", limiter, async (req, res) => {
    const v = await verified(req);
    const pageUrl = `${api.publicBaseUrl(req)}/c/${v.consignmentId}`;
    res.type("html").send(
      renderConsignmentPage({
        summary: consignmentSummary(v.consignmentId, v.history, v.directory, v.result),
        milestones: milestoneViews(v.history, v.directory, v.result, false),
        pageUrl,
        risk: await api.pageRisk?.(v.consignmentId),
      }),
    );
  });

  router.get("/c/:consignmentId/qr.svg", limiter, async (req, res) => {
    const { consignmentId } = consignmentIdParams.parse(req.params);
    const svg = await QRCode.toString(`${api.publicBaseUrl(req)}/c/${consignmentId.toLowerCase()}`, {
      type: "svg",
      margin: 1,
    });
    res.type("image/svg+xml").send(svg);
  });

  return router;
}
