/**
 * Emergencies (declared by governance on chain) and agency warnings (signed by a health or meteorological agency and
 * anchored on chain): the places each covers and when, and whether a consignment's route falls inside. Pure.
 */

export const WARNING_KINDS = ["Cyclone", "Flood", "Outbreak", "BorderClosure", "Conflict"] as const;
export type WarningKind = (typeof WARNING_KINDS)[number];
export const WARNING_SEVERITIES = ["Minor", "Moderate", "Severe", "Extreme"] as const;
export type WarningSeverity = (typeof WARNING_SEVERITIES)[number];

/** Countries (ISO 3166-1 alpha-2) and places (UN/LOCODE); a place outside the listed countries counts too. */
export interface AffectedArea {
  countries: string[];
  locations: string[];
}

export interface Emergency extends AffectedArea {
  emergencyId: string;
  startsAt: number;
  /** 0: open-ended until governance ends it. */
  endsAt: number;
  /** When governance ended it early; 0 while it stands. */
  endedAt: number;
  documentHash: string;
  declaredAt: number;
}

export interface AgencyWarning extends AffectedArea {
  warningId: string;
  organizationId: number;
  signer: string;
  kind: WarningKind;
  severity: WarningSeverity;
  validFrom: number;
  validUntil: number;
  payloadHash: string;
  publishedAt: number;
}

export function isEmergencyActive(e: Emergency, now: number): boolean {
  const end = e.endedAt || e.endsAt;
  return e.startsAt <= now && (end === 0 || now < end);
}

export function isWarningActive(w: AgencyWarning, now: number): boolean {
  return w.validFrom <= now && now < w.validUntil;
}

/** Whether an area covers a place (by its own code or its country) or a country. */
export function covers(area: AffectedArea, place: { location?: string; country?: string }): boolean {
  if (place.location && area.locations.includes(place.location)) return true;
  const country = place.country ?? place.location?.slice(0, 2);
  return country !== undefined && area.countries.includes(country);
}

/** Whether an area touches a route: any of its countries or places. */
export function touchesRoute(
  area: AffectedArea,
  route: { countries: readonly string[]; locations: readonly string[] },
) {
  return (
    route.countries.some((country) => covers(area, { country })) ||
    route.locations.some((location) => covers(area, { location }))
  );
}

const iso = (seconds: number) => (seconds ? new Date(seconds * 1000).toISOString() : null);

/** A warning as the API shows it. */
export function warningView(w: AgencyWarning, now = Math.floor(Date.now() / 1000)) {
  return {
    warningId: w.warningId,
    organizationId: w.organizationId,
    signer: w.signer,
    kind: w.kind,
    severity: w.severity,
    countries: w.countries,
    locations: w.locations,
    validFrom: iso(w.validFrom),
    validUntil: iso(w.validUntil),
    active: isWarningActive(w, now),
    payloadHash: w.payloadHash,
    publishedAt: iso(w.publishedAt),
  };
}

/** An emergency as the API and the consignment page show it. */
export function emergencyView(e: Emergency, now = Math.floor(Date.now() / 1000)) {
  return {
    emergencyId: e.emergencyId,
    countries: e.countries,
    locations: e.locations,
    startsAt: iso(e.startsAt),
    endsAt: iso(e.endsAt),
    endedAt: iso(e.endedAt),
    active: isEmergencyActive(e, now),
    documentHash: e.documentHash,
    declaredAt: iso(e.declaredAt),
  };
}
