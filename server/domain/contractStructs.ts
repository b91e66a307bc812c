/**
 * From the node's and the verifier's records (letters for places and countries) to the contract's signed structs
 * (bytes5 and bytes2). The submitter signs these and the verifier recomputes their digests, so both build them
 * here, in one way.
 */
import { toCountryBytes, toLocationBytes } from "./locationCodes";
import type { CorrectionStruct, MilestoneStruct, RegistrationStruct } from "./eip712";
import type { RegistrationTerms } from "./ledgerEvent";

/** The fields both a LedgerEvent and a VerifiableMilestone carry. */
export interface SignedFields {
  consignmentId: string;
  kind: number;
  location: string;
  occurredAt: number;
  payloadHash: string;
  registration?: Omit<RegistrationTerms, "reference">;
  correctedIndex?: number;
}

export function registrationStructOf(fields: SignedFields): RegistrationStruct {
  const r = fields.registration!;
  return {
    referenceHash: r.referenceHash,
    consignor: r.consignor,
    consignee: r.consignee,
    originCountry: toCountryBytes(r.originCountry),
    destinationCountry: toCountryBytes(r.destinationCountry),
    flags: r.flags,
    location: toLocationBytes(fields.location),
    occurredAt: fields.occurredAt,
    payloadHash: fields.payloadHash,
  };
}

export function milestoneStructOf(fields: SignedFields, prevHash: string): MilestoneStruct {
  return {
    consignmentId: fields.consignmentId,
    kind: fields.kind,
    location: toLocationBytes(fields.location),
    occurredAt: fields.occurredAt,
    payloadHash: fields.payloadHash,
    prevHash,
  };
}

export function correctionStructOf(fields: SignedFields, prevHash: string): CorrectionStruct {
  return {
    consignmentId: fields.consignmentId,
    correctedIndex: fields.correctedIndex!,
    location: toLocationBytes(fields.location),
    occurredAt: fields.occurredAt,
    payloadHash: fields.payloadHash,
    prevHash,
  };
}
