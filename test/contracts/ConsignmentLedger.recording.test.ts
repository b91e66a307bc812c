import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { deployLedgerFixture, corridorSequence, signerWallet, ORIGIN, DESTINATION } from "../support/ledgerFixture";
import { MilestoneKind, OrganizationKind, ConsignmentFlag } from "../../server/domain/milestoneKinds";
import { toCountryBytes, toLocationBytes } from "../../server/domain/locationCodes";
import {
  milestoneDigestOf,
  recoverSignerOf,
  signTypedData,
  toMilestoneTypedData,
  toRegistrationTypedData,
} from "../../server/domain/eip712";
import type { SignerSignature } from "../../server/domain/eip712";

/** A registered consignment, consignor Kenya Red Cross, consignee Uganda Red Cross. */
async function registeredFixture() {
  const base = await deployLedgerFixture();
  const { scenario, members } = base;
  const registered = await scenario.register({ consignor: members.consignor, consigneeId: members.consignee.id });
  return { ...base, consignmentId: registered.consignmentId, registered };
}

/** The corridor walked up to just before `stop`, or to its end. */
async function walkTo(fx: Awaited<ReturnType<typeof registeredFixture>>, stop?: MilestoneKind) {
  for (const step of corridorSequence(fx.members)) {
    if (step.kind === stop) return;
    await fx.scenario.record(step.who.signer, fx.consignmentId, step.kind, step.location);
  }
}

describe("ConsignmentLedger recording", function () {
  describe("registerConsignments", function () {
    it("stores the head and packed status and emits ConsignmentRegistered with every field", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedRegistration({
        consignor: members.consignor,
        consigneeId: members.consignee.id,
        flags: ConsignmentFlag.Relief | ConsignmentFlag.ColdChain,
      });
      const r = signed.registration;
      await expect(scenario.ledger.registerConsignments([r], [signed.signature]))
        .to.emit(ledger, "ConsignmentRegistered")
        .withArgs(
          signed.consignmentId,
          members.consignor.signer.address,
          r.referenceHash,
          r.consignor,
          r.consignee,
          r.originCountry,
          r.destinationCountry,
          r.flags,
          r.location,
          r.occurredAt,
          r.payloadHash,
        );
      const [head, status] = await ledger.consignment(signed.consignmentId);
      expect(head).to.equal(signed.digest);
      expect(status.consignor).to.equal(members.consignor.id);
      expect(status.consignee).to.equal(members.consignee.id);
      expect(status.originCountry).to.equal(toCountryBytes(ORIGIN));
      expect(status.destinationCountry).to.equal(toCountryBytes(DESTINATION));
      expect(status.flags).to.equal(ConsignmentFlag.Relief | ConsignmentFlag.ColdChain);
      expect(status.status).to.equal(MilestoneKind.Registered);
      expect(status.milestoneCount).to.equal(1);
      expect(status.closed).to.equal(false);
    });

    it("registers several consignments in one transaction and returns their ids", async function () {
      const { scenario, members } = await loadFixture(deployLedgerFixture);
      const a = await scenario.signedRegistration({ consignor: members.consignor });
      const b = await scenario.signedRegistration({ consignor: members.carrier });
      const ids = await scenario.ledger.registerConsignments.staticCall(
        [a.registration, b.registration],
        [a.signature, b.signature],
      );
      expect(ids).to.deep.equal([a.consignmentId, b.consignmentId]);
    });

    it("reverts with ConsignmentAlreadyRegistered for the same consignor and reference", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      const first = await scenario.register({ consignor: members.consignor, reference: "KE2026REL-DUP" });
      const again = await scenario.signedRegistration({ consignor: members.consignor, reference: "ke2026rel-dup " });
      await expect(scenario.ledger.registerConsignments([again.registration], [again.signature]))
        .to.be.revertedWithCustomError(ledger, "ConsignmentAlreadyRegistered")
        .withArgs(0, first.consignmentId);
    });

    it("reverts with ConsignorMismatch when a member registers in another's name", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedRegistration({ consignor: members.consignee }, members.consignor.signer);
      await expect(scenario.ledger.registerConsignments([signed.registration], [signed.signature]))
        .to.be.revertedWithCustomError(ledger, "ConsignorMismatch")
        .withArgs(0, members.consignee.id, members.consignor.id);
    });

    it("reverts with KindNotAllowed when customs tries to register a consignment", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedRegistration({ consignor: members.kenyaCustoms });
      await expect(scenario.ledger.registerConsignments([signed.registration], [signed.signature]))
        .to.be.revertedWithCustomError(ledger, "KindNotAllowed")
        .withArgs(0, MilestoneKind.Registered, OrganizationKind.Customs);
    });

    it("reverts with UnknownConsignee for a consignee that is not a member", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedRegistration({ consignor: members.consignor, consigneeId: 4242 });
      await expect(scenario.ledger.registerConsignments([signed.registration], [signed.signature]))
        .to.be.revertedWithCustomError(ledger, "UnknownConsignee")
        .withArgs(0, 4242);
    });

    it("reverts with InvalidConsignmentFlags for unknown flag bits", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedRegistration({ consignor: members.consignor, flags: 16 | 1 });
      await expect(scenario.ledger.registerConsignments([signed.registration], [signed.signature]))
        .to.be.revertedWithCustomError(ledger, "InvalidConsignmentFlags")
        .withArgs(0, 17);
    });

    it("reverts with InvalidCountryCode for a malformed destination", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedRegistration({ consignor: members.consignor });
      signed.registration.destinationCountry = "0x7567"; // "ug", lower case
      const resigned = await signTypedData(
        members.consignor.signer,
        toRegistrationTypedData(scenario.deployment, signed.registration),
      );
      await expect(scenario.ledger.registerConsignments([signed.registration], [resigned]))
        .to.be.revertedWithCustomError(ledger, "InvalidCountryCode")
        .withArgs("0x7567");
    });

    it("reverts with EmptyBatch and SignatureCountMismatch for malformed batches", async function () {
      const { scenario, members, ledger } = await loadFixture(deployLedgerFixture);
      await expect(scenario.ledger.registerConsignments([], [])).to.be.revertedWithCustomError(ledger, "EmptyBatch");
      const signed = await scenario.signedRegistration({ consignor: members.consignor });
      await expect(scenario.ledger.registerConsignments([signed.registration], []))
        .to.be.revertedWithCustomError(ledger, "SignatureCountMismatch")
        .withArgs(1, 0);
    });
  });

  describe("recordMilestones", function () {
    it("records the whole corridor, moving the head to each digest and emitting every field", async function () {
      const fx = await loadFixture(registeredFixture);
      let count = 1;
      for (const step of corridorSequence(fx.members)) {
        const signed = await fx.scenario.signedMilestone(step.who.signer, fx.consignmentId, step.kind, step.location);
        const m = signed.milestone;
        await expect(fx.scenario.ledger.recordMilestones([m], [signed.signature]))
          .to.emit(fx.ledger, "MilestoneRecorded")
          .withArgs(
            m.consignmentId,
            step.who.signer.address,
            m.kind,
            m.location,
            m.occurredAt,
            m.payloadHash,
            m.prevHash,
          );
        const [head, status] = await fx.ledger.consignment(fx.consignmentId);
        expect(head).to.equal(signed.digest);
        expect(status.milestoneCount).to.equal(++count);
        expect(status.status).to.equal(step.kind);
      }
      const [, status] = await fx.ledger.consignment(fx.consignmentId);
      expect(status.importReleased).to.equal(true);
      expect(status.closed).to.equal(true);
    });

    it("chains several milestones of one consignment inside one batch", async function () {
      const fx = await loadFixture(registeredFixture);
      const { carrier, kenyaCustoms } = fx.members;
      const first = await fx.scenario.signedMilestone(
        carrier.signer,
        fx.consignmentId,
        MilestoneKind.Dispatched,
        "KEMBA",
      );
      const second = await fx.scenario.signedMilestone(
        kenyaCustoms.signer,
        fx.consignmentId,
        MilestoneKind.ExportCleared,
        "KEMAL",
        { prevHash: first.digest },
      );
      await fx.scenario.ledger.recordMilestones(
        [first.milestone, second.milestone],
        [first.signature, second.signature],
      );
      expect(await fx.scenario.head(fx.consignmentId)).to.equal(second.digest);
    });

    it("is atomic: one bad milestone reverts the whole batch", async function () {
      const fx = await loadFixture(registeredFixture);
      const { carrier, ugandaCustoms } = fx.members;
      const headBefore = await fx.scenario.head(fx.consignmentId);
      const good = await fx.scenario.signedMilestone(
        carrier.signer,
        fx.consignmentId,
        MilestoneKind.Dispatched,
        "KEMBA",
      );
      const bad = await fx.scenario.signedMilestone(
        ugandaCustoms.signer,
        fx.consignmentId,
        MilestoneKind.Held,
        "KEMAL",
        {
          prevHash: good.digest,
        },
      );
      await expect(
        fx.scenario.ledger.recordMilestones([good.milestone, bad.milestone], [good.signature, bad.signature]),
      )
        .to.be.revertedWithCustomError(fx.ledger, "OutsideJurisdiction")
        .withArgs(1, toCountryBytes("UG"), toCountryBytes("KE"));
      expect(await fx.scenario.head(fx.consignmentId)).to.equal(headBefore);
    });

    describe("signer checks", function () {
      it("reverts with UnknownSigner for a key that was never added", async function () {
        const fx = await loadFixture(registeredFixture);
        const stranger = signerWallet("stranger");
        const s = await fx.scenario.attempt(stranger, fx.consignmentId, MilestoneKind.Incident, "KEMBA");
        await expect(s.sent).to.be.revertedWithCustomError(fx.ledger, "UnknownSigner").withArgs(0, stranger.address);
      });

      it("reverts with SignerKeyRevoked after revocation, while what the key recorded before stays", async function () {
        const fx = await loadFixture(registeredFixture);
        const { carrier } = fx.members;
        const before = await fx.scenario.record(carrier.signer, fx.consignmentId, MilestoneKind.Dispatched, "KEMBA");
        await fx.ledger.revokeSigner(carrier.signer.address, 0);
        const revokedAt = (await fx.ledger.signerKey(carrier.signer.address)).revokedAt;
        const after = await fx.scenario.signedMilestone(
          carrier.signer,
          fx.consignmentId,
          MilestoneKind.Departed,
          "KEMBA",
        );
        await expect(fx.scenario.ledger.recordMilestones([after.milestone], [after.signature]))
          .to.be.revertedWithCustomError(fx.ledger, "SignerKeyRevoked")
          .withArgs(0, carrier.signer.address, revokedAt);
        // The milestone recorded before the revocation is still the head, and its event is still in the logs.
        expect(await fx.scenario.head(fx.consignmentId)).to.equal(before.digest);
        const logs = await fx.ledger.queryFilter(
          fx.ledger.filters.MilestoneRecorded(fx.consignmentId, carrier.signer.address),
        );
        expect(logs).to.have.length(1);
      });

      it("reverts with SignerOrganizationInactive while the organization is deactivated", async function () {
        const fx = await loadFixture(registeredFixture);
        const { carrier } = fx.members;
        await fx.ledger.setOrganizationActive(carrier.id, false);
        const s = await fx.scenario.attempt(carrier.signer, fx.consignmentId, MilestoneKind.Dispatched, "KEMBA");
        await expect(s.sent)
          .to.be.revertedWithCustomError(fx.ledger, "SignerOrganizationInactive")
          .withArgs(0, carrier.id);
      });

      const wrongDomains = [
        {
          name: "another chain",
          change: (d: { chainId: bigint | number; address: string }) => ({ ...d, chainId: 1n }),
        },
        {
          name: "another contract",
          change: (d: { chainId: bigint | number; address: string }) => ({
            ...d,
            address: "0x000000000000000000000000000000000000dEaD",
          }),
        },
      ];
      for (const variant of wrongDomains) {
        it(`reverts with SignatureMismatch for a signature over ${variant.name}'s EIP-712 domain`, async function () {
          const fx = await loadFixture(registeredFixture);
          const { carrier } = fx.members;
          const s = await fx.scenario.signedMilestone(
            carrier.signer,
            fx.consignmentId,
            MilestoneKind.Dispatched,
            "KEMBA",
          );
          const foreign = await signTypedData(
            carrier.signer,
            toMilestoneTypedData(variant.change(fx.deployment), s.milestone),
          );
          const recovered = recoverSignerOf(milestoneDigestOf(fx.deployment, s.milestone), foreign);
          expect(recovered).to.not.equal(carrier.signer.address);
          await expect(fx.scenario.ledger.recordMilestones([s.milestone], [foreign]))
            .to.be.revertedWithCustomError(fx.ledger, "SignatureMismatch")
            .withArgs(0, carrier.signer.address, recovered);
        });
      }

      it("reverts with SignatureMismatch when a relayer tampers with a signed field", async function () {
        const fx = await loadFixture(registeredFixture);
        const { carrier } = fx.members;
        const s = await fx.scenario.signedMilestone(
          carrier.signer,
          fx.consignmentId,
          MilestoneKind.Dispatched,
          "KEMBA",
        );
        const tampered = { ...s.milestone, location: toLocationBytes("KENBO") };
        await expect(fx.scenario.ledger.recordMilestones([tampered], [s.signature])).to.be.revertedWithCustomError(
          fx.ledger,
          "SignatureMismatch",
        );
      });

      const malformed = [
        {
          name: "r of zero",
          change: (s: SignerSignature): SignerSignature => ({ ...s, r: "0x" + "00".repeat(32) }),
          code: 1,
        },
        {
          name: "s in the upper half of the curve order",
          change: (s: SignerSignature): SignerSignature => ({ ...s, yParityAndS: "0x7f" + "ff".repeat(31) }),
          code: 3,
        },
      ];
      for (const variant of malformed) {
        it(`reverts with MalformedSignature for ${variant.name}`, async function () {
          const fx = await loadFixture(registeredFixture);
          const { carrier } = fx.members;
          const s = await fx.scenario.signedMilestone(
            carrier.signer,
            fx.consignmentId,
            MilestoneKind.Dispatched,
            "KEMBA",
          );
          await expect(fx.scenario.ledger.recordMilestones([s.milestone], [variant.change(s.signature)]))
            .to.be.revertedWithCustomError(fx.ledger, "MalformedSignature")
            .withArgs(0, variant.code);
        });
      }
    });

    describe("kind and jurisdiction", function () {
      const notAllowed: Array<[string, MilestoneKind, string]> = [
        ["carrier", MilestoneKind.ExportCleared, "KEMAL"],
        ["consignor", MilestoneKind.Released, "KEMAL"],
        ["agency", MilestoneKind.Dispatched, "KEMBA"],
        ["kenyaCustoms", MilestoneKind.Delivered, "KEMBA"],
        ["kenyaCustoms", MilestoneKind.Received, "KEMBA"],
      ];
      for (const [who, kind, location] of notAllowed) {
        it(`reverts with KindNotAllowed when ${who} signs ${MilestoneKind[kind]}`, async function () {
          const fx = await loadFixture(registeredFixture);
          const member = fx.members[who as keyof typeof fx.members];
          const s = await fx.scenario.attempt(member.signer, fx.consignmentId, kind, location);
          await expect(s.sent)
            .to.be.revertedWithCustomError(fx.ledger, "KindNotAllowed")
            .withArgs(0, kind, member.kind);
        });
      }

      for (const kind of [MilestoneKind.Registered, MilestoneKind.Correction, 17, 255]) {
        it(`reverts with InvalidMilestoneKind for kind ${kind}`, async function () {
          const fx = await loadFixture(registeredFixture);
          const s = await fx.scenario.attempt(fx.members.carrier.signer, fx.consignmentId, kind, "KEMBA");
          await expect(s.sent).to.be.revertedWithCustomError(fx.ledger, "InvalidMilestoneKind").withArgs(0, kind);
        });
      }

      type Fixture = Awaited<ReturnType<typeof registeredFixture>>;
      const refusals: Array<{
        name: string;
        who: keyof Fixture["members"];
        kind: MilestoneKind;
        location: string;
        error: string;
        args: (fx: Fixture) => unknown[];
      }> = [
        {
          name: "reverts with OutsideJurisdiction when Kenyan customs clears in Uganda",
          who: "kenyaCustoms",
          kind: MilestoneKind.ExportCleared,
          location: "UGTOR",
          error: "OutsideJurisdiction",
          args: () => [0, toCountryBytes("KE"), toCountryBytes("UG")],
        },
        {
          name: "lets customs record a non-clearance kind only inside its own country too",
          who: "ugandaCustoms",
          kind: MilestoneKind.Incident,
          location: "KEMAL",
          error: "OutsideJurisdiction",
          args: () => [0, toCountryBytes("UG"), toCountryBytes("KE")],
        },
        {
          name: "reverts with NotConsignmentParty when an aid organization speaks of someone else's consignment",
          who: "otherAid",
          kind: MilestoneKind.Incident,
          location: "KEMBA",
          error: "NotConsignmentParty",
          args: (fx) => [0, fx.consignmentId, fx.members.otherAid.id],
        },
        {
          name: "reverts with NotConsignmentParty when a carrier cancels a consignment it is not party to",
          who: "carrier",
          kind: MilestoneKind.Cancelled,
          location: "KEMBA",
          error: "NotConsignmentParty",
          args: (fx) => [0, fx.consignmentId, fx.members.carrier.id],
        },
      ];
      for (const refusal of refusals) {
        it(refusal.name, async function () {
          const fx = await loadFixture(registeredFixture);
          const s = await fx.scenario.attempt(
            fx.members[refusal.who].signer,
            fx.consignmentId,
            refusal.kind,
            refusal.location,
          );
          await expect(s.sent)
            .to.be.revertedWithCustomError(fx.ledger, refusal.error)
            .withArgs(...refusal.args(fx));
        });
      }
    });

    describe("head and status rules", function () {
      it("reverts with UnknownConsignment for an id never registered", async function () {
        const fx = await loadFixture(registeredFixture);
        const unknown = "0x" + "ab".repeat(32);
        const s = await fx.scenario.attempt(fx.members.carrier.signer, unknown, MilestoneKind.Dispatched, "KEMBA");
        await expect(s.sent).to.be.revertedWithCustomError(fx.ledger, "UnknownConsignment").withArgs(0, unknown);
      });

      it("reverts with StaleHead for a prevHash that is not the head", async function () {
        const fx = await loadFixture(registeredFixture);
        const head = await fx.scenario.head(fx.consignmentId);
        const wrong = "0x" + "12".repeat(32);
        const s = await fx.scenario.attempt(
          fx.members.carrier.signer,
          fx.consignmentId,
          MilestoneKind.Dispatched,
          "KEMBA",
          {
            prevHash: wrong,
          },
        );
        await expect(s.sent)
          .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
          .withArgs(0, fx.consignmentId, head, wrong);
      });

      it("reverts with StaleHead when a recorded milestone is replayed", async function () {
        const fx = await loadFixture(registeredFixture);
        const s = await fx.scenario.record(
          fx.members.carrier.signer,
          fx.consignmentId,
          MilestoneKind.Dispatched,
          "KEMBA",
        );
        await expect(fx.scenario.ledger.recordMilestones([s.milestone], [s.signature]))
          .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
          .withArgs(0, fx.consignmentId, s.digest, s.milestone.prevHash);
      });

      for (const terminal of [MilestoneKind.Seized, MilestoneKind.Cancelled, MilestoneKind.Distributed]) {
        it(`reverts with ConsignmentClosed for anything but a correction after ${MilestoneKind[terminal]}`, async function () {
          const fx = await loadFixture(registeredFixture);
          const { members, scenario, consignmentId } = fx;
          if (terminal === MilestoneKind.Seized) {
            await scenario.record(members.kenyaCustoms.signer, consignmentId, MilestoneKind.Seized, "KEMAL");
          } else if (terminal === MilestoneKind.Cancelled) {
            await scenario.record(members.consignor.signer, consignmentId, MilestoneKind.Cancelled, "KEMBA");
          } else {
            await walkTo(fx); // the whole corridor, ending with Distributed
          }
          const s = await scenario.attempt(members.carrier.signer, consignmentId, MilestoneKind.Incident, "KEMBA");
          await expect(s.sent)
            .to.be.revertedWithCustomError(fx.ledger, "ConsignmentClosed")
            .withArgs(0, consignmentId, terminal);
          const c = await scenario.signedCorrection(members.carrier.signer, consignmentId, 1, "KEMBA");
          await expect(scenario.ledger.recordCorrection(c.correction, c.signature)).to.emit(
            fx.ledger,
            "CorrectionRecorded",
          );
        });
      }

      for (const kind of [MilestoneKind.Delivered, MilestoneKind.Received]) {
        it(`reverts with ImportReleaseRequired for ${MilestoneKind[kind]} in the destination before release`, async function () {
          const fx = await loadFixture(registeredFixture);
          await walkTo(fx, MilestoneKind.Released);
          const who = kind === MilestoneKind.Delivered ? fx.members.carrier : fx.members.consignee;
          const s = await fx.scenario.attempt(who.signer, fx.consignmentId, kind, "UGKLA");
          await expect(s.sent)
            .to.be.revertedWithCustomError(fx.ledger, "ImportReleaseRequired")
            .withArgs(0, fx.consignmentId, toCountryBytes("UG"));
        });
      }

      it("requires a new release after a hold in the destination country", async function () {
        const fx = await loadFixture(registeredFixture);
        await walkTo(fx, MilestoneKind.Delivered);
        await fx.scenario.record(fx.members.ugandaCustoms.signer, fx.consignmentId, MilestoneKind.Held, "UGKLA");
        const s = await fx.scenario.attempt(
          fx.members.carrier.signer,
          fx.consignmentId,
          MilestoneKind.Delivered,
          "UGKLA",
        );
        await expect(s.sent)
          .to.be.revertedWithCustomError(fx.ledger, "ImportReleaseRequired")
          .withArgs(0, fx.consignmentId, toCountryBytes("UG"));
      });

      it("does not count a release by a transit country's customs as the import release", async function () {
        const fx = await loadFixture(registeredFixture);
        await fx.scenario.record(fx.members.kenyaCustoms.signer, fx.consignmentId, MilestoneKind.Released, "KEMAL");
        const [, status] = await fx.ledger.consignment(fx.consignmentId);
        expect(status.importReleased).to.equal(false);
      });

      it("allows delivery outside the destination country without an import release", async function () {
        const fx = await loadFixture(registeredFixture);
        const s = await fx.scenario.record(
          fx.members.carrier.signer,
          fx.consignmentId,
          MilestoneKind.Delivered,
          "KENBO",
        );
        expect(await fx.scenario.head(fx.consignmentId)).to.equal(s.digest);
      });

      it("keeps the status through an Incident", async function () {
        const fx = await loadFixture(registeredFixture);
        await fx.scenario.record(fx.members.carrier.signer, fx.consignmentId, MilestoneKind.Dispatched, "KEMBA");
        await fx.scenario.record(fx.members.agency.signer, fx.consignmentId, MilestoneKind.Incident, "KEMBA");
        const [, status] = await fx.ledger.consignment(fx.consignmentId);
        expect(status.status).to.equal(MilestoneKind.Dispatched);
        expect(status.milestoneCount).to.equal(3);
      });
    });

    it("reverts with EnforcedPause while paused, for all three entry points", async function () {
      const fx = await loadFixture(registeredFixture);
      await fx.ledger.pause();
      const s = await fx.scenario.attempt(
        fx.members.carrier.signer,
        fx.consignmentId,
        MilestoneKind.Dispatched,
        "KEMBA",
      );
      await expect(s.sent).to.be.revertedWithCustomError(fx.ledger, "EnforcedPause");
      const r = await fx.scenario.signedRegistration({ consignor: fx.members.consignor });
      await expect(
        fx.scenario.ledger.registerConsignments([r.registration], [r.signature]),
      ).to.be.revertedWithCustomError(fx.ledger, "EnforcedPause");
      const c = await fx.scenario.signedCorrection(fx.members.carrier.signer, fx.consignmentId, 0, "KEMBA");
      await expect(fx.scenario.ledger.recordCorrection(c.correction, c.signature)).to.be.revertedWithCustomError(
        fx.ledger,
        "EnforcedPause",
      );
    });

    it("accepts any sender as relayer: authority comes from the signature alone", async function () {
      const fx = await loadFixture(registeredFixture);
      const s = await fx.scenario.signedMilestone(
        fx.members.carrier.signer,
        fx.consignmentId,
        MilestoneKind.Dispatched,
        "KEMBA",
      );
      await expect(fx.ledger.connect(fx.outsider).recordMilestones([s.milestone], [s.signature]))
        .to.emit(fx.ledger, "MilestoneRecorded")
        .withArgs(
          fx.consignmentId,
          fx.members.carrier.signer.address,
          MilestoneKind.Dispatched,
          s.milestone.location,
          s.milestone.occurredAt,
          s.milestone.payloadHash,
          s.milestone.prevHash,
        );
    });
  });

  describe("recordCorrection", function () {
    it("records a correction naming an earlier milestone and moves the head to its digest", async function () {
      const fx = await loadFixture(registeredFixture);
      await fx.scenario.record(fx.members.carrier.signer, fx.consignmentId, MilestoneKind.Dispatched, "KEMBA");
      const c = await fx.scenario.signedCorrection(fx.members.carrier.signer, fx.consignmentId, 1, "KEMBA");
      const x = c.correction;
      await expect(fx.scenario.ledger.recordCorrection(x, c.signature))
        .to.emit(fx.ledger, "CorrectionRecorded")
        .withArgs(
          x.consignmentId,
          fx.members.carrier.signer.address,
          1,
          x.location,
          x.occurredAt,
          x.payloadHash,
          x.prevHash,
        );
      const [head, status] = await fx.ledger.consignment(fx.consignmentId);
      expect(head).to.equal(c.digest);
      expect(status.milestoneCount).to.equal(3);
      expect(status.status).to.equal(MilestoneKind.Dispatched);
    });

    it("reverts with UnknownCorrectedMilestone for an index past the history", async function () {
      const fx = await loadFixture(registeredFixture);
      const c = await fx.scenario.signedCorrection(fx.members.carrier.signer, fx.consignmentId, 1, "KEMBA");
      await expect(fx.scenario.ledger.recordCorrection(c.correction, c.signature))
        .to.be.revertedWithCustomError(fx.ledger, "UnknownCorrectedMilestone")
        .withArgs(0, fx.consignmentId, 1, 1);
    });

    it("reverts with KindNotAllowed for an agency", async function () {
      const fx = await loadFixture(registeredFixture);
      const c = await fx.scenario.signedCorrection(fx.members.agency.signer, fx.consignmentId, 0, "KEMBA");
      await expect(fx.scenario.ledger.recordCorrection(c.correction, c.signature))
        .to.be.revertedWithCustomError(fx.ledger, "KindNotAllowed")
        .withArgs(0, MilestoneKind.Correction, OrganizationKind.Agency);
    });

    it("reverts with StaleHead when replayed", async function () {
      const fx = await loadFixture(registeredFixture);
      const c = await fx.scenario.signedCorrection(fx.members.carrier.signer, fx.consignmentId, 0, "KEMBA");
      await fx.scenario.ledger.recordCorrection(c.correction, c.signature);
      await expect(fx.scenario.ledger.recordCorrection(c.correction, c.signature))
        .to.be.revertedWithCustomError(fx.ledger, "StaleHead")
        .withArgs(0, fx.consignmentId, c.digest, c.correction.prevHash);
    });
  });

  it("uses distinct signer keys per organization (fixture sanity)", async function () {
    const fx = await loadFixture(registeredFixture);
    const addresses = new Set(Object.values(fx.members).map((m) => (m.signer as Wallet).address));
    expect(addresses.size).to.equal(Object.keys(fx.members).length);
  });
});
