/**
 * The contract's rules in TypeScript, pure, so that the node refuses bad input before it costs gas and a model-based
 * test can hold the contract to them. Each violation carries the name of the contract's custom error.
 */
import {
  MilestoneKind,
  OrganizationKind,
  milestoneKindRule,
  mayOrganizationSign,
  ALL_CONSIGNMENT_FLAGS,
} from "./milestoneKinds";
import { COUNTRY_CODE_PATTERN, countryOfLocation } from "./locationCodes";

export interface OrganizationRecord {
  kind: OrganizationKind;
  country: string; // "KE"
  active: boolean;
  admin: string;
}

export interface SignerKeyRecord {
  organizationId: number;
  addedAt: number;
  revokedAt: number; // 0 while active
  compromisedAt: number;
}

export interface ConsignmentRecord {
  head: string;
  consignor: number;
  consignee: number;
  originCountry: string;
  destinationCountry: string;
  flags: number;
  status: MilestoneKind;
  milestoneCount: number;
  importReleased: boolean;
  closed: boolean;
}

/** What the rules read. The node backs it with its index of the chain; the model test with a Map. */
export interface LedgerView {
  readonly paused: boolean;
  organization(organizationId: number): OrganizationRecord | undefined;
  signerKey(signer: string): SignerKeyRecord | undefined;
  consignment(consignmentId: string): ConsignmentRecord | undefined;
}

export type ContractErrorName =
  | "EnforcedPause"
  | "EmptyBatch"
  | "SignatureCountMismatch"
  | "MalformedSignature"
  | "SignatureMismatch"
  | "UnknownSigner"
  | "SignerKeyRevoked"
  | "SignerOrganizationInactive"
  | "InvalidMilestoneKind"
  | "KindNotAllowed"
  | "OutsideJurisdiction"
  | "UnknownConsignment"
  | "NotConsignmentParty"
  | "StaleHead"
  | "ConsignmentClosed"
  | "ImportReleaseRequired"
  | "UnknownCorrectedMilestone"
  | "ConsignmentAlreadyRegistered"
  | "ConsignorMismatch"
  | "InvalidConsignmentFlags"
  | "UnknownConsignee"
  | "InvalidCountryCode";

export interface RuleViolation {
  error: ContractErrorName;
  index: number;
  message: string;
}

export const ZERO_HASH = "0x" + "00".repeat(32);

/** Who signed, as far as cryptography can tell: `recovered` is null when the signature is malformed. */
export interface SignatureFacts {
  claimedSigner: string;
  recoveredSigner: string | null;
}

/** Fields of a milestone that the rules read; location is the UN/LOCODE in letters. */
export interface MilestoneFacts {
  consignmentId: string;
  kind: number;
  location: string;
  prevHash: string;
}

export interface RegistrationFacts {
  consignmentId: string;
  consignor: number;
  consignee: number;
  originCountry: string;
  destinationCountry: string;
  flags: number;
  location: string;
}

export interface CorrectionFacts {
  consignmentId: string;
  correctedIndex: number;
  location: string;
  prevHash: string;
}

type Authority = { organizationId: number; organization: OrganizationRecord };

const violation = (error: ContractErrorName, index: number, message: string): RuleViolation => ({
  error,
  index,
  message,
});

const sameAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The checks on who signed, in the contract's order. */
export function checkSignerAuthority(
  view: LedgerView,
  index: number,
  signature: SignatureFacts,
  kind: MilestoneKind,
  location: string,
): RuleViolation | Authority {
  if (view.paused) return violation("EnforcedPause", index, "the ledger is paused");
  const { claimedSigner, recoveredSigner } = signature;
  if (recoveredSigner === null) return violation("MalformedSignature", index, "the signature is malformed");
  if (!sameAddress(claimedSigner, recoveredSigner)) {
    return violation(
      "SignatureMismatch",
      index,
      `signature recovers ${recoveredSigner}, not ${claimedSigner}: another EIP-712 domain or other fields`,
    );
  }
  const key = view.signerKey(recoveredSigner);
  if (!key) return violation("UnknownSigner", index, `${recoveredSigner} is not a registered signer key`);
  if (key.revokedAt !== 0)
    return violation("SignerKeyRevoked", index, `${recoveredSigner} was revoked at ${key.revokedAt}`);
  const organization = view.organization(key.organizationId);
  if (!organization?.active) {
    return violation("SignerOrganizationInactive", index, `organization ${key.organizationId} is inactive`);
  }
  if (!mayOrganizationSign(organization.kind, kind)) {
    return violation(
      "KindNotAllowed",
      index,
      `${OrganizationKind[organization.kind]} may not sign ${MilestoneKind[kind]}`,
    );
  }
  if (organization.kind === OrganizationKind.Customs && countryOfLocation(location) !== organization.country) {
    return violation("OutsideJurisdiction", index, `customs of ${organization.country} cannot record at ${location}`);
  }
  return { organizationId: key.organizationId, organization };
}

const isViolation = (x: RuleViolation | Authority): x is RuleViolation => "error" in x;

/** Consignment-level checks shared by milestones and corrections. */
function checkAdvance(
  view: LedgerView,
  index: number,
  authority: Authority,
  consignmentId: string,
  kind: MilestoneKind,
  location: string,
  prevHash: string,
): RuleViolation | ConsignmentRecord {
  const current = view.consignment(consignmentId);
  if (!current) return violation("UnknownConsignment", index, `consignment ${consignmentId} is not registered`);
  const isParty = authority.organizationId === current.consignor || authority.organizationId === current.consignee;
  if (
    !isParty &&
    (milestoneKindRule(kind).partyOnly || authority.organization.kind === OrganizationKind.AidOrganization)
  ) {
    return violation(
      "NotConsignmentParty",
      index,
      `organization ${authority.organizationId} is neither consignor nor consignee`,
    );
  }
  if (prevHash.toLowerCase() !== current.head.toLowerCase()) {
    return violation("StaleHead", index, `prevHash ${prevHash} is not the current head ${current.head}`);
  }
  if (current.closed && kind !== MilestoneKind.Correction) {
    return violation("ConsignmentClosed", index, `the consignment was closed by ${MilestoneKind[current.status]}`);
  }
  if (
    (kind === MilestoneKind.Delivered || kind === MilestoneKind.Received) &&
    countryOfLocation(location) === current.destinationCountry &&
    !current.importReleased
  ) {
    return violation(
      "ImportReleaseRequired",
      index,
      `customs of ${current.destinationCountry} has not released the consignment`,
    );
  }
  return current;
}

/** The status after a milestone of `kind` at `location`, given that every check passed. */
export function advanceConsignment(
  current: ConsignmentRecord,
  kind: MilestoneKind,
  location: string,
  newHead: string,
): ConsignmentRecord {
  const next: ConsignmentRecord = { ...current, head: newHead, milestoneCount: current.milestoneCount + 1 };
  if (kind === MilestoneKind.Incident || kind === MilestoneKind.Correction) return next;
  next.status = kind;
  if (milestoneKindRule(kind).terminal) next.closed = true;
  if (countryOfLocation(location) === current.destinationCountry) {
    if (kind === MilestoneKind.Released) next.importReleased = true;
    else if (kind === MilestoneKind.Held) next.importReleased = false;
  }
  return next;
}

export function checkMilestone(
  view: LedgerView,
  index: number,
  milestone: MilestoneFacts,
  signature: SignatureFacts,
): RuleViolation | null {
  const kind = milestone.kind;
  // Same order as the contract: the pause modifier first, then the kind, then the signature.
  if (view.paused) return violation("EnforcedPause", index, "the ledger is paused");
  if (
    !Number.isInteger(kind) ||
    kind < 0 ||
    kind > MilestoneKind.Cancelled ||
    kind === MilestoneKind.Registered ||
    kind === MilestoneKind.Correction
  ) {
    return violation("InvalidMilestoneKind", index, `kind ${kind} cannot be recorded with recordMilestones`);
  }
  const authority = checkSignerAuthority(view, index, signature, kind, milestone.location);
  if (isViolation(authority)) return authority;
  const current = checkAdvance(
    view,
    index,
    authority,
    milestone.consignmentId,
    kind,
    milestone.location,
    milestone.prevHash,
  );
  return "error" in current ? current : null;
}

export function checkCorrection(
  view: LedgerView,
  correction: CorrectionFacts,
  signature: SignatureFacts,
): RuleViolation | null {
  const kind = MilestoneKind.Correction;
  const authority = checkSignerAuthority(view, 0, signature, kind, correction.location);
  if (isViolation(authority)) return authority;
  const current = checkAdvance(
    view,
    0,
    authority,
    correction.consignmentId,
    kind,
    correction.location,
    correction.prevHash,
  );
  if ("error" in current) return current;
  if (correction.correctedIndex >= current.milestoneCount) {
    return violation(
      "UnknownCorrectedMilestone",
      0,
      `milestone ${correction.correctedIndex} does not exist (the consignment has ${current.milestoneCount})`,
    );
  }
  return null;
}

export function checkRegistration(
  view: LedgerView,
  index: number,
  registration: RegistrationFacts,
  signature: SignatureFacts,
): RuleViolation | null {
  const authority = checkSignerAuthority(view, index, signature, MilestoneKind.Registered, registration.location);
  if (isViolation(authority)) return authority;
  if (registration.consignor !== authority.organizationId) {
    return violation(
      "ConsignorMismatch",
      index,
      `signer speaks for organization ${authority.organizationId}, not consignor ${registration.consignor}`,
    );
  }
  if (registration.consignee !== 0 && !view.organization(registration.consignee)) {
    return violation("UnknownConsignee", index, `consignee ${registration.consignee} is not a member`);
  }
  for (const country of [registration.originCountry, registration.destinationCountry]) {
    if (!COUNTRY_CODE_PATTERN.test(country))
      return violation("InvalidCountryCode", index, `${country} is not a country code`);
  }
  if ((registration.flags & ~ALL_CONSIGNMENT_FLAGS) !== 0) {
    return violation("InvalidConsignmentFlags", index, `unknown flag bits in ${registration.flags}`);
  }
  if (view.consignment(registration.consignmentId)) {
    return violation("ConsignmentAlreadyRegistered", index, `consignment ${registration.consignmentId} exists`);
  }
  return null;
}

export function registeredConsignment(registration: RegistrationFacts, head: string): ConsignmentRecord {
  return {
    head,
    consignor: registration.consignor,
    consignee: registration.consignee,
    originCountry: registration.originCountry,
    destinationCountry: registration.destinationCountry,
    flags: registration.flags,
    status: MilestoneKind.Registered,
    milestoneCount: 1,
    importReleased: false,
    closed: false,
  };
}

/**
 * A view that sees consignment changes staged on top of another view: how a batch is checked item by item, each
 * item seeing the ones before it, before anything is committed (the contract's batches are atomic the same way).
 */
export function stagedView(view: LedgerView) {
  const changes = new Map<string, ConsignmentRecord>();
  return {
    get paused() {
      return view.paused;
    },
    organization: (id: number) => view.organization(id),
    signerKey: (signer: string) => view.signerKey(signer),
    consignment: (id: string) => changes.get(id.toLowerCase()) ?? view.consignment(id),
    put: (id: string, record: ConsignmentRecord) => void changes.set(id.toLowerCase(), record),
    /** The staged records, keyed by lower-case consignment id. */
    changes: changes as ReadonlyMap<string, ConsignmentRecord>,
  };
}
