/**
 * What every node keeps of every organization's milestones: each milestone with the facts queries filter on, each
 * consignment's running state, and who may see a consignment's documents. Pure: the indexer feeds it what the
 * chain's logs say.
 */
import { countryOfLocation } from "./locationCodes";
import { MilestoneKind, OrganizationKind, milestoneKindRule } from "./milestoneKinds";
import type { VerifiableMilestone } from "./verification";

/** A milestone as indexed: the chain's fields and signature, and the facts queries filter on. */
export interface IndexedMilestone {
  /** Its place in the chain, "block:logIndex" zero-padded, so keys sort in chain order. */
  position: string;
  milestone: VerifiableMilestone;
  /** The signer key's organization when the milestone was recorded; 0 if the key was unknown. */
  organizationId: number;
  /** The location's country. */
  country: string;
  /** The consignment's flags, from its registration. */
  flags: number;
}

export interface IndexedConsignment {
  consignmentId: string;
  consignor: number;
  consignee: number;
  originCountry: string;
  destinationCountry: string;
  flags: number;
  /** The last kind recorded, not counting Incident and Correction (as the contract keeps it). */
  status: MilestoneKind;
  closed: boolean;
  milestoneCount: number;
  /** Every country a milestone was recorded in: with origin and destination, the consignment's route so far. */
  countries: string[];
  /** Every organization that signed one of its milestones. */
  organizations: number[];
  registeredAt: number;
  lastRecordedAt: number;
}

const BLOCK_WIDTH = 12;
const LOG_WIDTH = 6;

export function positionOf(blockNumber: number, logIndex: number): string {
  return `${String(blockNumber).padStart(BLOCK_WIDTH, "0")}:${String(logIndex).padStart(LOG_WIDTH, "0")}`;
}

export function blockOfPosition(position: string): number {
  return Number(position.slice(0, BLOCK_WIDTH));
}

export function kindOf(m: Pick<VerifiableMilestone, "type" | "kind">): MilestoneKind {
  if (m.type === "registration") return MilestoneKind.Registered;
  if (m.type === "correction") return MilestoneKind.Correction;
  return m.kind;
}

/**
 * The consignment after one more milestone. A registration starts it; anything else needs it to exist (the
 * contract guarantees that, so a missing one means the log was not the contract's and is ignored).
 */
export function advanceConsignment(
  previous: IndexedConsignment | undefined,
  m: VerifiableMilestone,
  organizationId: number,
): IndexedConsignment | undefined {
  const blockTime = m.chain?.blockTime ?? 0;
  const country = countryOfLocation(m.location);
  if (m.type === "registration") {
    const r = m.registration!;
    return {
      consignmentId: m.consignmentId.toLowerCase(),
      consignor: r.consignor,
      consignee: r.consignee,
      originCountry: r.originCountry,
      destinationCountry: r.destinationCountry,
      flags: r.flags,
      status: MilestoneKind.Registered,
      closed: false,
      milestoneCount: 1,
      countries: [country],
      organizations: organizationId ? [organizationId] : [],
      registeredAt: blockTime,
      lastRecordedAt: blockTime,
    };
  }
  if (!previous) return undefined;
  const kind = kindOf(m);
  const movesStatus = m.type === "milestone" && kind !== MilestoneKind.Incident;
  return {
    ...previous,
    status: movesStatus ? kind : previous.status,
    closed: previous.closed || (m.type === "milestone" && milestoneKindRule(kind).terminal),
    milestoneCount: previous.milestoneCount + 1,
    countries: previous.countries.includes(country) ? previous.countries : [...previous.countries, country],
    organizations:
      !organizationId || previous.organizations.includes(organizationId)
        ? previous.organizations
        : [...previous.organizations, organizationId],
    lastRecordedAt: blockTime,
  };
}

/** The facts that decide who may see a consignment's documents. */
export interface ConsignmentParties {
  consignor: number;
  consignee: number;
  originCountry: string;
  destinationCountry: string;
  countries: readonly string[];
  organizations: readonly number[];
}

export function partiesOfHistory(
  history: readonly VerifiableMilestone[],
  organizationOfSigner: (signer: string) => number | undefined,
): ConsignmentParties | undefined {
  const registration = history[0]?.registration;
  if (!registration) return undefined;
  return {
    consignor: registration.consignor,
    consignee: registration.consignee,
    originCountry: registration.originCountry,
    destinationCountry: registration.destinationCountry,
    countries: [...new Set(history.map((m) => countryOfLocation(m.location)))],
    organizations: [...new Set(history.map((m) => organizationOfSigner(m.signer) ?? 0).filter(Boolean))],
  };
}

/**
 * Who may see a consignment's documents: its consignor and consignee, every organization that signed one of its
 * milestones, and the customs administration of every country on its route (origin, destination, and wherever a
 * milestone was recorded), so a transit border sees what crosses it. The same rule decides what a user of a node
 * may read, what a peer node may fetch, and what this node fetches from its peers.
 */
export function maySeeDocuments(
  organization: { id: number; kind: OrganizationKind; country: string } | undefined,
  parties: ConsignmentParties,
): boolean {
  if (!organization) return false;
  if (organization.id === parties.consignor || organization.id === parties.consignee) return true;
  if (parties.organizations.includes(organization.id)) return true;
  if (organization.kind !== OrganizationKind.Customs) return false;
  return (
    organization.country === parties.originCountry ||
    organization.country === parties.destinationCountry ||
    parties.countries.includes(organization.country)
  );
}
