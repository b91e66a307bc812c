/**
 * A consignment as it will be once this node's pending events land: the chain's record with the pending events
 * replayed on top. The rules are checked against it, so a customs system can post Released then Delivered before
 * either is recorded.
 */
import { advanceConsignment, registeredConsignment } from "./ledgerRules";
import type { ConsignmentRecord } from "./ledgerRules";
import type { LedgerEvent } from "./ledgerEvent";
import { MilestoneKind } from "./milestoneKinds";

/** The head after an event the node will sign at submit time: nobody can know it yet. */
export const UNKNOWN_HEAD = "pending";

export function projectConsignment(
  chain: ConsignmentRecord | undefined,
  pending: readonly LedgerEvent[],
): ConsignmentRecord | undefined {
  let record = chain;
  for (const event of pending) record = applyEvent(record, event);
  return record;
}

export function applyEvent(record: ConsignmentRecord | undefined, event: LedgerEvent): ConsignmentRecord | undefined {
  const head = event.digest ?? UNKNOWN_HEAD;
  if (event.type === "registration") {
    // Already on chain (mined, receipt not yet seen): the chain's record stands.
    if (record) return record;
    const terms = event.registration!;
    return registeredConsignment(
      {
        consignmentId: event.consignmentId,
        consignor: terms.consignor,
        consignee: terms.consignee,
        originCountry: terms.originCountry,
        destinationCountry: terms.destinationCountry,
        flags: terms.flags,
        location: event.location,
      },
      head,
    );
  }
  if (!record) return undefined;
  const kind = event.type === "correction" ? MilestoneKind.Correction : event.kind;
  return advanceConsignment(record, kind, event.location, head);
}
