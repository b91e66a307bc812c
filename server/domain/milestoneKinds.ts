/**
 * The milestone kinds and organization kinds of the ConsignmentLedger contract, with the rules attached to each
 * kind and its CBV 2.0 mapping, so that EPCIS export is a table lookup. The numbers are part of the signed data.
 */

export enum OrganizationKind {
  None = 0,
  Customs = 1,
  AidOrganization = 2,
  Carrier = 3,
  Agency = 4,
}

export enum MilestoneKind {
  Registered = 0,
  Dispatched = 1,
  ExportCleared = 2,
  ArrivedAtBorder = 3,
  PreArrivalLodged = 4,
  InspectionStarted = 5,
  Held = 6,
  Released = 7,
  Rejected = 8,
  Seized = 9,
  Departed = 10,
  Delivered = 11,
  Received = 12,
  Distributed = 13,
  Incident = 14,
  Correction = 15,
  Cancelled = 16,
}

export interface MilestoneKindRule {
  readonly kind: MilestoneKind;
  readonly name: keyof typeof MilestoneKind;
  /** Organization kinds whose keys may sign this kind. */
  readonly allowedSigners: readonly OrganizationKind[];
  /** Nothing but a Correction may follow it. */
  readonly terminal: boolean;
  /** Only the consignor or consignee may sign it, whatever its organization kind. */
  readonly partyOnly: boolean;
  /** CBV 2.0 business step, without the `https://ref.gs1.org/cbv/BizStep-` prefix. */
  readonly bizStep: string;
  /** CBV 2.0 disposition, without the `https://ref.gs1.org/cbv/Disp-` prefix. */
  readonly disposition: string;
}

const { Customs, AidOrganization, Carrier, Agency } = OrganizationKind;

function rule(
  kind: MilestoneKind,
  allowedSigners: OrganizationKind[],
  bizStep: string,
  disposition: string,
  options: { terminal?: boolean; partyOnly?: boolean } = {},
): MilestoneKindRule {
  return {
    kind,
    name: MilestoneKind[kind] as keyof typeof MilestoneKind,
    allowedSigners,
    terminal: options.terminal ?? false,
    partyOnly: options.partyOnly ?? false,
    bizStep,
    disposition,
  };
}

/** Indexed by MilestoneKind. Mirrors `_ALLOWED_SIGNERS`, `_TERMINAL_KINDS` and `_PARTY_KINDS` in the contract. */
export const MILESTONE_KINDS: readonly MilestoneKindRule[] = [
  rule(MilestoneKind.Registered, [AidOrganization, Carrier], "commissioning", "active"),
  rule(MilestoneKind.Dispatched, [AidOrganization, Carrier], "shipping", "in_transit"),
  rule(MilestoneKind.ExportCleared, [Customs], "inspecting", "conformant"),
  rule(MilestoneKind.ArrivedAtBorder, [Customs, Carrier], "arriving", "in_transit"),
  rule(MilestoneKind.PreArrivalLodged, [Customs, AidOrganization, Carrier], "other", "in_transit"),
  rule(MilestoneKind.InspectionStarted, [Customs], "inspecting", "in_progress"),
  rule(MilestoneKind.Held, [Customs], "holding", "unavailable"),
  rule(MilestoneKind.Released, [Customs], "entering_exiting", "available"),
  rule(MilestoneKind.Rejected, [Customs], "inspecting", "non_conformant"),
  rule(MilestoneKind.Seized, [Customs], "holding", "non_sellable_other", { terminal: true }),
  rule(MilestoneKind.Departed, [Customs, Carrier], "departing", "in_transit"),
  rule(MilestoneKind.Delivered, [Carrier], "accepting", "in_progress"),
  rule(MilestoneKind.Received, [AidOrganization], "receiving", "available", { partyOnly: true }),
  rule(MilestoneKind.Distributed, [AidOrganization], "dispensing", "dispensed", { terminal: true, partyOnly: true }),
  rule(MilestoneKind.Incident, [Customs, AidOrganization, Carrier, Agency], "other", "unknown"),
  // A correction is EPCIS's errorDeclaration on the corrected event; the step itself carries no business meaning.
  rule(MilestoneKind.Correction, [Customs, AidOrganization, Carrier], "other", "unknown"),
  rule(MilestoneKind.Cancelled, [AidOrganization, Carrier], "void_shipping", "inactive", {
    terminal: true,
    partyOnly: true,
  }),
];

/** Clearance kinds: only customs of the location's country may record them. */
export const CLEARANCE_KINDS: readonly MilestoneKind[] = [
  MilestoneKind.ExportCleared,
  MilestoneKind.Held,
  MilestoneKind.Released,
  MilestoneKind.Rejected,
  MilestoneKind.Seized,
];

export function milestoneKindRule(kind: MilestoneKind): MilestoneKindRule {
  const found = MILESTONE_KINDS[kind];
  if (!found) throw new RangeError(`unknown milestone kind ${kind}`);
  return found;
}

export function mayOrganizationSign(organizationKind: OrganizationKind, kind: MilestoneKind): boolean {
  return milestoneKindRule(kind).allowedSigners.includes(organizationKind);
}

/** Consignment flags, the bits of `ConsignmentStatus.flags`. */
export const ConsignmentFlag = {
  Relief: 1,
  Medical: 2,
  ColdChain: 4,
  DangerousGoods: 8,
} as const;
export const ALL_CONSIGNMENT_FLAGS = 15;
