import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { deployLedgerFixture, signerWallet } from "../support/ledgerFixture";
import { OrganizationKind } from "../../server/domain/milestoneKinds";
import { toCountryBytes } from "../../server/domain/locationCodes";

describe("ConsignmentLedger governance", function () {
  describe("registerOrganization", function () {
    it("assigns sequential ids and emits OrganizationRegistered with every field", async function () {
      const { ledger, orgAdmin } = await loadFixture(deployLedgerFixture);
      const before = Number(await ledger.organizationCount());
      await expect(
        ledger.registerOrganization(OrganizationKind.Carrier, toCountryBytes("TZ"), orgAdmin.address, "Dar Haulage"),
      )
        .to.emit(ledger, "OrganizationRegistered")
        .withArgs(before + 1, OrganizationKind.Carrier, toCountryBytes("TZ"), orgAdmin.address, "Dar Haulage");
      const org = await ledger.organization(before + 1);
      expect(org.kind).to.equal(OrganizationKind.Carrier);
      expect(org.country).to.equal(toCountryBytes("TZ"));
      expect(org.active).to.equal(true);
      expect(org.admin).to.equal(orgAdmin.address);
    });

    it("reverts with AccessControlUnauthorizedAccount for a caller without GOVERNOR_ROLE", async function () {
      const { ledger, outsider } = await loadFixture(deployLedgerFixture);
      await expect(
        ledger
          .connect(outsider)
          .registerOrganization(OrganizationKind.Customs, toCountryBytes("KE"), outsider.address, "x"),
      )
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, await ledger.GOVERNOR_ROLE());
    });

    it("reverts with InvalidOrganizationKind for kind None", async function () {
      const { ledger, orgAdmin } = await loadFixture(deployLedgerFixture);
      await expect(ledger.registerOrganization(OrganizationKind.None, toCountryBytes("KE"), orgAdmin.address, "x"))
        .to.be.revertedWithCustomError(ledger, "InvalidOrganizationKind")
        .withArgs(OrganizationKind.None);
    });

    for (const bad of ["0x6b65", "0x4b31", "0x0000"]) {
      it(`reverts with InvalidCountryCode for ${bad}`, async function () {
        const { ledger, orgAdmin } = await loadFixture(deployLedgerFixture);
        await expect(ledger.registerOrganization(OrganizationKind.Customs, bad, orgAdmin.address, "x"))
          .to.be.revertedWithCustomError(ledger, "InvalidCountryCode")
          .withArgs(bad);
      });
    }
  });

  describe("setOrganizationActive", function () {
    it("deactivates and reactivates, emitting past-tense events", async function () {
      const { ledger, members } = await loadFixture(deployLedgerFixture);
      const id = members.carrier.id;
      await expect(ledger.setOrganizationActive(id, false)).to.emit(ledger, "OrganizationDeactivated").withArgs(id);
      expect((await ledger.organization(id)).active).to.equal(false);
      await expect(ledger.setOrganizationActive(id, true)).to.emit(ledger, "OrganizationReactivated").withArgs(id);
      expect((await ledger.organization(id)).active).to.equal(true);
    });

    it("reverts with OrganizationActiveUnchanged when nothing would change", async function () {
      const { ledger, members } = await loadFixture(deployLedgerFixture);
      await expect(ledger.setOrganizationActive(members.carrier.id, true))
        .to.be.revertedWithCustomError(ledger, "OrganizationActiveUnchanged")
        .withArgs(members.carrier.id, true);
    });

    it("reverts with UnknownOrganization for an id never registered", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      await expect(ledger.setOrganizationActive(999, false))
        .to.be.revertedWithCustomError(ledger, "UnknownOrganization")
        .withArgs(999);
    });

    it("is governance only", async function () {
      const { ledger, members, orgAdmin } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(orgAdmin).setOrganizationActive(members.carrier.id, false))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(orgAdmin.address, await ledger.GOVERNOR_ROLE());
    });
  });

  describe("setOrganizationAdmin", function () {
    it("replaces the admin and emits OrganizationAdminChanged", async function () {
      const { ledger, members, orgAdmin, outsider } = await loadFixture(deployLedgerFixture);
      await expect(ledger.setOrganizationAdmin(members.carrier.id, outsider.address))
        .to.emit(ledger, "OrganizationAdminChanged")
        .withArgs(members.carrier.id, orgAdmin.address, outsider.address);
      // The old admin lost its power over the organization's keys.
      await expect(ledger.connect(orgAdmin).addSigner(members.carrier.id, signerWallet("new").address))
        .to.be.revertedWithCustomError(ledger, "UnauthorizedOrganizationAdmin")
        .withArgs(members.carrier.id, orgAdmin.address);
    });
  });

  describe("publishOrganizationEndpoint", function () {
    it("lets governance and the organization's admin publish, and emits OrganizationEndpointPublished", async function () {
      const { ledger, members, orgAdmin } = await loadFixture(deployLedgerFixture);
      await expect(ledger.publishOrganizationEndpoint(members.carrier.id, "https://ledger.example.org"))
        .to.emit(ledger, "OrganizationEndpointPublished")
        .withArgs(members.carrier.id, "https://ledger.example.org");
      await expect(ledger.connect(orgAdmin).publishOrganizationEndpoint(members.carrier.id, ""))
        .to.emit(ledger, "OrganizationEndpointPublished")
        .withArgs(members.carrier.id, "");
    });

    it("refuses anyone else, an unknown organization and an endpoint over 256 bytes", async function () {
      const { ledger, members, outsider } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(outsider).publishOrganizationEndpoint(members.carrier.id, "https://evil.example"))
        .to.be.revertedWithCustomError(ledger, "UnauthorizedOrganizationAdmin")
        .withArgs(members.carrier.id, outsider.address);
      await expect(ledger.publishOrganizationEndpoint(999, "https://x.example"))
        .to.be.revertedWithCustomError(ledger, "UnknownOrganization")
        .withArgs(999);
      await expect(ledger.publishOrganizationEndpoint(members.carrier.id, "https://" + "a".repeat(249)))
        .to.be.revertedWithCustomError(ledger, "EndpointTooLong")
        .withArgs(257, 256);
      await expect(ledger.publishOrganizationEndpoint(members.carrier.id, "https://" + "a".repeat(248))).to.emit(
        ledger,
        "OrganizationEndpointPublished",
      );
    });
  });

  describe("addSigner", function () {
    it("lets the organization's own admin add a key and emits SignerAdded", async function () {
      const { ledger, members, orgAdmin } = await loadFixture(deployLedgerFixture);
      const key = signerWallet("carrier second key");
      await expect(ledger.connect(orgAdmin).addSigner(members.carrier.id, key.address))
        .to.emit(ledger, "SignerAdded")
        .withArgs(members.carrier.id, key.address);
      const stored = await ledger.signerKey(key.address);
      expect(stored.organizationId).to.equal(members.carrier.id);
      expect(stored.addedAt).to.equal(await time.latest());
      expect(stored.revokedAt).to.equal(0);
    });

    it("reverts with UnauthorizedOrganizationAdmin for anyone else", async function () {
      const { ledger, members, outsider } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(outsider).addSigner(members.carrier.id, signerWallet("x").address))
        .to.be.revertedWithCustomError(ledger, "UnauthorizedOrganizationAdmin")
        .withArgs(members.carrier.id, outsider.address);
    });

    it("leaves key management to governance alone when the organization has no admin", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      await ledger.registerOrganization(OrganizationKind.Agency, toCountryBytes("KE"), ethers.ZeroAddress, "No admin");
      const id = Number(await ledger.organizationCount());
      const [, , , outsider] = await ethers.getSigners();
      await expect(ledger.connect(outsider).addSigner(id, signerWallet("y").address))
        .to.be.revertedWithCustomError(ledger, "UnauthorizedOrganizationAdmin")
        .withArgs(id, outsider.address);
      await expect(ledger.addSigner(id, signerWallet("y").address)).to.emit(ledger, "SignerAdded");
    });

    it("reverts with SignerAlreadyRegistered when a key would move to another organization", async function () {
      const { ledger, members } = await loadFixture(deployLedgerFixture);
      await expect(ledger.addSigner(members.consignee.id, members.carrier.signer.address))
        .to.be.revertedWithCustomError(ledger, "SignerAlreadyRegistered")
        .withArgs(members.carrier.signer.address, members.carrier.id);
    });

    it("reverts with SignerAlreadyRegistered when a revoked key would come back", async function () {
      const { ledger, members } = await loadFixture(deployLedgerFixture);
      await ledger.revokeSigner(members.carrier.signer.address, 0);
      await expect(ledger.addSigner(members.carrier.id, members.carrier.signer.address))
        .to.be.revertedWithCustomError(ledger, "SignerAlreadyRegistered")
        .withArgs(members.carrier.signer.address, members.carrier.id);
    });

    it("reverts with InvalidSignerAddress for the zero address", async function () {
      const { ledger, members } = await loadFixture(deployLedgerFixture);
      await expect(ledger.addSigner(members.carrier.id, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        ledger,
        "InvalidSignerAddress",
      );
    });

    it("reverts with UnknownOrganization for an unregistered organization", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      await expect(ledger.addSigner(77, signerWallet("z").address))
        .to.be.revertedWithCustomError(ledger, "UnknownOrganization")
        .withArgs(77);
    });
  });

  describe("revokeSigner", function () {
    it("records the revocation time and the declared compromise time", async function () {
      const { ledger, members, orgAdmin } = await loadFixture(deployLedgerFixture);
      // The block's time is pinned: a fixture restored from an earlier snapshot lags the wall clock.
      const revokedAt = (await time.latest()) + 10;
      const compromisedAt = revokedAt - 3600;
      await time.setNextBlockTimestamp(revokedAt);
      const tx = ledger.connect(orgAdmin).revokeSigner(members.carrier.signer.address, compromisedAt);
      await expect(tx)
        .to.emit(ledger, "SignerRevoked")
        .withArgs(members.carrier.id, members.carrier.signer.address, revokedAt, compromisedAt);
      const key = await ledger.signerKey(members.carrier.signer.address);
      expect(key.revokedAt).to.equal(revokedAt);
      expect(key.compromisedAt).to.equal(compromisedAt);
    });

    it("reverts with InvalidCompromiseTime for a compromise declared in the future", async function () {
      const { ledger, members } = await loadFixture(deployLedgerFixture);
      const now = (await time.latest()) + 10;
      const future = now + 1000;
      await time.setNextBlockTimestamp(now);
      await expect(ledger.revokeSigner(members.carrier.signer.address, future))
        .to.be.revertedWithCustomError(ledger, "InvalidCompromiseTime")
        .withArgs(future, now);
    });

    it("reverts with SignerAlreadyRevoked the second time", async function () {
      const { ledger, members } = await loadFixture(deployLedgerFixture);
      await ledger.revokeSigner(members.carrier.signer.address, 0);
      const revokedAt = await time.latest();
      await expect(ledger.revokeSigner(members.carrier.signer.address, 0))
        .to.be.revertedWithCustomError(ledger, "SignerAlreadyRevoked")
        .withArgs(members.carrier.signer.address, revokedAt);
    });

    it("reverts with SignerNotRegistered for an unknown key", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      const key = signerWallet("never added").address;
      await expect(ledger.revokeSigner(key, 0))
        .to.be.revertedWithCustomError(ledger, "SignerNotRegistered")
        .withArgs(key);
    });

    it("does not let one organization's admin revoke another organization's key", async function () {
      const { ledger, members, outsider } = await loadFixture(deployLedgerFixture);
      await ledger.setOrganizationAdmin(members.consignee.id, outsider.address);
      await expect(ledger.connect(outsider).revokeSigner(members.carrier.signer.address, 0))
        .to.be.revertedWithCustomError(ledger, "UnauthorizedOrganizationAdmin")
        .withArgs(members.carrier.id, outsider.address);
    });
  });

  describe("pause", function () {
    it("pauses and unpauses for PAUSER_ROLE only", async function () {
      const { ledger, outsider } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(outsider).pause())
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, await ledger.PAUSER_ROLE());
      await expect(ledger.pause()).to.emit(ledger, "Paused");
      expect(await ledger.paused()).to.equal(true);
      await expect(ledger.unpause()).to.emit(ledger, "Unpaused");
      expect(await ledger.paused()).to.equal(false);
    });
  });

  describe("default admin", function () {
    it("uses OpenZeppelin's delayed default admin transfer", async function () {
      const { ledger, governor } = await loadFixture(deployLedgerFixture);
      expect(await ledger.defaultAdmin()).to.equal(governor.address);
      expect(await ledger.hasRole(await ledger.GOVERNOR_ROLE(), governor.address)).to.equal(true);
      expect(await ledger.hasRole(await ledger.PAUSER_ROLE(), governor.address)).to.equal(true);
    });
  });
});
