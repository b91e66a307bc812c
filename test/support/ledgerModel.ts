/**
 * An in-memory reference ledger for the model-based test: state in Maps, rules from server/domain/ledgerRules.
 * It applies what the contract would apply and predicts every rejection by its custom error name.
 */
import {
  advanceConsignment,
  checkCorrection,
  checkMilestone,
  checkRegistration,
  registeredConsignment,
  stagedView,
} from "../../server/domain/ledgerRules";
import type {
  ConsignmentRecord,
  CorrectionFacts,
  LedgerView,
  MilestoneFacts,
  OrganizationRecord,
  RegistrationFacts,
  SignatureFacts,
  SignerKeyRecord,
} from "../../server/domain/ledgerRules";
import { MilestoneKind } from "../../server/domain/milestoneKinds";

export type Outcome = { ok: true } | { ok: false; error: string };

export class LedgerModel implements LedgerView {
  paused = false;
  readonly organizations = new Map<number, OrganizationRecord>();
  readonly signerKeys = new Map<string, SignerKeyRecord>();
  readonly consignments = new Map<string, ConsignmentRecord>();

  organization(id: number) {
    return this.organizations.get(id);
  }
  signerKey(signer: string) {
    return this.signerKeys.get(signer.toLowerCase());
  }
  consignment(id: string) {
    return this.consignments.get(id.toLowerCase());
  }

  addOrganization(id: number, record: OrganizationRecord): void {
    this.organizations.set(id, record);
  }

  addSigner(signer: string, organizationId: number, now: number): void {
    this.signerKeys.set(signer.toLowerCase(), { organizationId, addedAt: now, revokedAt: 0, compromisedAt: 0 });
  }

  revokeSigner(signer: string, now: number): Outcome {
    const key = this.signerKey(signer);
    if (!key) return { ok: false, error: "SignerNotRegistered" };
    if (key.revokedAt !== 0) return { ok: false, error: "SignerAlreadyRevoked" };
    key.revokedAt = now;
    return { ok: true };
  }

  setOrganizationActive(id: number, active: boolean): Outcome {
    const org = this.organizations.get(id);
    if (!org) return { ok: false, error: "UnknownOrganization" };
    if (org.active === active) return { ok: false, error: "OrganizationActiveUnchanged" };
    org.active = active;
    return { ok: true };
  }

  setPaused(paused: boolean): Outcome {
    if (this.paused === paused) return { ok: false, error: paused ? "EnforcedPause" : "ExpectedPause" };
    this.paused = paused;
    return { ok: true };
  }

  /** Atomic like the contract: items see the effects of earlier items; nothing sticks unless all pass. */
  registerConsignments(items: Array<{ facts: RegistrationFacts; signature: SignatureFacts; digest: string }>): Outcome {
    if (this.paused) return { ok: false, error: "EnforcedPause" };
    const staged = this.staged();
    for (const [index, item] of items.entries()) {
      const violation = checkRegistration(staged, index, item.facts, item.signature);
      if (violation) return { ok: false, error: violation.error };
      staged.put(item.facts.consignmentId, registeredConsignment(item.facts, item.digest));
    }
    staged.commit();
    return { ok: true };
  }

  recordMilestones(items: Array<{ facts: MilestoneFacts; signature: SignatureFacts; digest: string }>): Outcome {
    if (this.paused) return { ok: false, error: "EnforcedPause" };
    const staged = this.staged();
    for (const [index, item] of items.entries()) {
      const violation = checkMilestone(staged, index, item.facts, item.signature);
      if (violation) return { ok: false, error: violation.error };
      const current = staged.consignment(item.facts.consignmentId)!;
      staged.put(
        item.facts.consignmentId,
        advanceConsignment(current, item.facts.kind, item.facts.location, item.digest),
      );
    }
    staged.commit();
    return { ok: true };
  }

  recordCorrection(facts: CorrectionFacts, signature: SignatureFacts, digest: string): Outcome {
    if (this.paused) return { ok: false, error: "EnforcedPause" };
    const violation = checkCorrection(this, facts, signature);
    if (violation) return { ok: false, error: violation.error };
    const current = this.consignment(facts.consignmentId)!;
    this.consignments.set(
      facts.consignmentId.toLowerCase(),
      advanceConsignment(current, MilestoneKind.Correction, facts.location, digest),
    );
    return { ok: true };
  }

  /** Items of a batch see the items before them; nothing sticks until commit. */
  private staged() {
    const staged = stagedView(this);
    const commit = () => staged.changes.forEach((record, id) => this.consignments.set(id, record));
    return Object.assign(staged, { commit });
  }
}
