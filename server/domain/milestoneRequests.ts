/**
 * What customs, aid and carrier systems send, as zod schemas. The OpenAPI description is generated from these, so
 * it cannot disagree with validation. Unknown fields are refused.
 */
import { z } from "zod";
import { MilestoneKind, ConsignmentFlag } from "./milestoneKinds";
import { COUNTRY_CODE_PATTERN, UN_LOCODE_PATTERN } from "./locationCodes";

/** Deeply nested payloads are refused before anything recurses over them. */
export const MAX_PAYLOAD_DEPTH = 16;

const kindNames = Object.keys(MilestoneKind).filter((k) => Number.isNaN(Number(k))) as Array<
  keyof typeof MilestoneKind
>;
/** Kinds posted as milestones; Registered goes through POST /v1/consignments. */
const postableKindNames = kindNames.filter((k) => k !== "Registered") as [string, ...string[]];

export const eventIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "must be 1-128 characters: letters, digits and . _ : - ")
  .describe("The client's own id for this event; posting it again with the same body is safe.");
export const bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex string");
export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");
export const unLocodeSchema = z
  .string()
  .regex(UN_LOCODE_PATTERN, "must be a UN/LOCODE such as KEMBA")
  .describe("UN/LOCODE");
export const countrySchema = z.string().regex(COUNTRY_CODE_PATTERN, "must be an ISO 3166-1 alpha-2 code such as KE");
export const occurredAtSchema = z.iso
  .datetime({ offset: true })
  .describe("When it happened, ISO 8601 with a time zone, e.g. 2026-11-28T09:30:00Z");

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || value === null || typeof value !== "object") return depth;
  let deepest = depth;
  for (const child of Object.values(value as object)) {
    deepest = Math.max(deepest, depthOf(child, limit, depth + 1));
    if (deepest > limit) break;
  }
  return deepest;
}

export const payloadSchema = z
  .record(z.string().max(256), z.json())
  .refine((value) => depthOf(value, MAX_PAYLOAD_DEPTH) <= MAX_PAYLOAD_DEPTH, {
    message: `must not nest deeper than ${MAX_PAYLOAD_DEPTH} levels`,
  })
  .describe(
    "The milestone document: declaration reference, HS codes, packages and quantities, seals, hold reasons, " +
      "temperatures, attachment hashes. Kept off chain; the chain holds its hash.",
  );

export const clientSignatureSchema = z
  .strictObject({
    signer: addressSchema,
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte hex signature"),
    prevHash: bytes32Schema.describe("The consignment head the client signed over."),
  })
  .describe("Present when the client signed the milestone itself; the node then only relays it.");

const milestoneFields = {
  eventId: eventIdSchema,
  kind: z.enum(postableKindNames),
  location: unLocodeSchema,
  occurredAt: occurredAtSchema,
  payload: payloadSchema.default({}),
  correctedIndex: z.int().min(0).max(4_294_967_295).optional().describe("For kind Correction: the index it corrects."),
  clientSignature: clientSignatureSchema.optional(),
};

function checkCorrectionFields(
  m: { kind: string; correctedIndex?: number; clientSignature?: unknown },
  ctx: z.RefinementCtx,
): void {
  if ((m.kind === "Correction") !== (m.correctedIndex !== undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["correctedIndex"],
      message: "is required for, and only for, kind Correction",
    });
  }
  if (m.kind === "Correction" && m.clientSignature) {
    ctx.addIssue({ code: "custom", path: ["clientSignature"], message: "is not supported for corrections" });
  }
}

export const milestoneRequestSchema = z.strictObject(milestoneFields).superRefine(checkCorrectionFields);

export const batchItemSchema = z
  .strictObject({ consignmentId: bytes32Schema, ...milestoneFields })
  .superRefine(checkCorrectionFields);

export const MAX_BATCH_ITEMS = 1000;
export const batchRequestSchema = z.strictObject({
  milestones: z.array(batchItemSchema).min(1).max(MAX_BATCH_ITEMS),
});

export const consignmentFlagsSchema = z
  .strictObject({
    relief: z.boolean().default(false),
    medical: z.boolean().default(false),
    coldChain: z.boolean().default(false),
    dangerousGoods: z.boolean().default(false),
  })
  .default({ relief: false, medical: false, coldChain: false, dangerousGoods: false });

export const registrationRequestSchema = z.strictObject({
  eventId: eventIdSchema,
  reference: z
    .string()
    .min(1)
    .max(70)
    .regex(/^[\x20-\x7E]+$/, "must be printable ASCII")
    .describe("The consignor's reference: the WCO UCR where there is one. Case and surrounding spaces are ignored."),
  consigneeOrganizationId: z.int().min(1).max(4_294_967_295).optional(),
  originCountry: countrySchema,
  destinationCountry: countrySchema,
  flags: consignmentFlagsSchema,
  location: unLocodeSchema,
  occurredAt: occurredAtSchema,
  payload: payloadSchema.default({}),
});

export type MilestoneRequest = z.infer<typeof milestoneRequestSchema>;
export type BatchItem = z.infer<typeof batchItemSchema>;
export type RegistrationRequest = z.infer<typeof registrationRequestSchema>;

export function flagsToBits(flags: z.infer<typeof consignmentFlagsSchema>): number {
  return (
    (flags.relief ? ConsignmentFlag.Relief : 0) |
    (flags.medical ? ConsignmentFlag.Medical : 0) |
    (flags.coldChain ? ConsignmentFlag.ColdChain : 0) |
    (flags.dangerousGoods ? ConsignmentFlag.DangerousGoods : 0)
  );
}

export function flagsFromBits(bits: number) {
  return {
    relief: (bits & ConsignmentFlag.Relief) !== 0,
    medical: (bits & ConsignmentFlag.Medical) !== 0,
    coldChain: (bits & ConsignmentFlag.ColdChain) !== 0,
    dangerousGoods: (bits & ConsignmentFlag.DangerousGoods) !== 0,
  };
}
