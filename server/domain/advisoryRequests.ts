/**
 * What agencies post as warnings and what the operator sends to declare an emergency, as zod schemas, and how a
 * posted warning becomes the struct its agency's key signs. Pure.
 */
import { z } from "zod";
import { solidityPackedKeccak256 } from "ethers";
import { WARNING_KINDS, WARNING_SEVERITIES } from "./emergencies";
import { countrySchema, eventIdSchema, occurredAtSchema, payloadSchema, unLocodeSchema } from "./milestoneRequests";
import { payloadHashOf } from "./payloadHash";
import type { JsonValue } from "./payloadHash";
import { toCountryBytes, toLocationBytes } from "./locationCodes";

const MAX_AREA = 64;

const areaFields = {
  countries: z.array(countrySchema).max(MAX_AREA).default([]).describe("ISO 3166-1 alpha-2 codes"),
  locations: z.array(unLocodeSchema).max(MAX_AREA).default([]).describe("UN/LOCODEs"),
};
const nonEmptyArea = (a: { countries: string[]; locations: string[] }) => a.countries.length + a.locations.length > 0;

export const warningRequestSchema = z
  .strictObject({
    warningId: eventIdSchema.describe(
      "The agency's own id for the warning; posting it again with the same body is safe.",
    ),
    kind: z.enum(WARNING_KINDS),
    severity: z.enum(WARNING_SEVERITIES),
    ...areaFields,
    validFrom: occurredAtSchema,
    validUntil: occurredAtSchema,
    payload: payloadSchema.default({}),
  })
  .refine(nonEmptyArea, { message: "name at least one country or location", path: ["countries"] })
  .refine((w) => Date.parse(w.validUntil) > Date.parse(w.validFrom), {
    message: "must be later than validFrom",
    path: ["validUntil"],
  });
export type WarningRequest = z.infer<typeof warningRequestSchema>;

export const emergencyRequestSchema = z
  .strictObject({
    reference: eventIdSchema.describe("The consortium's reference for the declaration, e.g. EMERGENCY-KE-2026-07"),
    ...areaFields,
    startsAt: occurredAtSchema,
    endsAt: occurredAtSchema.optional().describe("Omitted: until it is ended"),
    document: payloadSchema.describe("The declaration document; the chain holds its RFC 8785 hash."),
  })
  .refine(nonEmptyArea, { message: "name at least one country or location", path: ["countries"] })
  .refine((e) => e.endsAt === undefined || Date.parse(e.endsAt) > Date.parse(e.startsAt), {
    message: "must be later than startsAt",
    path: ["endsAt"],
  });
export type EmergencyRequest = z.infer<typeof emergencyRequestSchema>;

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The on-chain id of an agency's warning: its organization and its own id, so two agencies never collide. */
export function warningIdOf(organizationId: number, clientWarningId: string): string {
  return solidityPackedKeccak256(["uint32", "string"], [organizationId, clientWarningId]).toLowerCase();
}

/** The on-chain id of an emergency: its reference. */
export function emergencyIdOf(reference: string): string {
  return solidityPackedKeccak256(["string", "string"], ["emergency", reference]).toLowerCase();
}

export function warningStructOf(organizationId: number, request: WarningRequest) {
  const document: JsonValue = { warningId: request.warningId, payload: request.payload as JsonValue };
  return {
    document,
    fingerprint: payloadHashOf(request as unknown as JsonValue),
    struct: {
      warningId: warningIdOf(organizationId, request.warningId),
      kind: WARNING_KINDS.indexOf(request.kind),
      severity: WARNING_SEVERITIES.indexOf(request.severity),
      countries: request.countries.map(toCountryBytes),
      locations: request.locations.map(toLocationBytes),
      validFrom: seconds(request.validFrom),
      validUntil: seconds(request.validUntil),
      payloadHash: payloadHashOf(document),
    },
  };
}

export function emergencyDeclarationOf(request: EmergencyRequest) {
  return {
    emergencyId: emergencyIdOf(request.reference),
    countries: request.countries,
    locations: request.locations,
    startsAt: seconds(request.startsAt),
    endsAt: request.endsAt ? seconds(request.endsAt) : 0,
    documentHash: payloadHashOf(request.document as JsonValue),
  };
}
