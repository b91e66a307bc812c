/**
 * Accepting events from customs, aid and carrier systems: idempotency, document hashing, time bounds, the
 * contract's rules against the projected consignment, then one durable write. Pure of I/O: storage and chain state
 * come in through IngestPorts, so the tests need neither LevelDB nor a node.
 */
import { LedgerError, codeOfContractError } from "../errors";
import { canonicalJsonOf, payloadHashOf, NotCanonicalizableError } from "./payloadHash";
import type { JsonValue } from "./payloadHash";
import { keccak256, toUtf8Bytes } from "ethers";
import { consignmentIdOf, normalizeReference, referenceHashOf } from "./consignmentId";
import { MilestoneKind } from "./milestoneKinds";
import { toLocationBytes } from "./locationCodes";
import { milestoneDigestOf, recoverSignerOrNull, toSignerSignature } from "./eip712";
import type { LedgerDeployment, SignerSignature } from "./eip712";
import { checkCorrection, checkMilestone, checkRegistration, stagedView } from "./ledgerRules";
import type { LedgerView, RuleViolation, SignatureFacts } from "./ledgerRules";
import { applyEvent, UNKNOWN_HEAD } from "./consignmentProjection";
import type { AcceptedResponse, IdempotencyRecord, LedgerEvent } from "./ledgerEvent";
import { flagsToBits } from "./milestoneRequests";
import type { BatchItem, RegistrationRequest } from "./milestoneRequests";

export type IngestItem =
  { route: "registration"; request: RegistrationRequest } | { route: "milestone"; request: BatchItem };

export interface IngestContext {
  organizationId: number;
  deployment: LedgerDeployment;
  nowSeconds: number;
  maxClockSkewSeconds: number;
  maxEventAgeSeconds: number;
}

export interface IngestPorts {
  idempotencyRecord(key: string): Promise<IdempotencyRecord | undefined>;
  /** What the rules read: chain state with this node's pending events replayed on top of each consignment. */
  snapshot(needs: { consignmentIds: string[]; signers: string[]; organizationIds: number[] }): Promise<LedgerView>;
  /** The address this node signs with for the organization, or undefined when it hosts no key for it. */
  activeSignerOf(organizationId: number): string | undefined;
  nextSeq(): number;
  accept(events: LedgerEvent[], idempotency: IdempotencyRecord[]): Promise<void>;
}

const eventKeyOf = (organizationId: number, eventId: string): string => `${organizationId}/${eventId}`;

export async function acceptEvents(
  ports: IngestPorts,
  ctx: IngestContext,
  items: IngestItem[],
): Promise<AcceptedResponse[]> {
  const keyed = items.map((item, index) => {
    const key = eventKeyOf(ctx.organizationId, item.request.eventId);
    const fingerprint = keccak256(toUtf8Bytes(canonicalJsonOf(item as unknown as JsonValue)));
    return { item, index, key, fingerprint };
  });
  const seen = new Set<string>();
  for (const k of keyed) {
    if (seen.has(k.key)) {
      throw new LedgerError("IDEMPOTENCY_CONFLICT", `eventId ${k.item.request.eventId} appears twice in one request`, {
        index: k.index,
      });
    }
    seen.add(k.key);
  }

  const responses: Array<AcceptedResponse | undefined> = [];
  const fresh: typeof keyed = [];
  for (const k of keyed) {
    const previous = await ports.idempotencyRecord(k.key);
    if (!previous) {
      fresh.push(k);
      responses.push(undefined);
    } else if (previous.fingerprint === k.fingerprint) {
      responses.push(previous.response);
    } else {
      throw new LedgerError(
        "IDEMPOTENCY_CONFLICT",
        `eventId ${k.item.request.eventId} was already used with a different body`,
        {
          index: k.index,
        },
      );
    }
  }
  if (fresh.length === 0) return responses as AcceptedResponse[];

  const drafts = fresh.map((k) => draftEvent(ctx, k.item, k.key, k.index));
  const hostSigner = ports.activeSignerOf(ctx.organizationId);
  const view = await ports.snapshot({
    consignmentIds: [...new Set(drafts.map((d) => d.event.consignmentId))],
    signers: [
      ...(hostSigner ? [hostSigner] : []),
      ...drafts.flatMap((d) => (d.clientSignature ? [d.clientSignature.signer] : [])),
    ],
    organizationIds: [
      ctx.organizationId,
      ...drafts.flatMap((d) => (d.event.registration?.consignee ? [d.event.registration.consignee] : [])),
    ],
  });
  const staged = stagedView(view);

  for (const draft of drafts) {
    const { event, index } = draft;
    const signature = signatureFactsOf(draft, hostSigner, ctx);
    if (draft.clientSignature) assertClientSignedForOrganization(staged, draft, signature, ctx.organizationId);
    const violation = checkDraft(staged, draft, signature);
    if (violation) {
      throw new LedgerError(codeOfContractError(violation.error), violation.message, { index, rule: violation.error });
    }
    staged.put(event.consignmentId, applyEvent(staged.consignment(event.consignmentId), event)!);
  }

  const now = new Date().toISOString();
  const events = drafts.map((d) => ({
    ...d.event,
    seq: ports.nextSeq(),
    history: [{ state: "accepted" as const, at: now }],
  }));
  const idempotency: IdempotencyRecord[] = events.map((event, i) => ({
    key: event.key,
    fingerprint: fresh[i].fingerprint,
    response: {
      eventId: event.eventId,
      consignmentId: event.consignmentId,
      payloadHash: event.payloadHash,
      state: "accepted",
    },
  }));
  await ports.accept(events, idempotency);
  fresh.forEach((k, i) => (responses[k.index] = idempotency[i].response));
  return responses as AcceptedResponse[];
}

interface Draft {
  index: number;
  event: LedgerEvent;
  clientSignature?: SignerSignature;
}

function draftEvent(ctx: IngestContext, item: IngestItem, key: string, index: number): Draft {
  const request = item.request;
  const occurredAt = Math.floor(Date.parse(request.occurredAt) / 1000);
  if (occurredAt > ctx.nowSeconds + ctx.maxClockSkewSeconds) {
    throw new LedgerError("OCCURRED_AT_IN_FUTURE", `occurredAt ${request.occurredAt} is in the future`, { index });
  }
  if (occurredAt < ctx.nowSeconds - ctx.maxEventAgeSeconds) {
    throw new LedgerError(
      "OCCURRED_AT_TOO_OLD",
      `occurredAt ${request.occurredAt} is older than the allowed event age`,
      {
        index,
      },
    );
  }
  const document = { eventId: request.eventId, payload: request.payload as Record<string, JsonValue> };
  let payloadHash: string;
  try {
    payloadHash = payloadHashOf(document);
  } catch (error) {
    if (error instanceof NotCanonicalizableError)
      throw new LedgerError(error.code, error.message, { index }, { cause: error });
    throw error;
  }
  const base = {
    key,
    eventId: request.eventId,
    organizationId: ctx.organizationId,
    seq: 0,
    location: request.location,
    occurredAt,
    document,
    payloadHash,
    state: "accepted" as const,
    history: [],
    attempts: 0,
  };
  if (item.route === "registration") {
    const r = item.request;
    const referenceHash = referenceHashOf(r.reference);
    return {
      index,
      event: {
        ...base,
        type: "registration",
        kind: MilestoneKind.Registered,
        consignmentId: consignmentIdOf(ctx.organizationId, referenceHash),
        registration: {
          reference: normalizeReference(r.reference),
          referenceHash,
          consignor: ctx.organizationId,
          consignee: r.consigneeOrganizationId ?? 0,
          originCountry: r.originCountry,
          destinationCountry: r.destinationCountry,
          flags: flagsToBits(r.flags),
        },
      },
    };
  }
  const m = item.request;
  const kind = MilestoneKind[m.kind as keyof typeof MilestoneKind];
  const event: LedgerEvent = {
    ...base,
    type: kind === MilestoneKind.Correction ? "correction" : "milestone",
    kind,
    consignmentId: m.consignmentId.toLowerCase(),
    ...(m.correctedIndex !== undefined ? { correctedIndex: m.correctedIndex } : {}),
  };
  if (!m.clientSignature) return { index, event };
  let signature: SignerSignature;
  try {
    signature = toSignerSignature(m.clientSignature.signer, m.clientSignature.signature);
  } catch (cause) {
    throw new LedgerError(
      "INVALID_SIGNATURE",
      "clientSignature.signature is not a valid secp256k1 signature",
      { index },
      { cause },
    );
  }
  const prevHash = m.clientSignature.prevHash.toLowerCase();
  const digest = milestoneDigestOf(ctx.deployment, {
    consignmentId: event.consignmentId,
    kind,
    location: toLocationBytes(event.location),
    occurredAt,
    payloadHash,
    prevHash,
  });
  return {
    index,
    clientSignature: signature,
    event: { ...event, clientSigned: { signature, prevHash }, signature, prevHash, digest },
  };
}

function signatureFactsOf(draft: Draft, hostSigner: string | undefined, ctx: IngestContext): SignatureFacts {
  if (draft.clientSignature) {
    return {
      claimedSigner: draft.clientSignature.signer,
      recoveredSigner: recoverSignerOrNull(draft.event.digest!, draft.clientSignature),
    };
  }
  if (!hostSigner) {
    throw new LedgerError(
      "ORGANIZATION_NOT_HOSTED",
      `this node holds no signer key for organization ${ctx.organizationId}`,
      {
        index: draft.index,
      },
    );
  }
  return { claimedSigner: hostSigner, recoveredSigner: hostSigner };
}

function checkDraft(view: LedgerView, draft: Draft, signature: SignatureFacts): RuleViolation | null {
  const { event, index } = draft;
  if (event.type === "registration") {
    const terms = event.registration!;
    return checkRegistration(
      view,
      index,
      { consignmentId: event.consignmentId, ...terms, location: event.location },
      signature,
    );
  }
  const current = view.consignment(event.consignmentId);
  // A node-signed milestone gets its prevHash at submit time; for the rules it extends the projected head.
  const prevHash = draft.clientSignature ? event.prevHash! : (current?.head ?? UNKNOWN_HEAD);
  if (event.type === "correction") {
    return checkCorrection(
      view,
      { consignmentId: event.consignmentId, correctedIndex: event.correctedIndex!, location: event.location, prevHash },
      signature,
    );
  }
  const violation = checkMilestone(
    view,
    index,
    { consignmentId: event.consignmentId, kind: event.kind, location: event.location, prevHash },
    signature,
  );
  // A stale client-signed prevHash is a conflict the client resolves by signing again, not a rule violation.
  if (violation?.error === "StaleHead") {
    const head =
      current?.head === UNKNOWN_HEAD ? "not yet known (this node has pending milestones for it)" : current?.head;
    throw new LedgerError("STALE_HEAD", `prevHash is not the consignment's current head, which is ${head}`, {
      index,
      head: current?.head,
    });
  }
  return violation ? { ...violation, index } : null;
}

function assertClientSignedForOrganization(
  view: LedgerView,
  draft: Draft,
  signature: SignatureFacts,
  organizationId: number,
): void {
  const key = signature.recoveredSigner ? view.signerKey(signature.recoveredSigner) : undefined;
  if (key && key.organizationId !== organizationId) {
    throw new LedgerError(
      "SIGNER_NOT_OF_ORGANIZATION",
      `the milestone is signed by a key of organization ${key.organizationId}, not of this API key's organization`,
      { index: draft.index },
    );
  }
}
