/**
 * A milestone's life on this node: accepted (validated and durably stored) -> signed (at submit time, because the
 * signature covers prevHash) -> submitted (tx hash) -> recorded (block and log index), or rejected with a reason code.
 */
import type { JsonValue } from "./payloadHash";
import type { SignerSignature } from "./eip712";

export type LifecycleState = "accepted" | "signed" | "submitted" | "recorded" | "rejected";
export const PENDING_STATES: readonly LifecycleState[] = ["accepted", "signed", "submitted"];

export type LedgerEventType = "registration" | "milestone" | "correction";

export interface RegistrationTerms {
  reference: string;
  referenceHash: string;
  consignor: number;
  consignee: number;
  originCountry: string;
  destinationCountry: string;
  flags: number;
}

export interface LedgerEvent {
  /** `${organizationId}/${eventId}`: eventIds are the client's own, so they are namespaced by organization. */
  key: string;
  eventId: string;
  organizationId: number;
  /** Order of acceptance on this node; the submitter sends in this order. */
  seq: number;
  type: LedgerEventType;
  consignmentId: string;
  kind: number;
  location: string;
  occurredAt: number;
  /** The hashed document: `{ eventId, payload }`, so every event's payloadHash is its own. */
  document: { eventId: string; payload: Record<string, JsonValue> };
  payloadHash: string;
  registration?: RegistrationTerms;
  correctedIndex?: number;
  /** A milestone the client signed itself: relayed as is, never re-signed. */
  clientSigned?: { signature: SignerSignature; prevHash: string };
  state: LifecycleState;
  history: Array<{ state: LifecycleState; at: string; detail?: string }>;
  signature?: SignerSignature;
  prevHash?: string;
  digest?: string;
  txHash?: string;
  blockNumber?: number;
  blockHash?: string;
  logIndex?: number;
  rejection?: { code: string; rule?: string; message: string };
  attempts: number;
}

/** What an ingest endpoint answered, kept so that a repeated eventId with the same body gets the same answer. */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  response: AcceptedResponse;
}

export interface AcceptedResponse {
  eventId: string;
  consignmentId: string;
  payloadHash: string;
  state: "accepted";
}

export function withState(event: LedgerEvent, state: LifecycleState, detail?: string): LedgerEvent {
  return {
    ...event,
    state,
    history: [...event.history, { state, at: new Date().toISOString(), ...(detail ? { detail } : {}) }],
  };
}
