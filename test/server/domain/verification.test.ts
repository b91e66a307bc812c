/**
 * verifyHistory against fakes: the chain's facts are plain maps, so each check can be made to fail on its own.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { verifyHistory } from "../../../server/domain/verification";
import type { KeyHistory, VerifiableMilestone, VerificationContext } from "../../../server/domain/verification";
import { consignmentIdOf, referenceHashOf } from "../../../server/domain/consignmentId";
import { payloadHashOf } from "../../../server/domain/payloadHash";
import { MilestoneKind, OrganizationKind } from "../../../server/domain/milestoneKinds";
import { milestoneDigestOf, registrationDigestOf, toSignerSignature } from "../../../server/domain/eip712";
import { toCountryBytes, toLocationBytes } from "../../../server/domain/locationCodes";

const deployment = { chainId: 31337, address: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const aid = new Wallet("0x" + "a1".repeat(32));
const customs = new Wallet("0x" + "c5".repeat(32));
const referenceHash = referenceHashOf("KE2026-UNIT");
const consignmentId = consignmentIdOf(1, referenceHash);

function sign(wallet: Wallet, digest: string) {
  return toSignerSignature(wallet.address, wallet.signingKey.sign(digest).serialized);
}

/** Registration by the aid organization at t=1000, then export clearance by Kenyan customs at t=2000. */
function history(): VerifiableMilestone[] {
  const regDocument = { eventId: "reg", payload: { packages: 5 } };
  const registration = {
    referenceHash,
    consignor: 1,
    consignee: 0,
    originCountry: "KE",
    destinationCountry: "UG",
    flags: 1,
  };
  const regDigest = registrationDigestOf(deployment, {
    ...registration,
    originCountry: toCountryBytes("KE"),
    destinationCountry: toCountryBytes("UG"),
    location: toLocationBytes("KEMBA"),
    occurredAt: 1000,
    payloadHash: payloadHashOf(regDocument),
  });
  const expDocument = { eventId: "exp", payload: { declaration: "KE-1" } };
  const exp = {
    consignmentId,
    kind: MilestoneKind.ExportCleared,
    location: toLocationBytes("KEMAL"),
    occurredAt: 2000,
    payloadHash: payloadHashOf(expDocument),
    prevHash: regDigest,
  };
  return [
    {
      type: "registration",
      consignmentId,
      kind: 0,
      location: "KEMBA",
      occurredAt: 1000,
      payloadHash: payloadHashOf(regDocument),
      registration,
      signer: aid.address,
      signature: sign(aid, regDigest),
      document: regDocument,
      chain: { txHash: "0x01", blockNumber: 1, logIndex: 0, blockTime: 1000 },
    },
    {
      type: "milestone",
      consignmentId,
      kind: exp.kind,
      location: "KEMAL",
      occurredAt: 2000,
      payloadHash: exp.payloadHash,
      prevHash: regDigest,
      signer: customs.address,
      signature: sign(customs, milestoneDigestOf(deployment, exp)),
      document: expDocument,
      chain: { txHash: "0x02", blockNumber: 2, logIndex: 0, blockTime: 2000 },
    },
  ];
}

function context(
  overrides: Partial<VerificationContext> & { keys?: Record<string, KeyHistory> } = {},
): VerificationContext {
  const keys: Record<string, KeyHistory> = overrides.keys ?? {
    [aid.address.toLowerCase()]: { organizationId: 1, addedAt: 0, revokedAt: 0, compromisedAt: 0 },
    [customs.address.toLowerCase()]: { organizationId: 2, addedAt: 0, revokedAt: 0, compromisedAt: 0 },
  };
  const organizations = new Map([
    [1, { kind: OrganizationKind.AidOrganization, country: "KE" }],
    [2, { kind: OrganizationKind.Customs, country: "KE" }],
  ]);
  const h = history();
  const head = milestoneDigestOf(deployment, {
    consignmentId,
    kind: 2,
    location: toLocationBytes("KEMAL"),
    occurredAt: 2000,
    payloadHash: h[1].payloadHash,
    prevHash: h[1].prevHash!,
  });
  return {
    deployment,
    keyOf: (signer) => keys[signer.toLowerCase()],
    organizationOf: (id) => organizations.get(id),
    onChain: () => true,
    chainHead: head,
    ...overrides,
  };
}

const codes = (ctx: VerificationContext, h = history()) => verifyHistory(h, ctx).failures.map((f) => f.code);

describe("verifyHistory", function () {
  it("verifies a sound history, check by check", function () {
    const result = verifyHistory(history(), context());
    expect(result.verdict).to.equal("verified");
    expect(result.milestones.every((m) => m.checks.every((c) => c.ok === true))).to.equal(true);
    expect(result.head.ok).to.equal(true);
  });

  it("leaves the document check open, not failed, when the caller may not see the document", function () {
    const h = history().map((m) => ({ ...m, document: undefined }));
    const result = verifyHistory(h, context());
    expect(result.verdict).to.equal("verified");
    expect(result.milestones[0].checks[0]).to.deep.include({ check: "payloadHash", ok: null });
  });

  it("flags a key declared compromised before the milestone was recorded, and only from then on", function () {
    const keys = (compromisedAt: number) => ({
      [aid.address.toLowerCase()]: { organizationId: 1, addedAt: 0, revokedAt: 0, compromisedAt: 0 },
      [customs.address.toLowerCase()]: { organizationId: 2, addedAt: 0, revokedAt: 3000, compromisedAt },
    });
    expect(codes(context({ keys: keys(1500) }))).to.deep.equal(["SIGNER_COMPROMISED"]);
    expect(codes(context({ keys: keys(2000) }))).to.deep.equal(["SIGNER_COMPROMISED"]);
    expect(codes(context({ keys: keys(2001) }))).to.deep.equal([]);
  });

  it("refuses a key revoked before, or added after, the milestone was recorded", function () {
    const base = { [aid.address.toLowerCase()]: { organizationId: 1, addedAt: 0, revokedAt: 0, compromisedAt: 0 } };
    expect(
      codes(
        context({
          keys: {
            ...base,
            [customs.address.toLowerCase()]: { organizationId: 2, addedAt: 0, revokedAt: 1999, compromisedAt: 0 },
          },
        }),
      ),
    ).to.deep.equal(["SIGNER_NOT_AUTHORIZED"]);
    expect(
      codes(
        context({
          keys: {
            ...base,
            [customs.address.toLowerCase()]: { organizationId: 2, addedAt: 2500, revokedAt: 0, compromisedAt: 0 },
          },
        }),
      ),
    ).to.deep.equal(["SIGNER_NOT_AUTHORIZED"]);
    // Revoked in the same block (second) it was recorded in: the contract accepted it, so the revocation came after.
    const sameBlock = context({
      keys: {
        ...base,
        [customs.address.toLowerCase()]: { organizationId: 2, addedAt: 0, revokedAt: 2000, compromisedAt: 0 },
      },
    });
    expect(codes(sameBlock)).to.deep.equal([]);
  });

  it("refuses a kind the organization may not sign and customs outside its country", function () {
    const asCarrier = {
      ...context(),
      organizationOf: (id: number) =>
        id === 2
          ? { kind: OrganizationKind.Carrier, country: "KE" }
          : { kind: OrganizationKind.AidOrganization, country: "KE" },
    };
    expect(codes(asCarrier)).to.deep.equal(["KIND_NOT_ALLOWED"]);
    const ugandan = {
      ...context(),
      organizationOf: (id: number) =>
        id === 2
          ? { kind: OrganizationKind.Customs, country: "UG" }
          : { kind: OrganizationKind.AidOrganization, country: "KE" },
    };
    expect(codes(ugandan)).to.deep.equal(["OUTSIDE_JURISDICTION"]);
  });

  it("reports NOT_ON_CHAIN for a milestone the logs do not hold, and HEAD_MISMATCH for another head", function () {
    expect(codes(context({ onChain: (m) => m.type === "registration" }))).to.deep.equal(["NOT_ON_CHAIN"]);
    expect(codes(context({ chainHead: "0x" + "99".repeat(32) }))).to.deep.equal(["HEAD_MISMATCH"]);
  });

  it("reports BROKEN_LINK for a history that does not start with its own registration", function () {
    const h = history();
    expect(codes(context(), [h[1]])).to.include("BROKEN_LINK");
    const foreign = history();
    foreign[0] = { ...foreign[0], consignmentId: "0x" + "77".repeat(32) };
    foreign[1] = { ...foreign[1], consignmentId: "0x" + "77".repeat(32) };
    expect(codes(context(), foreign)).to.include("BROKEN_LINK");
  });
});
