/**
 * Every external function that changes state, from the ABI: who may call it, who may not (with the exact error),
 * and what it does while the ledger is paused. A function added to the contract without a row here fails the
 * completeness check.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { id as keccakOfText } from "ethers";
import type { Signer } from "ethers";
import { deployLedgerFixture, signerWallet } from "../support/ledgerFixture";
import { MilestoneKind, OrganizationKind } from "../../server/domain/milestoneKinds";
import { toCountryBytes } from "../../server/domain/locationCodes";
import type { ConsignmentLedger } from "../../typechain-types";

type Fixture = Awaited<ReturnType<typeof deployLedgerFixture>>;
type Caller = "governor" | "orgAdmin" | "outsider";

interface Row {
  /** Sends the call as `caller`, with arguments valid for it. */
  call(fx: Fixture, as: Signer): Promise<unknown>;
  allowed: Caller[];
  /** The custom error each refused caller gets. */
  refused: Partial<Record<Caller, string>>;
  /** Paused: "works", or the error it reverts with. */
  whilePaused: "works" | "EnforcedPause";
}

const GOVERNOR_ONLY = { orgAdmin: "AccessControlUnauthorizedAccount", outsider: "AccessControlUnauthorizedAccount" };

async function signedMilestoneOn(fx: Fixture) {
  const { consignmentId } = await fx.scenario.register({ consignor: fx.members.consignor });
  return fx.scenario.signedMilestone(fx.members.carrier.signer, consignmentId, MilestoneKind.Dispatched, "KEMBA");
}

const ROWS: Record<string, Row> = {
  registerOrganization: {
    call: (fx, as) =>
      fx.ledger.connect(as).registerOrganization(OrganizationKind.Carrier, toCountryBytes("TZ"), fx.orgAdmin, "T"),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  setOrganizationActive: {
    call: (fx, as) => fx.ledger.connect(as).setOrganizationActive(fx.members.carrier.id, false),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  setOrganizationAdmin: {
    call: (fx, as) => fx.ledger.connect(as).setOrganizationAdmin(fx.members.carrier.id, fx.outsider),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  addSigner: {
    call: (fx, as) => fx.ledger.connect(as).addSigner(fx.members.carrier.id, signerWallet(`new key ${Math.random()}`)),
    allowed: ["governor", "orgAdmin"],
    refused: { outsider: "UnauthorizedOrganizationAdmin" },
    whilePaused: "works",
  },
  revokeSigner: {
    call: (fx, as) => fx.ledger.connect(as).revokeSigner(fx.members.carrier.signer.address, 0),
    allowed: ["governor", "orgAdmin"],
    refused: { outsider: "UnauthorizedOrganizationAdmin" },
    whilePaused: "works",
  },
  publishOrganizationEndpoint: {
    call: (fx, as) =>
      fx.ledger.connect(as).publishOrganizationEndpoint(fx.members.carrier.id, "https://ledger.example.org"),
    allowed: ["governor", "orgAdmin"],
    refused: { outsider: "UnauthorizedOrganizationAdmin" },
    whilePaused: "works",
  },
  pause: {
    call: (fx, as) => fx.ledger.connect(as).pause(),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works", // checked separately: pausing twice is EnforcedPause, by design of Pausable
  },
  unpause: {
    call: async (fx, as) => {
      if (!(await fx.ledger.paused())) await (await fx.ledger.pause()).wait();
      return fx.ledger.connect(as).unpause();
    },
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  // Recording: anyone may relay; authority is the signature of an active key of the right organization.
  registerConsignments: {
    call: async (fx, as) => {
      const signed = await fx.scenario.signedRegistration({ consignor: fx.members.consignor });
      return fx.ledger.connect(as).registerConsignments([signed.registration], [signed.signature]);
    },
    allowed: ["governor", "orgAdmin", "outsider"],
    refused: {},
    whilePaused: "EnforcedPause",
  },
  recordMilestones: {
    call: async (fx, as) => {
      const signed = await signedMilestoneOn(fx);
      return fx.ledger.connect(as).recordMilestones([signed.milestone], [signed.signature]);
    },
    allowed: ["governor", "orgAdmin", "outsider"],
    refused: {},
    whilePaused: "EnforcedPause",
  },
  recordCorrection: {
    call: async (fx, as) => {
      const { consignmentId } = await fx.scenario.register({ consignor: fx.members.consignor });
      const signed = await fx.scenario.signedCorrection(fx.members.consignor.signer, consignmentId, 0, "KEMBA");
      return fx.ledger.connect(as).recordCorrection(signed.correction, signed.signature);
    },
    allowed: ["governor", "orgAdmin", "outsider"],
    refused: {},
    whilePaused: "EnforcedPause",
  },
  publishWarning: {
    call: async (fx, as) => {
      const signed = await fx.scenario.signedWarning(fx.members.agency.signer);
      return fx.ledger.connect(as).publishWarning(signed.warning, signed.signature);
    },
    allowed: ["governor", "orgAdmin", "outsider"],
    refused: {},
    whilePaused: "EnforcedPause",
  },
  // Emergencies: governance alone; declaring and ending one goes on while recording is paused.
  declareEmergency: {
    call: (fx, as) =>
      fx.ledger
        .connect(as)
        .declareEmergency(
          keccakOfText(`emergency ${Math.random()}`),
          [toCountryBytes("KE")],
          [],
          1_790_000_000,
          0,
          keccakOfText("d"),
        ),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  endEmergency: {
    call: async (fx, as) => {
      const id = keccakOfText(`emergency ${Math.random()}`);
      await (
        await fx.ledger.declareEmergency(id, [toCountryBytes("KE")], [], 1_790_000_000, 0, keccakOfText("d"))
      ).wait();
      return fx.ledger.connect(as).endEmergency(id);
    },
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  // OpenZeppelin AccessControlDefaultAdminRules: roles and the default admin belong to the default admin alone.
  grantRole: {
    call: async (fx, as) => fx.ledger.connect(as).grantRole(await fx.ledger.PAUSER_ROLE(), fx.outsider),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  revokeRole: {
    call: async (fx, as) => fx.ledger.connect(as).revokeRole(await fx.ledger.PAUSER_ROLE(), fx.governor),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  renounceRole: {
    // Only for oneself: renouncing another account's role is refused.
    call: async (fx, as) => fx.ledger.connect(as).renounceRole(await fx.ledger.PAUSER_ROLE(), fx.governor),
    allowed: ["governor"],
    refused: { orgAdmin: "AccessControlBadConfirmation", outsider: "AccessControlBadConfirmation" },
    whilePaused: "works",
  },
  beginDefaultAdminTransfer: {
    call: (fx, as) => fx.ledger.connect(as).beginDefaultAdminTransfer(fx.outsider),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  cancelDefaultAdminTransfer: {
    call: (fx, as) => fx.ledger.connect(as).cancelDefaultAdminTransfer(),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  acceptDefaultAdminTransfer: {
    // Only the pending admin, once the delay (0 here) has passed.
    call: async (fx, as) => {
      await (await fx.ledger.beginDefaultAdminTransfer(fx.orgAdmin)).wait();
      return fx.ledger.connect(as).acceptDefaultAdminTransfer();
    },
    allowed: ["orgAdmin"],
    refused: { governor: "AccessControlInvalidDefaultAdmin", outsider: "AccessControlInvalidDefaultAdmin" },
    whilePaused: "works",
  },
  changeDefaultAdminDelay: {
    call: (fx, as) => fx.ledger.connect(as).changeDefaultAdminDelay(3600),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
  rollbackDefaultAdminDelay: {
    call: (fx, as) => fx.ledger.connect(as).rollbackDefaultAdminDelay(),
    allowed: ["governor"],
    refused: GOVERNOR_ONLY,
    whilePaused: "works",
  },
};

function callerOf(fx: Fixture, caller: Caller): Signer {
  return caller === "governor" ? fx.governor : caller === "orgAdmin" ? fx.orgAdmin : fx.outsider;
}

describe("ConsignmentLedger access control: every state-changing function", function () {
  it("has a row for every state-changing function in the ABI, and no other", async function () {
    const { ledger } = await loadFixture(deployLedgerFixture);
    const stateChanging = ledger.interface.fragments
      .filter((f) => f.type === "function")
      .map((f) => f as unknown as { name: string; stateMutability: string })
      .filter((f) => f.stateMutability !== "view" && f.stateMutability !== "pure")
      .map((f) => f.name)
      .sort();
    expect(Object.keys(ROWS).sort()).to.deep.equal(stateChanging);
  });

  for (const [name, row] of Object.entries(ROWS)) {
    describe(name, function () {
      for (const caller of ["governor", "orgAdmin", "outsider"] as Caller[]) {
        const allowed = row.allowed.includes(caller);
        it(`${allowed ? "lets" : "refuses"} the ${caller}${allowed ? "" : ` with ${row.refused[caller]}`}`, async function () {
          const fx = await loadFixture(deployLedgerFixture);
          const sent = row.call(fx, callerOf(fx, caller));
          if (allowed) await expect(sent).to.not.be.reverted;
          else await expect(sent).to.be.revertedWithCustomError(fx.ledger as ConsignmentLedger, row.refused[caller]!);
        });
      }

      if (name !== "pause" && name !== "unpause") {
        it(`while paused: ${row.whilePaused === "works" ? "still works" : "reverts with EnforcedPause"}`, async function () {
          const fx = await loadFixture(deployLedgerFixture);
          await (await fx.ledger.pause()).wait();
          const sent = row.call(fx, callerOf(fx, row.allowed[0]));
          if (row.whilePaused === "works") await expect(sent).to.not.be.reverted;
          else await expect(sent).to.be.revertedWithCustomError(fx.ledger, "EnforcedPause");
        });
      }
    });
  }

  it("pausing twice, or unpausing when not paused, is refused", async function () {
    const { ledger } = await loadFixture(deployLedgerFixture);
    await expect(ledger.unpause()).to.be.revertedWithCustomError(ledger, "ExpectedPause");
    await (await ledger.pause()).wait();
    await expect(ledger.pause()).to.be.revertedWithCustomError(ledger, "EnforcedPause");
  });
});
