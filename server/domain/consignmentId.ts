/**
 * The published consignment id derivation, the same as `ConsignmentLedger.consignmentIdOf`:
 *   referenceHash = keccak256(utf8(normalized reference))
 *   consignmentId = keccak256(abi.encode(uint32 consignor, bytes32 referenceHash))
 * Ids are namespaced by the consignor's organization id, so no member can squat another's reference.
 */
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";

/**
 * WCO UCRs are upper-case; trimming and upper-casing means a reference typed in lower case at a border post
 * still names the same consignment.
 */
export function normalizeReference(reference: string): string {
  return reference.normalize("NFC").trim().toUpperCase();
}

export function referenceHashOf(reference: string): string {
  const normalized = normalizeReference(reference);
  if (normalized.length === 0) throw new RangeError("a consignment reference cannot be empty");
  return keccak256(toUtf8Bytes(normalized));
}

export function consignmentIdOf(consignor: number, referenceHash: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint32", "bytes32"], [consignor, referenceHash]));
}

export function consignmentIdOfReference(consignor: number, reference: string): string {
  return consignmentIdOf(consignor, referenceHashOf(reference));
}
