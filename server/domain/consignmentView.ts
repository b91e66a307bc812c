/**
 * What the verification API shows: who may see documents, a consignment's summary, and each milestone with its
 * per-check results. Anyone may read kinds, places, times, organizations, hashes and verdicts; documents need a
 * key of an organization maySeeDocuments admits, or the node operator's or an auditor's (organization 0) key.
 */
import { MilestoneKind, OrganizationKind, milestoneKindRule } from "./milestoneKinds";
import { flagsFromBits } from "./milestoneRequests";
import { maySeeDocuments } from "./consignmentIndex";
import type { ConsignmentParties } from "./consignmentIndex";
import type { HistoryVerdict, KeyHistory, VerifiableMilestone } from "./verification";

export interface Viewer {
  organizationId: number;
}

export interface Directory {
  keys: Map<string, KeyHistory>;
  organizations: Map<number, { kind: OrganizationKind; country: string; name: string }>;
}

/**
 * Whether a viewer may read a consignment's documents: the node operator and auditors (organization 0), or an
 * organization maySeeDocuments admits.
 */
export function mayReadDocuments(
  viewer: Viewer | undefined,
  parties: ConsignmentParties,
  directory: Directory,
): boolean {
  if (!viewer) return false;
  if (viewer.organizationId === 0) return true;
  const org = directory.organizations.get(viewer.organizationId);
  return maySeeDocuments(org && { id: viewer.organizationId, ...org }, parties);
}

function organizationView(directory: Directory, id: number | undefined) {
  if (!id) return null;
  const org = directory.organizations.get(id);
  return org
    ? { id, name: org.name, kind: OrganizationKind[org.kind], country: org.country }
    : { id, name: null, kind: null, country: null };
}

export function consignmentSummary(
  consignmentId: string,
  history: readonly VerifiableMilestone[],
  directory: Directory,
  result: HistoryVerdict,
  reference?: string,
) {
  const registration = history[0]?.registration;
  const statusKinds = history.filter((m) => m.type === "milestone" && m.kind !== MilestoneKind.Incident);
  const last = statusKinds.at(-1);
  return {
    consignmentId,
    ...(reference ? { reference } : {}),
    consignor: organizationView(directory, registration?.consignor),
    consignee: organizationView(directory, registration?.consignee),
    originCountry: registration?.originCountry ?? null,
    destinationCountry: registration?.destinationCountry ?? null,
    flags: flagsFromBits(registration?.flags ?? 0),
    status: last ? MilestoneKind[last.kind] : history.length ? "Registered" : null,
    closed: history.some((m) => m.type === "milestone" && milestoneKindRule(m.kind).terminal),
    milestoneCount: history.length,
    // The node's view: the last digest of the history as this node rebuilds it; the chain's: what the contract stores.
    head: { node: result.head.computed ?? null, chain: result.head.onChain ?? null, matches: result.head.ok },
    verdict: result.verdict,
    failures: result.failures,
  };
}

export function milestoneViews(
  history: readonly VerifiableMilestone[],
  directory: Directory,
  result: HistoryVerdict,
  withDocuments: boolean,
) {
  // A correction shows beside the milestone it corrects; history itself is never rewritten.
  const correctedBy = new Map<number, number[]>();
  history.forEach((m, i) => {
    if (m.correctedIndex !== undefined)
      correctedBy.set(m.correctedIndex, [...(correctedBy.get(m.correctedIndex) ?? []), i]);
  });
  return history.map((m, i) => {
    const key = directory.keys.get(m.signer.toLowerCase());
    const verified = result.milestones[i];
    const kind = m.type === "registration" ? MilestoneKind.Registered : m.kind;
    return {
      index: i,
      type: m.type,
      kind: MilestoneKind[kind],
      bizStep: milestoneKindRule(kind).bizStep,
      disposition: milestoneKindRule(kind).disposition,
      location: m.location,
      occurredAt: new Date(m.occurredAt * 1000).toISOString(),
      payloadHash: m.payloadHash,
      prevHash: m.prevHash ?? null,
      digest: verified?.digest,
      ...(m.correctedIndex !== undefined ? { correctedIndex: m.correctedIndex } : {}),
      ...(correctedBy.has(i) ? { correctedBy: correctedBy.get(i) } : {}),
      signer: m.signer,
      organization: organizationView(directory, key?.organizationId),
      chain: m.chain ?? null,
      document: withDocuments ? (m.document ?? null) : undefined,
      verified: verified?.verified ?? false,
      checks: verified?.checks ?? [],
    };
  });
}
