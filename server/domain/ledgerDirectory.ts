/**
 * The chain as a directory: the organizations and signer keys its governance events describe, and the decoded
 * form in which the chain layer hands its logs to the index. Pure.
 */
import type { OrganizationKind } from "./milestoneKinds";
import type { AgencyWarning, Emergency } from "./emergencies";
import type { KeyHistory, VerifiableMilestone } from "./verification";

/** A governance change, decoded: what the indexer keeps of organizations and keys. */
export type GovernanceChange =
  | {
      name: "OrganizationRegistered";
      organizationId: number;
      kind: OrganizationKind;
      country: string;
      organizationName: string;
    }
  | { name: "OrganizationActiveChanged"; organizationId: number; active: boolean }
  | { name: "OrganizationEndpointPublished"; organizationId: number; endpoint: string }
  | { name: "SignerAdded"; organizationId: number; signer: string }
  | { name: "SignerRevoked"; organizationId: number; signer: string; revokedAt: number; compromisedAt: number };

/** A warning or emergency, decoded: the block's time dates a publication or declaration when it is applied. */
export type AdvisoryChange =
  | { name: "WarningPublished"; warning: Omit<AgencyWarning, "publishedAt"> }
  | { name: "EmergencyDeclared"; emergency: Omit<Emergency, "declaredAt" | "endedAt"> }
  | { name: "EmergencyEnded"; emergencyId: string; endedAt: number };

/** One of the contract's logs in a block range, decoded, in chain order. */
export type LedgerRecord = { blockNumber: number; blockHash: string; logIndex: number; blockTime: number } & (
  | { type: "history"; milestone: VerifiableMilestone }
  | { type: "governance"; change: GovernanceChange }
  | { type: "advisory"; change: AdvisoryChange }
);

export interface ChainDirectory {
  keys: Map<string, KeyHistory>;
  organizations: Map<number, { kind: OrganizationKind; country: string; name: string }>;
}

/** What a governance change does to the directory of organizations and keys; `blockTime` dates an added key. */
export function applyGovernanceChange(directory: ChainDirectory, change: GovernanceChange, blockTime: number): void {
  if (change.name === "OrganizationRegistered") {
    directory.organizations.set(change.organizationId, {
      kind: change.kind,
      country: change.country,
      name: change.organizationName,
    });
  } else if (change.name === "SignerAdded") {
    directory.keys.set(change.signer, {
      organizationId: change.organizationId,
      addedAt: blockTime,
      revokedAt: 0,
      compromisedAt: 0,
    });
  } else if (change.name === "SignerRevoked") {
    const key = directory.keys.get(change.signer);
    if (key) {
      key.revokedAt = change.revokedAt;
      key.compromisedAt = change.compromisedAt;
    }
  }
}
