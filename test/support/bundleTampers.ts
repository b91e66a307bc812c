/**
 * The ways an evidence bundle can be tampered with, each with the code verification must report. The API test
 * and the audit CLI test run every one, so both paths are held to the same verdicts.
 */
import { Wallet } from "ethers";
import type { EvidenceBundle } from "../../server/domain/evidenceBundle";
import { signTypedData, toMilestoneTypedData } from "../../server/domain/eip712";
import { toLocationBytes } from "../../server/domain/locationCodes";
import { MilestoneKind } from "../../server/domain/milestoneKinds";
import type { Governance } from "../../server/chain/governance";

export interface TamperContext {
  governance: Governance;
  /** An organization other than the one that signed milestone 2 (the export clearance). */
  otherOrganizationId: number;
  /** The organization that signed milestone 2. */
  signingOrganizationId: number;
}

/** Re-signs milestone `index` with `wallet`, digest for digest, as someone forging a bundle would. */
async function resign(b: EvidenceBundle, index: number, wallet: Wallet): Promise<void> {
  const m = b.milestones[index];
  const typed = toMilestoneTypedData(
    { chainId: b.chainId, address: b.contract },
    {
      consignmentId: b.consignmentId,
      kind: MilestoneKind[m.kind as keyof typeof MilestoneKind],
      location: toLocationBytes(m.location),
      occurredAt: m.occurredAt,
      payloadHash: m.payloadHash,
      prevHash: m.prevHash!,
    },
  );
  const signature = await signTypedData(wallet, typed);
  m.signer = wallet.address;
  m.signature = { r: signature.r, yParityAndS: signature.yParityAndS };
}

export const BUNDLE_TAMPERS: Array<{
  name: string;
  code: string;
  tamper: (b: EvidenceBundle, ctx: TamperContext) => Promise<void> | void;
}> = [
  {
    name: "a changed document byte",
    code: "DOCUMENT_HASH_MISMATCH",
    tamper: (b) => void ((b.milestones[0].document as { payload: { packages: number } }).payload.packages += 1),
  },
  {
    name: "a changed milestone field",
    code: "SIGNATURE_INVALID",
    tamper: (b) => void (b.milestones[1].location = "KENBO"),
  },
  { name: "a milestone dropped from the middle", code: "BROKEN_LINK", tamper: (b) => void b.milestones.splice(1, 1) },
  {
    name: "two milestones swapped",
    code: "BROKEN_LINK",
    tamper: (b) => void ([b.milestones[1], b.milestones[2]] = [b.milestones[2], b.milestones[1]]),
  },
  { name: "another chain id", code: "WRONG_DOMAIN", tamper: (b) => void (b.chainId = 1) },
  {
    name: "another contract",
    code: "WRONG_DOMAIN",
    tamper: (b) => void (b.contract = "0x000000000000000000000000000000000000dEaD"),
  },
  { name: "a forged head", code: "HEAD_MISMATCH", tamper: (b) => void (b.head = "0x" + "42".repeat(32)) },
  { name: "the last milestone cut off", code: "HEAD_MISMATCH", tamper: (b) => void b.milestones.pop() },
  {
    name: "a signature from another organization",
    code: "SIGNER_ORGANIZATION_MISMATCH",
    tamper: async (b, ctx) => {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      await ctx.governance.addSigner(ctx.otherOrganizationId, wallet.address);
      await resign(b, 2, wallet);
    },
  },
  {
    name: "a signature by another key of the same organization, revoked since",
    code: "SIGNER_NOT_AUTHORIZED",
    tamper: async (b, ctx) => {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      await ctx.governance.addSigner(ctx.signingOrganizationId, wallet.address);
      await ctx.governance.revokeSigner(wallet.address, 0);
      await resign(b, 2, wallet);
    },
  },
];
