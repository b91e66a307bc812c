/**
 * Agency warnings (signed by an Agency's key, relayed by anyone) and emergency declarations (governance): what each
 * emits, every refusal with its custom error, and the warning digest held equal to ethers' EIP-712 encoder.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { id as keccakOfText } from "ethers";
import { deployLedgerFixture, signerWallet } from "../support/ledgerFixture";
import { OrganizationKind } from "../../server/domain/milestoneKinds";
import { toCountryBytes, toLocationBytes } from "../../server/domain/locationCodes";

describe("ConsignmentLedger warnings and emergencies", function () {
  describe("publishWarning", function () {
    it("anchors an agency's signed warning, emitting WarningPublished with its area, window and hash", async function () {
      const { ledger, relayer, members, scenario } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedWarning(members.agency.signer, {
        countries: [toCountryBytes("MZ")],
        locations: [toLocationBytes("KEMBA"), toLocationBytes("TZDAR")],
      });
      expect(await ledger.warningDigest(signed.warning)).to.equal(signed.digest);
      const w = signed.warning;
      await expect(ledger.connect(relayer).publishWarning(w, signed.signature))
        .to.emit(ledger, "WarningPublished")
        .withArgs(
          w.warningId,
          members.agency.id,
          members.agency.signer.address,
          w.kind,
          w.severity,
          w.countries,
          w.locations,
          w.validFrom,
          w.validUntil,
          w.payloadHash,
        );
      expect(await ledger.isWarningPublished(w.warningId)).to.equal(true);
    });

    it("refuses a warning published twice, a non-agency key, and a relayer's change to any signed field", async function () {
      const { ledger, members, scenario } = await loadFixture(deployLedgerFixture);
      const signed = await scenario.signedWarning(members.agency.signer);
      await (await ledger.publishWarning(signed.warning, signed.signature)).wait();
      await expect(ledger.publishWarning(signed.warning, signed.signature))
        .to.be.revertedWithCustomError(ledger, "WarningAlreadyPublished")
        .withArgs(signed.warning.warningId);

      const byCustoms = await scenario.signedWarning(members.kenyaCustoms.signer);
      await expect(ledger.publishWarning(byCustoms.warning, byCustoms.signature))
        .to.be.revertedWithCustomError(ledger, "NotAnAgency")
        .withArgs(byCustoms.warning.warningId, members.kenyaCustoms.id, OrganizationKind.Customs);

      const fresh = await scenario.signedWarning(members.agency.signer);
      const widened = { ...fresh.warning, countries: [toCountryBytes("UG")] };
      await expect(ledger.publishWarning(widened, fresh.signature)).to.be.revertedWithCustomError(
        ledger,
        "SignatureMismatch",
      );
      const longer = { ...fresh.warning, validUntil: BigInt(fresh.warning.validUntil) + 1n };
      await expect(ledger.publishWarning(longer, fresh.signature)).to.be.revertedWithCustomError(
        ledger,
        "SignatureMismatch",
      );
    });

    it("refuses an unknown class, an empty area, a malformed country and an empty window", async function () {
      const { ledger, members, scenario } = await loadFixture(deployLedgerFixture);
      const badKind = await scenario.signedWarning(members.agency.signer, { kind: 5 });
      await expect(ledger.publishWarning(badKind.warning, badKind.signature))
        .to.be.revertedWithCustomError(ledger, "InvalidWarningClass")
        .withArgs(badKind.warning.warningId, 5, 2);
      const badSeverity = await scenario.signedWarning(members.agency.signer, { severity: 4 });
      await expect(ledger.publishWarning(badSeverity.warning, badSeverity.signature)).to.be.revertedWithCustomError(
        ledger,
        "InvalidWarningClass",
      );
      const nowhere = await scenario.signedWarning(members.agency.signer, { locations: [] });
      await expect(ledger.publishWarning(nowhere.warning, nowhere.signature)).to.be.revertedWithCustomError(
        ledger,
        "EmptyArea",
      );
      const lower = await scenario.signedWarning(members.agency.signer, { countries: ["0x6b65"] });
      await expect(ledger.publishWarning(lower.warning, lower.signature))
        .to.be.revertedWithCustomError(ledger, "InvalidCountryCode")
        .withArgs("0x6b65");
      const backwards = await scenario.signedWarning(members.agency.signer, { validUntil: 1_789_999_999 });
      await expect(ledger.publishWarning(backwards.warning, backwards.signature))
        .to.be.revertedWithCustomError(ledger, "InvalidWindow")
        .withArgs(1_790_000_000, 1_789_999_999);
    });

    it("refuses a revoked agency key, and everything while paused", async function () {
      const { ledger, members, scenario } = await loadFixture(deployLedgerFixture);
      const spare = signerWallet("spare agency key");
      await (await ledger.addSigner(members.agency.id, spare.address)).wait();
      await (await ledger.revokeSigner(spare.address, 0)).wait();
      const revoked = await scenario.signedWarning(spare);
      await expect(ledger.publishWarning(revoked.warning, revoked.signature)).to.be.revertedWithCustomError(
        ledger,
        "SignerKeyRevoked",
      );
      await (await ledger.pause()).wait();
      const signed = await scenario.signedWarning(members.agency.signer);
      await expect(ledger.publishWarning(signed.warning, signed.signature)).to.be.revertedWithCustomError(
        ledger,
        "EnforcedPause",
      );
    });
  });

  describe("declareEmergency and endEmergency", function () {
    const emergencyId = keccakOfText("EMERGENCY-KE-2026-CYCLONE");
    const documentHash = keccakOfText("declaration document");

    it("declares an emergency with its area and window, and ends it with the time it ended", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      const start = (await time.latest()) + 10;
      const area = { countries: [toCountryBytes("KE")], locations: [toLocationBytes("UGTOR")] };
      await expect(ledger.declareEmergency(emergencyId, area.countries, area.locations, start, 0, documentHash))
        .to.emit(ledger, "EmergencyDeclared")
        .withArgs(emergencyId, area.countries, area.locations, start, 0, documentHash);
      expect((await ledger.emergency(emergencyId)).startsAt).to.equal(start);
      await time.setNextBlockTimestamp(start + 3600);
      await expect(ledger.endEmergency(emergencyId))
        .to.emit(ledger, "EmergencyEnded")
        .withArgs(emergencyId, start + 3600);
      expect((await ledger.emergency(emergencyId)).endedAt).to.equal(start + 3600);
      await expect(ledger.endEmergency(emergencyId))
        .to.be.revertedWithCustomError(ledger, "EmergencyAlreadyEnded")
        .withArgs(emergencyId, start + 3600);
    });

    it("refuses a second declaration, an unknown emergency, an empty area and a window that ends first", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      const ke = [toCountryBytes("KE")];
      await (await ledger.declareEmergency(emergencyId, ke, [], 1_790_000_000, 0, documentHash)).wait();
      await expect(ledger.declareEmergency(emergencyId, ke, [], 1_790_000_000, 0, documentHash))
        .to.be.revertedWithCustomError(ledger, "EmergencyAlreadyDeclared")
        .withArgs(emergencyId);
      const other = keccakOfText("other");
      await expect(ledger.endEmergency(other))
        .to.be.revertedWithCustomError(ledger, "UnknownEmergency")
        .withArgs(other);
      await expect(
        ledger.declareEmergency(other, [], [], 1_790_000_000, 0, documentHash),
      ).to.be.revertedWithCustomError(ledger, "EmptyArea");
      await expect(ledger.declareEmergency(other, ke, [], 1_790_000_000, 1_790_000_000, documentHash))
        .to.be.revertedWithCustomError(ledger, "InvalidWindow")
        .withArgs(1_790_000_000, 1_790_000_000);
      await expect(ledger.declareEmergency(other, ke, [], 0, 0, documentHash))
        .to.be.revertedWithCustomError(ledger, "InvalidWindow")
        .withArgs(0, 0);
    });
  });
});
