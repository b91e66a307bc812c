/**
 * GET /openapi.json: an OpenAPI 3.1 description generated from the same zod schemas that validate requests.
 */
import { z } from "zod";
import type { ZodType } from "zod";
import { ERROR_CODES } from "../errors";
import { batchRequestSchema, milestoneRequestSchema, registrationRequestSchema } from "../domain/milestoneRequests";
import { milestoneFilterSchema, milestoneQuerySchema } from "../domain/milestoneQuery";
import { createSubscriptionSchema } from "../domain/webhookDelivery";
import { emergencyRequestSchema, warningRequestSchema } from "../domain/advisoryRequests";
import { alertQuerySchema } from "./riskRoutes";
import {
  acceptedResponseSchema,
  errorResponseSchema,
  hostOrganizationSchema,
  issueApiKeySchema,
  revokeSignerSchema,
  rotateSignerSchema,
} from "./schemas";

const json = (schema: ZodType, io: "input" | "output" = "input") => ({
  "application/json": { schema: z.toJSONSchema(schema, { io, unrepresentable: "any" }) },
});

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description: Object.entries(ERROR_CODES)
          .filter(([, v]) => v.status === status)
          .map(([code]) => code)
          .join(", "),
        content: json(errorResponseSchema, "output"),
      },
    ]),
  );

const secured = [{ apiKey: [] }];

function post(summary: string, body: ZodType, accepted: ZodType | null, statuses: number[]) {
  return {
    summary,
    security: secured,
    requestBody: { required: true, content: json(body) },
    responses: {
      ...(accepted
        ? { "202": { description: "Durably accepted", content: json(accepted, "output") } }
        : { "200": { description: "Done" } }),
      ...errors(...statuses),
    },
  };
}

/** Query parameters from a zod object: each property, its description and JSON Schema. */
function queryParameters(schema: ZodType) {
  const described = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, { description?: string }>;
  };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: "query",
    required: false,
    description: property.description,
    schema: property,
  }));
}

const pathParameter = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });

export function openApiDocument(version: string) {
  const ingestErrors = [400, 401, 403, 409, 413, 415, 422, 503];
  return {
    openapi: "3.1.0",
    info: {
      title: "Consignment Ledger node",
      version,
      description:
        "Ingest of signed consignment milestones, anchored on a permissioned EVM chain. Every error body is " +
        "{ error: { code, message, details } }; the codes are listed under each status.",
    },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "clk_<keyId>_<secret>" } },
    },
    paths: {
      "/v1/consignments": {
        post: post(
          "Register a consignment (its first signed milestone)",
          registrationRequestSchema,
          acceptedResponseSchema,
          ingestErrors,
        ),
      },
      "/v1/consignments/{consignmentId}/milestones": {
        post: {
          ...post("Post one milestone", milestoneRequestSchema, acceptedResponseSchema, ingestErrors),
          parameters: [
            {
              name: "consignmentId",
              in: "path",
              required: true,
              schema: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" },
            },
          ],
        },
      },
      "/v1/milestones:batch": {
        post: post(
          "Post up to 1,000 milestones, accepted all or none",
          batchRequestSchema,
          z.object({ milestones: z.array(acceptedResponseSchema) }),
          ingestErrors,
        ),
      },
      "/v1/milestones/{eventId}": {
        get: {
          summary: "An event's lifecycle: accepted, signed, submitted, recorded or rejected",
          security: secured,
          parameters: [{ name: "eventId", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "The event" }, ...errors(400, 401, 403, 404) },
        },
      },
      "/v1/admin/organizations": {
        get: {
          summary: "Organizations hosted on this node",
          security: secured,
          responses: { "200": { description: "List" }, ...errors(401, 403) },
        },
        post: post(
          "Host an organization: register it on chain if new, create its signer key",
          hostOrganizationSchema,
          null,
          [400, 401, 403, 404, 422, 503],
        ),
      },
      "/v1/admin/organizations/{organizationId}/signers": {
        post: post("Rotate the organization's signer key", rotateSignerSchema, null, [400, 401, 403, 404, 422, 503]),
      },
      "/v1/admin/organizations/{organizationId}/signers/{address}/revoke": {
        post: post(
          "Revoke a signer key, optionally declaring when it was compromised",
          revokeSignerSchema,
          null,
          [400, 401, 403, 404, 422, 503],
        ),
      },
      "/v1/admin/api-keys": {
        get: {
          summary: "API keys (never their secrets)",
          security: secured,
          responses: { "200": { description: "List" }, ...errors(401, 403) },
        },
        post: post("Issue an API key; its token is shown once", issueApiKeySchema, null, [400, 401, 403, 404]),
      },
      "/v1/admin/api-keys/{keyId}": {
        delete: {
          summary: "Revoke an API key",
          security: secured,
          responses: { "200": { description: "Revoked" }, ...errors(401, 403, 404) },
        },
      },
      "/v1/milestones": {
        get: {
          summary: "Every organization's indexed milestones, filtered, in pages with a stable cursor",
          security: secured,
          parameters: queryParameters(milestoneQuerySchema),
          responses: { "200": { description: "{ milestones, next, indexedThroughBlock }" }, ...errors(400, 401, 403) },
        },
      },
      "/v1/stream": {
        get: {
          summary:
            "Server-Sent Events: new milestones, retractions and status changes as they are indexed; resumes after Last-Event-ID",
          security: secured,
          parameters: [
            ...queryParameters(milestoneFilterSchema),
            { name: "events", in: "query", required: false, schema: { type: "string" } },
            { name: "after", in: "query", required: false, schema: { type: "string" } },
            { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
          ],
          responses: { "200": { description: "text/event-stream" }, ...errors(400, 401, 403) },
        },
      },
      "/v1/organizations": {
        get: {
          summary: "The chain's directory: every organization, its kind, country and published node endpoint",
          responses: { "200": { description: "{ organizations }" } },
        },
      },
      "/v1/consignments/{consignmentId}/documents/{payloadHash}": {
        get: {
          summary: "A milestone's document, for an organization that is a party or on the route",
          security: secured,
          parameters: [pathParameter("consignmentId"), pathParameter("payloadHash")],
          responses: { "200": { description: "{ document, reference? }" }, ...errors(400, 401, 403, 404) },
        },
      },
      "/v1/peer/consignments/{consignmentId}/documents/{payloadHash}": {
        get: {
          summary: "The same for a peer node, authenticated with Authorization: LedgerPeer <EIP-712 credential>",
          parameters: [pathParameter("consignmentId"), pathParameter("payloadHash")],
          responses: { "200": { description: "{ document, reference? }" }, ...errors(400, 401, 403, 404) },
        },
      },
      "/v1/subscriptions": {
        get: {
          summary: "This organization's webhook subscriptions and their delivery state (never their secrets)",
          security: secured,
          responses: { "200": { description: "{ subscriptions }" }, ...errors(401, 403) },
        },
        post: {
          ...post(
            "Subscribe a URL to filtered changes; the secret is shown once",
            createSubscriptionSchema,
            null,
            [400, 401, 403],
          ),
          responses: { "201": { description: "The subscription, with its secret" }, ...errors(400, 401, 403) },
        },
      },
      "/v1/subscriptions/{subscriptionId}": {
        get: {
          summary: "A subscription's delivery state: cursor, backlog, attempts, recent deliveries",
          security: secured,
          parameters: [pathParameter("subscriptionId")],
          responses: { "200": { description: "The subscription" }, ...errors(400, 401, 403, 404) },
        },
        delete: {
          summary: "Delete a subscription",
          security: secured,
          parameters: [pathParameter("subscriptionId")],
          responses: { "200": { description: "Deleted" }, ...errors(400, 401, 403, 404) },
        },
      },
      "/v1/subscriptions/{subscriptionId}/enable": {
        post: {
          summary: "Enable a subscription that was disabled after repeated failures",
          security: secured,
          parameters: [pathParameter("subscriptionId")],
          responses: { "200": { description: "The subscription" }, ...errors(400, 401, 403, 404) },
        },
      },
      "/v1/warnings": {
        get: {
          summary: "Agency warnings anchored on chain (?active=true|false)",
          responses: { "200": { description: "{ warnings }" }, ...errors(400) },
        },
        post: {
          ...post(
            "An Agency's warning: kind, severity, countries and places, validity; anchored and signed like a milestone",
            warningRequestSchema,
            null,
            [400, 401, 403, 409, 413, 415, 503],
          ),
          responses: {
            "202": { description: "Durably accepted; published on chain shortly" },
            ...errors(400, 401, 403, 409),
          },
        },
      },
      "/v1/warnings/{warningId}": {
        get: {
          summary: "The state of a warning this organization posted (accepted, published, rejected)",
          security: secured,
          parameters: [pathParameter("warningId")],
          responses: { "200": { description: "The warning" }, ...errors(400, 401, 403, 404) },
        },
      },
      "/v1/emergencies": {
        get: {
          summary: "Emergencies declared on chain (?active=true|false)",
          responses: { "200": { description: "{ emergencies }" }, ...errors(400) },
        },
      },
      "/v1/admin/emergencies": {
        post: {
          ...post(
            "Declare an emergency (the operator's admin key; the node's governance key signs)",
            emergencyRequestSchema,
            null,
            [400, 401, 403, 422, 503],
          ),
          responses: {
            "201": { description: "Declared, with its id and transaction" },
            ...errors(400, 401, 403, 422, 503),
          },
        },
      },
      "/v1/admin/emergencies/{reference}/end": {
        post: {
          summary: "End an emergency now",
          security: secured,
          parameters: [pathParameter("reference")],
          responses: { "200": { description: "Ended" }, ...errors(400, 401, 403, 404, 422, 503) },
        },
      },
      "/v1/consignments/{consignmentId}/risk": {
        get: {
          summary:
            "Risk score 0-100, priority lane and the factors behind it, with their evidence and alerts; details only for those the consignment concerns",
          parameters: [pathParameter("consignmentId")],
          responses: { "200": { description: "The assessment" }, ...errors(400, 404) },
        },
      },
      "/v1/alerts": {
        get: {
          summary: "Alerts this organization may see, newest first",
          security: secured,
          parameters: queryParameters(alertQuerySchema),
          responses: { "200": { description: "{ alerts }" }, ...errors(400, 401, 403) },
        },
      },
      "/v1/alerts/{alertId}/acknowledge": {
        post: {
          summary: "Acknowledge an alert (an organization it concerns, or the operator)",
          security: secured,
          parameters: [pathParameter("alertId")],
          responses: { "200": { description: "The alert" }, ...errors(400, 401, 403, 404) },
        },
      },
      "/healthz": { get: { summary: "The process is up", responses: { "200": { description: "ok" } } } },
      "/readyz": {
        get: {
          summary: "Store, chain and submitter lag",
          responses: { "200": { description: "ready" }, "503": { description: "not ready, with the reasons" } },
        },
      },
      "/metrics": {
        get: { summary: "Prometheus metrics", responses: { "200": { description: "text/plain exposition" } } },
      },
    },
  };
}
