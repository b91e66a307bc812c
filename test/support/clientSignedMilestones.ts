/**
 * A milestone signed by the client's own key (EIP-712, the ledger's domain unless a test says otherwise), as a
 * customs system that holds its key would send it.
 */
import type { Wallet } from "ethers";
import { toMilestoneTypedData, typedDataDigest } from "../../server/domain/eip712";
import { toLocationBytes } from "../../server/domain/locationCodes";
import { payloadHashOf } from "../../server/domain/payloadHash";
import { MilestoneKind } from "../../server/domain/milestoneKinds";
import { isoNow } from "./nodeHarness";

export async function signMilestoneAsClient(
  domain: { chainId: number; address: string },
  wallet: Wallet,
  milestone: {
    eventId: string;
    consignmentId: string;
    prevHash: string;
    location?: string;
    kind?: keyof typeof MilestoneKind;
  },
) {
  const occurredAt = isoNow(-10);
  const payload = { note: "signed by the customs system itself" };
  const location = milestone.location ?? "KEMAL";
  const kind = milestone.kind ?? "Incident";
  const struct = {
    consignmentId: milestone.consignmentId,
    kind: MilestoneKind[kind],
    location: toLocationBytes(location),
    occurredAt: Math.floor(Date.parse(occurredAt) / 1000),
    payloadHash: payloadHashOf({ eventId: milestone.eventId, payload }),
    prevHash: milestone.prevHash,
  };
  const typed = toMilestoneTypedData(domain, struct);
  const signature = await wallet.signTypedData(typed.domain, typed.types, struct);
  return {
    body: {
      eventId: milestone.eventId,
      kind,
      location,
      occurredAt,
      payload,
      clientSignature: { signer: wallet.address, signature, prevHash: milestone.prevHash },
    },
    digest: typedDataDigest(typed),
  };
}
