/**
 * Schemas of the requests that are not ingest (those live in domain/milestoneRequests) and of path parameters.
 */
import { z } from "zod";
import { API_KEY_ROLES } from "../domain/apiKeys";
import { OrganizationKind } from "../domain/milestoneKinds";
import { addressSchema, bytes32Schema, countrySchema, eventIdSchema } from "../domain/milestoneRequests";

const organizationKinds = Object.keys(OrganizationKind).filter((k) => Number.isNaN(Number(k)) && k !== "None") as [
  string,
  ...string[],
];

export const organizationIdSchema = z.coerce.number().int().min(1).max(4_294_967_295);

export const hostOrganizationSchema = z
  .strictObject({
    organizationId: z
      .int()
      .min(1)
      .max(4_294_967_295)
      .optional()
      .describe("Host an organization already registered on chain."),
    kind: z.enum(organizationKinds).optional(),
    country: countrySchema.optional(),
    name: z.string().min(1).max(200),
    admin: addressSchema.optional().describe("The organization's own admin key on chain."),
  })
  .refine((r) => r.organizationId !== undefined || (r.kind !== undefined && r.country !== undefined), {
    message: "name an existing organizationId, or give kind and country for a new one",
  });

export const rotateSignerSchema = z.strictObject({ revokePrevious: z.boolean().default(false) });
export const revokeSignerSchema = z.strictObject({
  compromisedAt: z.iso.datetime({ offset: true }).optional().describe("When the key is believed compromised."),
});
export const issueApiKeySchema = z.strictObject({
  organizationId: z.int().min(0).max(4_294_967_295).describe("0: the node operator (admin role only)."),
  role: z.enum(API_KEY_ROLES as [string, ...string[]]),
  label: z.string().min(1).max(200),
});

export const consignmentIdParams = z.strictObject({ consignmentId: bytes32Schema });
export const eventIdParams = z.strictObject({ eventId: eventIdSchema });
export const organizationParams = z.strictObject({ organizationId: organizationIdSchema });
export const signerParams = z.strictObject({ organizationId: organizationIdSchema, address: addressSchema });
export const apiKeyParams = z.strictObject({ keyId: z.string().regex(/^[0-9a-f]{16}$/) });

export const acceptedResponseSchema = z.object({
  eventId: z.string(),
  consignmentId: bytes32Schema,
  payloadHash: bytes32Schema,
  state: z.literal("accepted"),
});

export const errorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
