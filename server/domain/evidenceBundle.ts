/**
 * The evidence bundle: a self-contained, versioned JSON record of one consignment's history, with every document,
 * signature and chain reference, and the organizations and keys involved. Anyone can verify it against the chain
 * alone; the organizations and keys it carries are for reading, and a verifier takes them from the chain.
 */
import { z } from "zod";
import { MilestoneKind, OrganizationKind } from "./milestoneKinds";
import { addressSchema, bytes32Schema, countrySchema, unLocodeSchema } from "./milestoneRequests";
import type { KeyHistory, VerifiableMilestone } from "./verification";

export const BUNDLE_FORMAT = "consignment-ledger/evidence-bundle";
export const BUNDLE_VERSION = 1;

const kindName = z.enum(Object.keys(MilestoneKind).filter((k) => Number.isNaN(Number(k))) as [string, ...string[]]);

const bundleMilestoneSchema = z.strictObject({
  index: z.int().min(0),
  type: z.enum(["registration", "milestone", "correction"]),
  kind: kindName,
  location: unLocodeSchema,
  occurredAt: z.int().min(0),
  payloadHash: bytes32Schema,
  prevHash: bytes32Schema.optional(),
  registration: z
    .strictObject({
      reference: z.string().optional(),
      referenceHash: bytes32Schema,
      consignor: z.int().min(1),
      consignee: z.int().min(0),
      originCountry: countrySchema,
      destinationCountry: countrySchema,
      flags: z.int().min(0).max(255),
    })
    .optional(),
  correctedIndex: z.int().min(0).optional(),
  signer: addressSchema,
  organizationId: z.int().min(1),
  signature: z.strictObject({ r: bytes32Schema, yParityAndS: bytes32Schema }),
  document: z.json().optional(),
  chain: z.strictObject({
    txHash: bytes32Schema,
    blockNumber: z.int().min(0),
    logIndex: z.int().min(0),
    blockTime: z.int().min(0),
  }),
});

export const evidenceBundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  generatedAt: z.string(),
  chainId: z.int().min(1),
  contract: addressSchema,
  consignmentId: bytes32Schema,
  head: bytes32Schema,
  milestones: z.array(bundleMilestoneSchema).min(1).max(100_000),
  organizations: z.array(
    z.strictObject({
      id: z.int().min(1),
      kind: z.enum(["Customs", "AidOrganization", "Carrier", "Agency"]),
      country: countrySchema,
      name: z.string(),
    }),
  ),
  keys: z.array(
    z.strictObject({
      address: addressSchema,
      organizationId: z.int().min(1),
      addedAt: z.int().min(0),
      revokedAt: z.int().min(0),
      compromisedAt: z.int().min(0),
    }),
  ),
});

export type EvidenceBundle = z.infer<typeof evidenceBundleSchema>;

export function toEvidenceBundle(input: {
  chainId: number;
  contract: string;
  consignmentId: string;
  head: string;
  history: readonly VerifiableMilestone[];
  organizations: Map<number, { kind: OrganizationKind; country: string; name: string }>;
  keys: Map<string, KeyHistory>;
}): EvidenceBundle {
  const signers = new Set(input.history.map((m) => m.signer.toLowerCase()));
  const keys = [...input.keys.entries()].filter(([address]) => signers.has(address));
  const orgIds = new Set(keys.map(([, k]) => k.organizationId));
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    generatedAt: new Date().toISOString(),
    chainId: input.chainId,
    contract: input.contract,
    consignmentId: input.consignmentId,
    head: input.head,
    milestones: input.history.map((m, index) => ({
      index,
      type: m.type,
      kind: MilestoneKind[m.kind],
      location: m.location,
      occurredAt: m.occurredAt,
      payloadHash: m.payloadHash,
      ...(m.prevHash ? { prevHash: m.prevHash } : {}),
      ...(m.registration ? { registration: m.registration } : {}),
      ...(m.correctedIndex !== undefined ? { correctedIndex: m.correctedIndex } : {}),
      signer: m.signer,
      organizationId: input.keys.get(m.signer.toLowerCase())?.organizationId ?? 0,
      signature: { r: m.signature.r, yParityAndS: m.signature.yParityAndS },
      ...(m.document !== undefined ? { document: m.document } : {}),
      chain: m.chain!,
    })),
    organizations: [...orgIds].flatMap((id) => {
      const org = input.organizations.get(id);
      return org ? [{ id, kind: OrganizationKind[org.kind] as "Customs", country: org.country, name: org.name }] : [];
    }),
    keys: keys.map(([address, k]) => ({ address, ...k })),
  };
}

export function milestonesOfBundle(bundle: EvidenceBundle): VerifiableMilestone[] {
  return bundle.milestones.map((m) => ({
    type: m.type,
    consignmentId: bundle.consignmentId,
    kind: MilestoneKind[m.kind as keyof typeof MilestoneKind],
    location: m.location,
    occurredAt: m.occurredAt,
    payloadHash: m.payloadHash,
    prevHash: m.prevHash,
    registration: m.registration,
    correctedIndex: m.correctedIndex,
    signer: m.signer,
    organizationId: m.organizationId,
    signature: { signer: m.signer, r: m.signature.r, yParityAndS: m.signature.yParityAndS },
    document: m.document as VerifiableMilestone["document"],
    chain: m.chain,
  }));
}
