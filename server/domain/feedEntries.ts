/**
 * The feed's entries: what the index saw on chain (a milestone recorded or retracted, a consignment's status
 * changed) and the lifecycle of this node's own events (accepted, signed, submitted, recorded, rejected). Who may
 * see an entry, whether it matches a subscriber's filters, and how it is shown.
 */
import type { IndexedMilestone } from "./consignmentIndex";
import type { LedgerEvent, LifecycleState } from "./ledgerEvent";
import { countryOfLocation } from "./locationCodes";
import { MilestoneKind, ConsignmentFlag } from "./milestoneKinds";
import type { OrganizationKind } from "./milestoneKinds";
import { indexedMilestoneView, matchesFilter } from "./milestoneQuery";
import type { MilestoneFilter } from "./milestoneQuery";
import type { AgencyWarning, Emergency } from "./emergencies";
import { emergencyView, warningView } from "./emergencies";
import { alertView, maySeeAlert } from "./alerts";
import type { Alert } from "./alerts";

export const CHAIN_ENTRY_TYPES = ["milestone.recorded", "milestone.retracted", "consignment.statusChanged"] as const;
export const ADVISORY_ENTRY_TYPES = ["warning.published", "emergency.declared", "emergency.ended"] as const;
export const ALERT_ENTRY_TYPES = ["alert.raised", "alert.acknowledged"] as const;
export const FEED_ENTRY_TYPES = [
  ...CHAIN_ENTRY_TYPES,
  "event.lifecycle",
  ...ADVISORY_ENTRY_TYPES,
  ...ALERT_ENTRY_TYPES,
] as const;
export type FeedEntryType = (typeof FEED_ENTRY_TYPES)[number];

export interface ChainFeedEntry {
  seq: number;
  type: (typeof CHAIN_ENTRY_TYPES)[number];
  /** When the index saw it. */
  at: string;
  milestone: IndexedMilestone;
  consignment?: { status: MilestoneKind; previousStatus?: MilestoneKind; closed: boolean };
}

/** A change of state of one of this node's events; only its own organization (and the operator) sees it. */
export interface EventFeedEntry {
  seq: number;
  type: "event.lifecycle";
  at: string;
  organizationId: number;
  event: {
    eventId: string;
    consignmentId: string;
    type: LedgerEvent["type"];
    kind: number;
    location: string;
    occurredAt: number;
    payloadHash: string;
    /** The consignment's flags when the node knows them (always for a registration). */
    flags?: number;
    state: LifecycleState;
    txHash?: string;
    blockNumber?: number;
    logIndex?: number;
    rejection?: LedgerEvent["rejection"];
  };
}

/** A warning published or an emergency declared or ended, as the index saw it on chain: public. */
export interface AdvisoryFeedEntry {
  seq: number;
  type: (typeof ADVISORY_ENTRY_TYPES)[number];
  at: string;
  warning?: AgencyWarning;
  emergency?: Emergency;
}

/** An alert raised or acknowledged: seen by its audience and the operator. */
export interface AlertFeedEntry {
  seq: number;
  type: (typeof ALERT_ENTRY_TYPES)[number];
  at: string;
  alert: Alert;
}

export type FeedEntry = ChainFeedEntry | EventFeedEntry | AdvisoryFeedEntry | AlertFeedEntry;
/** An entry before the feed numbers it. */
export type UnnumberedEntry =
  | Omit<ChainFeedEntry, "seq">
  | Omit<EventFeedEntry, "seq">
  | Omit<AdvisoryFeedEntry, "seq">
  | Omit<AlertFeedEntry, "seq">;

export function isAlertEntry(entry: FeedEntry): entry is AlertFeedEntry {
  return (ALERT_ENTRY_TYPES as readonly string[]).includes(entry.type);
}

export function isAdvisoryEntry(entry: FeedEntry): entry is AdvisoryFeedEntry {
  return (ADVISORY_ENTRY_TYPES as readonly string[]).includes(entry.type);
}

export function lifecycleEntryOf(event: LedgerEvent, at = new Date().toISOString()): Omit<EventFeedEntry, "seq"> {
  return {
    type: "event.lifecycle",
    at,
    organizationId: event.organizationId,
    event: {
      eventId: event.eventId,
      consignmentId: event.consignmentId.toLowerCase(),
      type: event.type,
      kind: event.kind,
      location: event.location,
      occurredAt: event.occurredAt,
      payloadHash: event.payloadHash,
      ...(event.registration ? { flags: event.registration.flags } : {}),
      state: event.state,
      ...(event.txHash ? { txHash: event.txHash } : {}),
      ...(event.blockNumber !== undefined ? { blockNumber: event.blockNumber } : {}),
      ...(event.logIndex !== undefined ? { logIndex: event.logIndex } : {}),
      ...(event.rejection ? { rejection: event.rejection } : {}),
    },
  };
}

/**
 * Chain entries, warnings and emergencies are public facts; an event's lifecycle is its organization's (and the node
 * operator's); an alert is its audience's.
 */
export function maySeeEntry(entry: FeedEntry, viewerOrganizationId: number): boolean {
  if (entry.type === "event.lifecycle") {
    return viewerOrganizationId === 0 || entry.organizationId === viewerOrganizationId;
  }
  if (isAlertEntry(entry)) {
    return maySeeAlert(entry.alert, viewerOrganizationId);
  }
  return true;
}

const FLAG_BITS = {
  relief: ConsignmentFlag.Relief,
  medical: ConsignmentFlag.Medical,
  coldChain: ConsignmentFlag.ColdChain,
  dangerousGoods: ConsignmentFlag.DangerousGoods,
} as const;

/** The subscriber's filters, applied to what an entry carries; recorded-time filters apply to chain entries only. */
export function entryMatches(entry: FeedEntry, f: MilestoneFilter): boolean {
  if (isAlertEntry(entry)) {
    return !f.consignment || entry.alert.consignmentId === f.consignment;
  }
  if (isAdvisoryEntry(entry)) {
    // Not about one consignment: they reach every subscriber that asked for their type.
    return !f.consignment;
  }
  if (entry.type !== "event.lifecycle") return matchesFilter(entry.milestone, f);
  const e = entry.event;
  if (f.consignment && e.consignmentId !== f.consignment) return false;
  const kind =
    e.type === "registration" ? MilestoneKind.Registered : e.type === "correction" ? MilestoneKind.Correction : e.kind;
  if (f.kind && !f.kind.includes(MilestoneKind[kind])) return false;
  if (f.location && !f.location.includes(e.location)) return false;
  if (f.country && !f.country.includes(countryOfLocation(e.location))) return false;
  if (f.organization && !f.organization.includes(entry.organizationId)) return false;
  if (f.flags && f.flags.some((flag) => ((e.flags ?? 0) & FLAG_BITS[flag]) === 0)) return false;
  if (f.occurredFrom !== undefined && e.occurredAt < f.occurredFrom) return false;
  if (f.occurredTo !== undefined && e.occurredAt > f.occurredTo) return false;
  return true;
}

/** An entry as the stream and webhooks send it. */
export function feedEntryView(
  entry: FeedEntry,
  organizationOf: (id: number) => { name: string; kind: OrganizationKind; country: string } | undefined,
) {
  if (isAlertEntry(entry)) {
    return { id: entry.seq, type: entry.type, at: entry.at, alert: alertView(entry.alert) };
  }
  if (isAdvisoryEntry(entry)) {
    return {
      id: entry.seq,
      type: entry.type,
      at: entry.at,
      ...(entry.warning ? { warning: warningView(entry.warning) } : {}),
      ...(entry.emergency ? { emergency: emergencyView(entry.emergency) } : {}),
    };
  }
  if (entry.type === "event.lifecycle") {
    const e = entry.event;
    return {
      id: entry.seq,
      type: entry.type,
      at: entry.at,
      organizationId: entry.organizationId,
      event: {
        ...e,
        kind: MilestoneKind[e.type === "registration" ? MilestoneKind.Registered : e.kind],
        occurredAt: new Date(e.occurredAt * 1000).toISOString(),
      },
    };
  }
  return {
    id: entry.seq,
    type: entry.type,
    at: entry.at,
    milestone: indexedMilestoneView(entry.milestone, organizationOf),
    ...(entry.consignment
      ? {
          consignment: {
            consignmentId: entry.milestone.milestone.consignmentId,
            status: MilestoneKind[entry.consignment.status],
            previousStatus:
              entry.consignment.previousStatus === undefined ? null : MilestoneKind[entry.consignment.previousStatus],
            closed: entry.consignment.closed,
          },
        }
      : {}),
  };
}
