/**
 * EPCIS-style queries over the index: the filters (validated by zod; the same ones for GET /v1/milestones, the SSE
 * stream and webhook subscriptions), whether a milestone matches them, which index answers them fastest, the
 * opaque paging cursor, and the public view of an indexed milestone.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { z } from "zod";
import { LedgerError } from "../errors";
import { kindOf } from "./consignmentIndex";
import type { IndexedMilestone } from "./consignmentIndex";
import { ConsignmentFlag, MilestoneKind, OrganizationKind, milestoneKindRule } from "./milestoneKinds";
import { bytes32Schema, countrySchema, flagsFromBits, unLocodeSchema } from "./milestoneRequests";

const KIND_NAMES = Object.keys(MilestoneKind).filter((k) => Number.isNaN(Number(k))) as [string, ...string[]];
const FLAG_NAMES = ["relief", "medical", "coldChain", "dangerousGoods"] as const;
const FLAG_BITS: Record<(typeof FLAG_NAMES)[number], number> = {
  relief: ConsignmentFlag.Relief,
  medical: ConsignmentFlag.Medical,
  coldChain: ConsignmentFlag.ColdChain,
  dangerousGoods: ConsignmentFlag.DangerousGoods,
};

/** A comma-separated list in a query string, e.g. kind=Held,Released. */
const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(",").map((part) => part.trim()))
    .pipe(z.array(item).min(1).max(50));
const time = z.iso.datetime({ offset: true }).transform((s) => Math.floor(Date.parse(s) / 1000));

export const milestoneFilterSchema = z.strictObject({
  consignment: bytes32Schema
    .transform((s) => s.toLowerCase())
    .optional()
    .describe("One consignment's id"),
  kind: list(z.enum(KIND_NAMES)).optional().describe("Milestone kinds, comma-separated, e.g. Held,Released"),
  location: list(unLocodeSchema).optional().describe("UN/LOCODEs, comma-separated"),
  country: list(countrySchema).optional().describe("Countries of the location, ISO 3166-1 alpha-2, comma-separated"),
  organization: list(
    z
      .string()
      .regex(/^\d{1,10}$/, "must be an organization id")
      .transform(Number)
      .pipe(z.int().min(1).max(4_294_967_295)),
  )
    .optional()
    .describe("Ids of the signing organizations, comma-separated"),
  flags: list(z.enum(FLAG_NAMES)).optional().describe("Consignment flags that must all be set, e.g. relief,medical"),
  occurredFrom: time.optional().describe("occurredAt at or after, ISO 8601"),
  occurredTo: time.optional().describe("occurredAt at or before, ISO 8601"),
  recordedFrom: time.optional().describe("Block time at or after, ISO 8601"),
  recordedTo: time.optional().describe("Block time at or before, ISO 8601"),
});
export type MilestoneFilter = z.infer<typeof milestoneFilterSchema>;

export const MAX_PAGE = 1000;
export const milestoneQuerySchema = milestoneFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
  cursor: z.string().max(512).optional().describe("The `next` of the previous page"),
});
export type MilestoneQuery = z.infer<typeof milestoneQuerySchema>;

/** Parses query parameters; an invalid one is INVALID_QUERY naming the parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const unknown = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : undefined;
  const name = unknown ?? (issue.path.map(String).join(".") || "query");
  throw new LedgerError(
    "INVALID_QUERY",
    unknown ? `unknown query parameter ${unknown}` : `invalid query parameter ${name}: ${issue.message}`,
    parsed.error.issues.map((i) => ({ parameter: i.path.map(String).join(".") || unknown, message: i.message })),
  );
}

export function matchesFilter(entry: IndexedMilestone, f: MilestoneFilter): boolean {
  const m = entry.milestone;
  if (f.consignment && m.consignmentId.toLowerCase() !== f.consignment) return false;
  if (f.kind && !f.kind.includes(MilestoneKind[kindOf(m)])) return false;
  if (f.location && !f.location.includes(m.location)) return false;
  if (f.country && !f.country.includes(entry.country)) return false;
  if (f.organization && !f.organization.includes(entry.organizationId)) return false;
  if (f.flags && f.flags.some((flag) => (entry.flags & FLAG_BITS[flag]) === 0)) return false;
  if (f.occurredFrom !== undefined && m.occurredAt < f.occurredFrom) return false;
  if (f.occurredTo !== undefined && m.occurredAt > f.occurredTo) return false;
  const recordedAt = m.chain?.blockTime ?? 0;
  if (f.recordedFrom !== undefined && recordedAt < f.recordedFrom) return false;
  if (f.recordedTo !== undefined && recordedAt > f.recordedTo) return false;
  return true;
}

/** Which index to walk: the most selective single-valued filter, else time order, else chain order. */
export type QueryPlan =
  | { index: "position" }
  | { index: "consignment" | "organization" | "country" | "kind"; value: string }
  | { index: "occurredAt"; gte?: string; lte?: string };

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export function planQuery(f: MilestoneFilter): QueryPlan {
  if (f.consignment) return { index: "consignment", value: f.consignment };
  if (f.organization?.length === 1) return { index: "organization", value: pad(f.organization[0], 10) };
  if (f.location?.length === 1) return { index: "country", value: f.location[0].slice(0, 2) };
  if (f.country?.length === 1) return { index: "country", value: f.country[0] };
  if (f.kind?.length === 1)
    return { index: "kind", value: pad(MilestoneKind[f.kind[0] as keyof typeof MilestoneKind], 2) };
  if (f.occurredFrom !== undefined || f.occurredTo !== undefined) {
    return {
      index: "occurredAt",
      ...(f.occurredFrom !== undefined ? { gte: pad(f.occurredFrom, 12) } : {}),
      ...(f.occurredTo !== undefined ? { lte: pad(f.occurredTo, 12) } : {}),
    };
  }
  return { index: "position" };
}

/** A fingerprint of the filters, so a cursor is only used with the query it came from. */
export function filterFingerprint(f: MilestoneFilter): string {
  return createHash("sha256")
    .update(canonicalize(f) ?? "")
    .digest("base64url")
    .slice(0, 16);
}

export function encodeCursor(fingerprint: string, afterKey: string): string {
  return Buffer.from(JSON.stringify({ f: fingerprint, k: afterKey })).toString("base64url");
}

export function decodeCursor(cursor: string, fingerprint: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new LedgerError("INVALID_CURSOR", "the cursor is not one this node issued");
  }
  const { f, k } = (decoded ?? {}) as { f?: unknown; k?: unknown };
  if (typeof f !== "string" || typeof k !== "string") {
    throw new LedgerError("INVALID_CURSOR", "the cursor is not one this node issued");
  }
  if (f !== fingerprint) throw new LedgerError("INVALID_CURSOR", "the cursor belongs to a query with other filters");
  return k;
}

/** An indexed milestone as the query API, the stream and webhooks show it: public chain facts, no document. */
export function indexedMilestoneView(
  entry: IndexedMilestone,
  organizationOf: (id: number) => { name: string; kind: OrganizationKind; country: string } | undefined,
) {
  const m = entry.milestone;
  const kind = kindOf(m);
  const org = organizationOf(entry.organizationId);
  return {
    id: entry.position,
    consignmentId: m.consignmentId,
    type: m.type,
    kind: MilestoneKind[kind],
    bizStep: milestoneKindRule(kind).bizStep,
    disposition: milestoneKindRule(kind).disposition,
    location: m.location,
    country: entry.country,
    occurredAt: new Date(m.occurredAt * 1000).toISOString(),
    recordedAt: new Date((m.chain?.blockTime ?? 0) * 1000).toISOString(),
    payloadHash: m.payloadHash,
    prevHash: m.prevHash ?? null,
    ...(m.correctedIndex !== undefined ? { correctedIndex: m.correctedIndex } : {}),
    signer: m.signer,
    organization: org
      ? { id: entry.organizationId, name: org.name, kind: OrganizationKind[org.kind], country: org.country }
      : { id: entry.organizationId, name: null, kind: null, country: null },
    consignmentFlags: flagsFromBits(entry.flags),
    chain: m.chain ?? null,
  };
}
