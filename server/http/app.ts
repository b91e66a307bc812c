/**
 * The express app: body limits, content types, auth, thin route handlers and the one error mapper. Only this layer
 * imports express.
 */
import express from "express";
import helmet from "helmet";
import type { Request, Response } from "express";
import type { Logger } from "pino";
import { LedgerError } from "../errors";
import type { LedgerMetrics } from "../telemetry/metrics";
import type { LedgerStore } from "../storage/ledgerStore";
import type { Administration } from "../domain/administration";
import type { AcceptedResponse, LedgerEvent } from "../domain/ledgerEvent";
import type { IngestItem } from "../domain/ingest";
import { MilestoneKind } from "../domain/milestoneKinds";
import { batchRequestSchema, milestoneRequestSchema, registrationRequestSchema } from "../domain/milestoneRequests";
import { authenticate, callerWithRole, OPERATOR_ORGANIZATION } from "./auth";
import type { Caller } from "./auth";
import { errorHandler } from "./errorHandling";
import { openApiDocument } from "./openapi";
import { verificationRoutes } from "./verificationRoutes";
import type { VerificationApi } from "./verificationRoutes";
import { federationRoutes } from "./federationRoutes";
import type { FederationApi } from "./federationRoutes";
import { subscriptionRoutes } from "./subscriptionRoutes";
import type { SubscriptionApi } from "./subscriptionRoutes";
import { riskRoutes } from "./riskRoutes";
import type { RiskApi } from "./riskRoutes";
import {
  apiKeyParams,
  consignmentIdParams,
  eventIdParams,
  hostOrganizationSchema,
  issueApiKeySchema,
  organizationParams,
  revokeSignerSchema,
  rotateSignerSchema,
  signerParams,
} from "./schemas";

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; [detail: string]: unknown }>;
}

export interface NodeApi {
  version: string;
  logger: Logger;
  metrics: LedgerMetrics;
  store: LedgerStore;
  maxBodyBytes: number;
  administration: Administration;
  ingest(organizationId: number, items: IngestItem[]): Promise<AcceptedResponse[]>;
  readiness(): Promise<Readiness>;
  /** Why the node takes no requests now (shutting down, or its store failed), if it does not. */
  unavailable(): LedgerError | undefined;
  verification: Omit<VerificationApi, "store">;
  federation: Omit<FederationApi, "store">;
  subscriptions: Omit<SubscriptionApi, "store">;
  risk: Omit<RiskApi, "store">;
}

const OPERATIONS_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/** The app, and how to end its open event streams (which would otherwise hold a shutdown up). */
export function createHttpApp(api: NodeApi): { app: express.Express; closeStreams(): void } {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(helmet());
  const auth = authenticate(api.store);
  const openapi = openApiDocument(api.version);

  // Access log: who (API key id, never the key), what, how it ended, how long it took.
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      api.logger.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          keyId: req.caller?.keyId,
          organizationId: req.caller?.organizationId,
        },
        "request",
      );
    });
    next();
  });

  app.use((req, res, next) => {
    // The probes still answer, so an operator (or a load balancer) sees why the node takes nothing else.
    const unavailable = api.unavailable();
    if (unavailable && !OPERATIONS_PATHS.has(req.path)) throw unavailable;
    if (["POST", "PUT", "PATCH"].includes(req.method) && !req.is("application/json")) {
      throw new LedgerError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
    }
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  app.use(express.json({ limit: api.maxBodyBytes, strict: true }));

  // ---------------------------------------------------------------- operations
  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/readyz", async (_req, res) => {
    const readiness = await api.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.get("/metrics", async (_req, res) => {
    res.type(api.metrics.registry.contentType).send(await api.metrics.registry.metrics());
  });
  app.get("/openapi.json", (_req, res) => void res.json(openapi));

  // ---------------------------------------------------------------- ingest
  app.post("/v1/consignments", auth, async (req, res) => {
    const organizationId = memberOf(callerWithRole(req, "submitter", "admin"));
    const request = registrationRequestSchema.parse(req.body);
    const [accepted] = await api.ingest(organizationId, [{ route: "registration", request }]);
    res.status(202).json(accepted);
  });

  app.post("/v1/consignments/:consignmentId/milestones", auth, async (req, res) => {
    const organizationId = memberOf(callerWithRole(req, "submitter", "admin"));
    const { consignmentId } = consignmentIdParams.parse(req.params);
    const request = milestoneRequestSchema.parse(req.body);
    const [accepted] = await api.ingest(organizationId, [
      { route: "milestone", request: { ...request, consignmentId } },
    ]);
    res.status(202).json(accepted);
  });

  app.post("/v1/milestones\\:batch", auth, async (req, res) => {
    const organizationId = memberOf(callerWithRole(req, "submitter", "admin"));
    const { milestones } = batchRequestSchema.parse(req.body);
    const accepted = await api.ingest(
      organizationId,
      milestones.map((request) => ({ route: "milestone" as const, request })),
    );
    res.status(202).json({ milestones: accepted });
  });

  app.get("/v1/milestones/:eventId", auth, async (req, res) => {
    const caller = callerWithRole(req, "submitter", "reader", "admin");
    const { eventId } = eventIdParams.parse(req.params);
    const event = await api.store.event(`${memberOf(caller)}/${eventId}`);
    if (!event)
      throw new LedgerError("EVENT_NOT_FOUND", `no event ${eventId} for organization ${caller.organizationId}`);
    res.json(toEventView(event));
  });

  // ---------------------------------------------------------------- administration
  app.get("/v1/admin/organizations", auth, async (req, res) => {
    operatorOnly(req);
    res.json({ organizations: (await api.store.listOrganizations()).map(toOrganizationView) });
  });

  app.post("/v1/admin/organizations", auth, async (req, res) => {
    operatorOnly(req);
    const org = await api.administration.hostOrganization(hostOrganizationSchema.parse(req.body) as never);
    res.status(201).json({ ...toOrganizationView(org), signerAddedOnChain: org.signerAddedOnChain });
  });

  app.post("/v1/admin/organizations/:organizationId/signers", auth, async (req, res) => {
    const { organizationId } = organizationParams.parse(req.params);
    adminOf(req, organizationId);
    const { revokePrevious } = rotateSignerSchema.parse(req.body);
    res.status(201).json(toOrganizationView(await api.administration.rotateSigner(organizationId, revokePrevious)));
  });

  app.post("/v1/admin/organizations/:organizationId/signers/:address/revoke", auth, async (req, res) => {
    const { organizationId, address } = signerParams.parse(req.params);
    adminOf(req, organizationId);
    const { compromisedAt } = revokeSignerSchema.parse(req.body);
    const at = compromisedAt ? Math.floor(Date.parse(compromisedAt) / 1000) : 0;
    res.json(toOrganizationView(await api.administration.revokeSigner(organizationId, address, at)));
  });

  app.get("/v1/admin/api-keys", auth, async (req, res) => {
    const caller = callerWithRole(req, "admin");
    const scope = caller.organizationId === OPERATOR_ORGANIZATION ? undefined : caller.organizationId;
    res.json({ apiKeys: await api.administration.listApiKeys(scope) });
  });

  app.post("/v1/admin/api-keys", auth, async (req, res) => {
    const request = issueApiKeySchema.parse(req.body);
    adminOf(req, request.organizationId);
    if (request.organizationId === OPERATOR_ORGANIZATION && request.role === "submitter") {
      throw new LedgerError(
        "INVALID_REQUEST",
        "organization 0 keys are the operator's (admin) or auditors' (reader); they post nothing",
      );
    }
    const issued = await api.administration.issueApiKey(request.organizationId, request.role as never, request.label);
    res.status(201).json({ ...issued.record, token: issued.token });
  });

  app.delete("/v1/admin/api-keys/:keyId", auth, async (req, res) => {
    const caller = callerWithRole(req, "admin");
    const { keyId } = apiKeyParams.parse(req.params);
    const scope = caller.organizationId === OPERATOR_ORGANIZATION ? undefined : caller.organizationId;
    res.json(await api.administration.revokeApiKey(keyId, scope));
  });

  app.use(verificationRoutes({ ...api.verification, store: api.store }));
  const federation = federationRoutes({ ...api.federation, store: api.store });
  app.use(federation.router);
  app.use(subscriptionRoutes({ ...api.subscriptions, store: api.store }));
  app.use(riskRoutes({ ...api.risk, store: api.store }));

  app.use((req: Request) => {
    throw new LedgerError("NOT_FOUND", `no route ${req.method} ${req.path}`);
  });
  app.use(errorHandler(api.logger, api.metrics));
  return { app, closeStreams: federation.closeStreams };
}

/** Ingest and event reads act for the caller's own member organization. */
function memberOf(caller: Caller): number {
  if (caller.organizationId === OPERATOR_ORGANIZATION) {
    throw new LedgerError(
      "FORBIDDEN",
      "the node operator's key does not post or read events; use a key of the organization",
    );
  }
  return caller.organizationId;
}

function operatorOnly(req: Request): void {
  const caller = callerWithRole(req, "admin");
  if (caller.organizationId !== OPERATOR_ORGANIZATION)
    throw new LedgerError("FORBIDDEN", "only the node operator may do this");
}

/** The node operator, or an admin key of this very organization. */
function adminOf(req: Request, organizationId: number): void {
  const caller = callerWithRole(req, "admin");
  if (caller.organizationId !== OPERATOR_ORGANIZATION && caller.organizationId !== organizationId) {
    throw new LedgerError(
      "FORBIDDEN",
      `this API key belongs to organization ${caller.organizationId}, not ${organizationId}`,
    );
  }
}

export function toEventView(e: LedgerEvent) {
  return {
    eventId: e.eventId,
    organizationId: e.organizationId,
    consignmentId: e.consignmentId,
    type: e.type,
    kind: MilestoneKind[e.kind],
    location: e.location,
    occurredAt: new Date(e.occurredAt * 1000).toISOString(),
    state: e.state,
    history: e.history,
    payloadHash: e.payloadHash,
    document: e.document,
    ...(e.registration ? { reference: e.registration.reference } : {}),
    ...(e.correctedIndex !== undefined ? { correctedIndex: e.correctedIndex } : {}),
    signer: e.signature?.signer,
    prevHash: e.prevHash,
    digest: e.digest,
    txHash: e.txHash,
    blockNumber: e.blockNumber,
    logIndex: e.logIndex,
    rejection: e.rejection,
  };
}

function toOrganizationView(o: {
  id: number;
  name: string;
  kind: number;
  country: string;
  signers: Array<{ address: string; createdAt: string; revokedAt?: string }>;
}) {
  return {
    id: o.id,
    name: o.name,
    kind: ["None", "Customs", "AidOrganization", "Carrier", "Agency"][o.kind],
    country: o.country,
    signers: o.signers.map((s) => ({ address: s.address, createdAt: s.createdAt, revokedAt: s.revokedAt })),
  };
}

export type { Response };
