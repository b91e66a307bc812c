/**
 * TypeScript and Solidity must compute the same digests, ids and rules, or the node would sign milestones the
 * contract refuses and auditors would recompute heads nobody recorded.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { TypedDataEncoder } from "ethers";
import { deployLedgerFixture } from "../support/ledgerFixture";
import {
  MILESTONE_KINDS,
  MilestoneKind,
  OrganizationKind,
  mayOrganizationSign,
} from "../../server/domain/milestoneKinds";
import { consignmentIdOf, referenceHashOf } from "../../server/domain/consignmentId";
import {
  correctionDigestOf,
  ledgerDomain,
  milestoneDigestOf,
  recoverSignerOf,
  registrationDigestOf,
} from "../../server/domain/eip712";

describe("ConsignmentLedger cross-checks with server/domain", function () {
  it("computes the same EIP-712 domain separator", async function () {
    const { ledger, deployment } = await loadFixture(deployLedgerFixture);
    expect(await ledger.DOMAIN_SEPARATOR()).to.equal(TypedDataEncoder.hashDomain(ledgerDomain(deployment)));
    const domain = await ledger.eip712Domain();
    expect(domain.name).to.equal("ConsignmentLedger");
    expect(domain.version).to.equal("1");
  });

  it("computes the same consignment id from a consignor and reference", async function () {
    const { ledger } = await loadFixture(deployLedgerFixture);
    for (const [consignor, reference] of [
      [1, "KE2026REL000001"],
      [4_294_967_295, "GB1234567890-UCR-Ünïcode"],
      [7, "  lower case ucr  "],
    ] as const) {
      const referenceHash = referenceHashOf(reference);
      expect(await ledger.consignmentIdOf(consignor, referenceHash)).to.equal(
        consignmentIdOf(consignor, referenceHash),
      );
    }
  });

  it("computes the same milestone, registration and correction digests, and the contract recovers TS signatures", async function () {
    const { scenario, members, ledger, deployment } = await loadFixture(deployLedgerFixture);
    const reg = await scenario.signedRegistration({ consignor: members.consignor, consigneeId: members.consignee.id });
    expect(await ledger.registrationDigest(reg.registration)).to.equal(
      registrationDigestOf(deployment, reg.registration),
    );
    expect(recoverSignerOf(reg.digest, reg.signature)).to.equal(members.consignor.signer.address);
    await scenario.ledger.registerConsignments([reg.registration], [reg.signature]);
    expect(await scenario.head(reg.consignmentId)).to.equal(reg.digest);

    for (const kind of [MilestoneKind.Dispatched, MilestoneKind.Incident, MilestoneKind.Cancelled]) {
      const m = await scenario.signedMilestone(members.carrier.signer, reg.consignmentId, kind, "KEMBA", {
        occurredAt: 2 ** 40 + kind,
      });
      expect(await ledger.milestoneDigest(m.milestone)).to.equal(milestoneDigestOf(deployment, m.milestone));
    }
    const c = await scenario.signedCorrection(members.carrier.signer, reg.consignmentId, 0, "KEMBA");
    expect(await ledger.correctionDigest(c.correction)).to.equal(correctionDigestOf(deployment, c.correction));
  });

  it("has the same kind permission table as MILESTONE_KINDS, for every organization kind and milestone kind", async function () {
    const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
    const reg = await scenario.register({ consignor: members.consignor, consigneeId: members.consignee.id });
    const byKind = new Map<OrganizationKind, (typeof members)[keyof typeof members]>([
      [OrganizationKind.Customs, members.kenyaCustoms],
      [OrganizationKind.AidOrganization, members.consignor],
      [OrganizationKind.Carrier, members.carrier],
      [OrganizationKind.Agency, members.agency],
    ]);
    let checked = 0;
    for (const rule of MILESTONE_KINDS) {
      if (rule.kind === MilestoneKind.Registered || rule.kind === MilestoneKind.Correction) continue;
      for (const [orgKind, member] of byKind) {
        const m = await scenario.signedMilestone(member.signer, reg.consignmentId, rule.kind, "KEMBA");
        let refusedForKind = false;
        try {
          await scenario.ledger.recordMilestones.staticCall([m.milestone], [m.signature]);
        } catch (error) {
          const parsed = ledger.interface.parseError((error as { data: string }).data);
          refusedForKind = parsed?.name === "KindNotAllowed";
        }
        expect(refusedForKind, `${OrganizationKind[orgKind]} signing ${rule.name}`).to.equal(
          !mayOrganizationSign(orgKind, rule.kind),
        );
        checked++;
      }
    }
    expect(checked).to.equal(15 * 4);
  });
});
