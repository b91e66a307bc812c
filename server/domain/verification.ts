/**
 * Verifying a consignment's history without trusting any node: every milestone is checked against its document,
 * its signature, the signer's key history, the chain's logs and the milestone before it, and the last digest
 * against the head stored on chain. Pure: the chain's facts come in through VerificationContext, so the API, the
 * evidence-bundle path and the auditor's CLI all run exactly this code and reach the same verdict.
 */
import { canonicalJsonOf, payloadHashOf } from "./payloadHash";
import type { JsonValue } from "./payloadHash";
import { milestoneDigestOf, correctionDigestOf, registrationDigestOf, recoverSignerOrNull } from "./eip712";
import type { LedgerDeployment, SignerSignature } from "./eip712";
import { countryOfLocation } from "./locationCodes";
import { correctionStructOf, milestoneStructOf, registrationStructOf } from "./contractStructs";
import { MilestoneKind, OrganizationKind, mayOrganizationSign } from "./milestoneKinds";
import type { RegistrationTerms } from "./ledgerEvent";
import { consignmentIdOf } from "./consignmentId";

export type CheckName =
  | "payloadHash"
  | "signature"
  | "signerAuthorized"
  | "signerNotCompromised"
  | "onChain"
  | "linksToPrevious"
  | "kindAndJurisdiction";

export type FailureCode =
  | "DOCUMENT_HASH_MISMATCH"
  | "SIGNATURE_INVALID"
  | "SIGNER_NOT_AUTHORIZED"
  | "SIGNER_COMPROMISED"
  | "NOT_ON_CHAIN"
  | "BROKEN_LINK"
  | "KIND_NOT_ALLOWED"
  | "OUTSIDE_JURISDICTION"
  | "SIGNER_ORGANIZATION_MISMATCH"
  | "HEAD_MISMATCH"
  | "WRONG_DOMAIN";

export interface CheckResult {
  check: CheckName;
  /** null: not checked, e.g. the document is not shown to this caller. */
  ok: boolean | null;
  code?: FailureCode;
  message?: string;
}

/** One milestone as a verifier sees it: the signed fields, the signature, and where the chain recorded it. */
export interface VerifiableMilestone {
  type: "registration" | "milestone" | "correction";
  consignmentId: string;
  kind: number;
  location: string; // UN/LOCODE letters
  occurredAt: number;
  payloadHash: string;
  prevHash?: string; // milestones and corrections
  registration?: Omit<RegistrationTerms, "reference"> & { reference?: string };
  correctedIndex?: number;
  signer: string;
  /** The organization the milestone claims to come from; checked against the key's organization on chain. */
  organizationId?: number;
  signature: SignerSignature;
  document?: JsonValue;
  chain?: { txHash: string; blockNumber: number; logIndex: number; blockTime: number };
}

export interface KeyHistory {
  organizationId: number;
  addedAt: number;
  revokedAt: number; // 0: never
  compromisedAt: number; // 0: never declared
}

export interface VerificationContext {
  deployment: LedgerDeployment;
  keyOf(signer: string): KeyHistory | undefined;
  organizationOf(id: number): { kind: OrganizationKind; country: string } | undefined;
  /** Whether the chain's logs hold this milestone at its claimed position (tx, block, log index). */
  onChain(milestone: VerifiableMilestone): boolean;
  /** The consignment's head as the contract stores it now. */
  chainHead: string | undefined;
}

export interface VerifiedMilestone {
  index: number;
  digest: string;
  verified: boolean;
  checks: CheckResult[];
}

export interface HistoryVerdict {
  verdict: "verified" | "failed";
  milestones: VerifiedMilestone[];
  head: { computed: string | undefined; onChain: string | undefined; ok: boolean; code?: FailureCode };
  failures: Array<{ index: number | null; code: FailureCode; message: string }>;
}

export function digestOf(deployment: LedgerDeployment, m: VerifiableMilestone): string {
  if (m.type === "registration") return registrationDigestOf(deployment, registrationStructOf(m));
  if (m.type === "correction") return correctionDigestOf(deployment, correctionStructOf(m, m.prevHash!));
  return milestoneDigestOf(deployment, milestoneStructOf(m, m.prevHash!));
}

/** Verifies a consignment's history, in order, against the chain's facts. */
export function verifyHistory(history: readonly VerifiableMilestone[], ctx: VerificationContext): HistoryVerdict {
  const milestones: VerifiedMilestone[] = [];
  let previousDigest: string | undefined;
  for (const [index, m] of history.entries()) {
    let digest: string;
    try {
      digest = digestOf(ctx.deployment, m);
    } catch {
      digest = "0x";
    }
    const checks = [
      verifyPayloadHash(m),
      verifySignature(m, digest),
      verifySignerAuthorized(m, ctx),
      verifySignerNotCompromised(m, ctx),
      verifyOnChain(m, ctx),
      verifyLink(m, index, previousDigest, history[0]),
      verifyKindAndJurisdiction(m, ctx),
    ];
    milestones.push({ index, digest, verified: checks.every((c) => c.ok !== false), checks });
    previousDigest = digest;
  }
  const computed = milestones.at(-1)?.digest;
  const headOk =
    computed !== undefined && ctx.chainHead !== undefined && computed.toLowerCase() === ctx.chainHead.toLowerCase();
  const head = {
    computed,
    onChain: ctx.chainHead,
    ok: headOk,
    ...(headOk ? {} : { code: "HEAD_MISMATCH" as const }),
  };
  const failures = [
    ...milestones.flatMap((v) =>
      v.checks
        .filter((c) => c.ok === false)
        .map((c) => ({ index: v.index, code: c.code!, message: c.message ?? c.check })),
    ),
    ...(headOk
      ? []
      : [
          {
            index: null,
            code: "HEAD_MISMATCH" as const,
            message: `the last digest ${computed ?? "(none)"} is not the head stored on chain, ${ctx.chainHead ?? "(none)"}`,
          },
        ]),
  ];
  return { verdict: failures.length === 0 ? "verified" : "failed", milestones, head, failures };
}

const pass = (check: CheckName): CheckResult => ({ check, ok: true });
const fail = (check: CheckName, code: FailureCode, message: string): CheckResult => ({
  check,
  ok: false,
  code,
  message,
});

function verifyPayloadHash(m: VerifiableMilestone): CheckResult {
  if (m.document === undefined)
    return { check: "payloadHash", ok: null, message: "the document is not shown to this caller" };
  try {
    canonicalJsonOf(m.document);
    return payloadHashOf(m.document).toLowerCase() === m.payloadHash.toLowerCase()
      ? pass("payloadHash")
      : fail("payloadHash", "DOCUMENT_HASH_MISMATCH", "the document's RFC 8785 hash is not the payloadHash on chain");
  } catch {
    return fail("payloadHash", "DOCUMENT_HASH_MISMATCH", "the document cannot be canonicalized");
  }
}

function verifySignature(m: VerifiableMilestone, digest: string): CheckResult {
  const recovered = digest === "0x" ? null : recoverSignerOrNull(digest, m.signature);
  if (recovered && recovered.toLowerCase() === m.signer.toLowerCase()) return pass("signature");
  return fail(
    "signature",
    "SIGNATURE_INVALID",
    recovered
      ? `the EIP-712 signature recovers ${recovered}, not the recorded signer ${m.signer}`
      : "the signature does not recover any key",
  );
}

/** The key belonged to an organization and was not revoked when the chain recorded the milestone. */
function verifySignerAuthorized(m: VerifiableMilestone, ctx: VerificationContext): CheckResult {
  const key = ctx.keyOf(m.signer);
  const at = m.chain?.blockTime ?? m.occurredAt;
  if (!key)
    return fail("signerAuthorized", "SIGNER_NOT_AUTHORIZED", `${m.signer} was never a signer key of any organization`);
  if (m.organizationId !== undefined && m.organizationId !== key.organizationId) {
    return fail(
      "signerAuthorized",
      "SIGNER_ORGANIZATION_MISMATCH",
      `${m.signer} is a key of organization ${key.organizationId}, not of ${m.organizationId}`,
    );
  }
  if (key.addedAt > at)
    return fail("signerAuthorized", "SIGNER_NOT_AUTHORIZED", `${m.signer} was added after the milestone was recorded`);
  // A revocation in the very block (same second) as the milestone came after it: the contract refuses a revoked
  // key, so a milestone on chain was recorded while its key stood. Without chain facts, the same second counts.
  const revokedBefore = m.chain ? key.revokedAt < at : key.revokedAt <= at;
  if (key.revokedAt !== 0 && revokedBefore) {
    return fail(
      "signerAuthorized",
      "SIGNER_NOT_AUTHORIZED",
      `${m.signer} was revoked before the milestone was recorded`,
    );
  }
  return pass("signerAuthorized");
}

/** Everything a key signed after its declared compromise time is flagged, even if recorded before the revocation. */
function verifySignerNotCompromised(m: VerifiableMilestone, ctx: VerificationContext): CheckResult {
  const key = ctx.keyOf(m.signer);
  const at = m.chain?.blockTime ?? m.occurredAt;
  if (key && key.compromisedAt !== 0 && at >= key.compromisedAt) {
    return fail(
      "signerNotCompromised",
      "SIGNER_COMPROMISED",
      `${m.signer} was declared compromised from ${new Date(key.compromisedAt * 1000).toISOString()}`,
    );
  }
  return pass("signerNotCompromised");
}

function verifyOnChain(m: VerifiableMilestone, ctx: VerificationContext): CheckResult {
  return ctx.onChain(m)
    ? pass("onChain")
    : fail("onChain", "NOT_ON_CHAIN", "the chain's logs do not hold this milestone at that position");
}

function verifyLink(
  m: VerifiableMilestone,
  index: number,
  previousDigest: string | undefined,
  first: VerifiableMilestone,
): CheckResult {
  if (index === 0) {
    if (m.type !== "registration") {
      return fail("linksToPrevious", "BROKEN_LINK", "the history does not start with the consignment's registration");
    }
    const r = m.registration!;
    return consignmentIdOf(r.consignor, r.referenceHash).toLowerCase() === m.consignmentId.toLowerCase()
      ? pass("linksToPrevious")
      : fail("linksToPrevious", "BROKEN_LINK", "the registration is another consignment's");
  }
  if (m.type === "registration") return fail("linksToPrevious", "BROKEN_LINK", "a second registration in one history");
  if (m.consignmentId.toLowerCase() !== first.consignmentId.toLowerCase()) {
    return fail("linksToPrevious", "BROKEN_LINK", "the milestone belongs to another consignment");
  }
  return m.prevHash?.toLowerCase() === previousDigest?.toLowerCase()
    ? pass("linksToPrevious")
    : fail(
        "linksToPrevious",
        "BROKEN_LINK",
        "prevHash is not the digest of the milestone before: one is missing, added or reordered",
      );
}

function verifyKindAndJurisdiction(m: VerifiableMilestone, ctx: VerificationContext): CheckResult {
  const key = ctx.keyOf(m.signer);
  const org = key ? ctx.organizationOf(key.organizationId) : undefined;
  if (!org) return fail("kindAndJurisdiction", "KIND_NOT_ALLOWED", "the signer's organization is unknown");
  const kind =
    m.type === "registration" ? MilestoneKind.Registered : m.type === "correction" ? MilestoneKind.Correction : m.kind;
  if (!mayOrganizationSign(org.kind, kind)) {
    return fail(
      "kindAndJurisdiction",
      "KIND_NOT_ALLOWED",
      `${OrganizationKind[org.kind]} may not sign ${MilestoneKind[kind]}`,
    );
  }
  if (org.kind === OrganizationKind.Customs && countryOfLocation(m.location) !== org.country) {
    return fail("kindAndJurisdiction", "OUTSIDE_JURISDICTION", `customs of ${org.country} recorded at ${m.location}`);
  }
  return pass("kindAndJurisdiction");
}
