import { expect } from "chai";
import fc from "fast-check";
import { Wallet, hexlify, recoverAddress } from "ethers";
import {
  correctionDigestOf,
  milestoneDigestOf,
  recoverSignerOrNull,
  registrationDigestOf,
  signDigest,
  toCorrectionTypedData,
  toMilestoneTypedData,
  toRegistrationTypedData,
  toSignerSignature,
  typedDataDigest,
} from "../../../server/domain/eip712";

const deployment = { chainId: 31337, address: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => hexlify(b));
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });

describe("eip712 digests", function () {
  it("computes milestone, registration and correction digests exactly as ethers' TypedDataEncoder does", function () {
    fc.assert(
      fc.property(
        bytes(32),
        uint(8),
        bytes(5),
        uint(64),
        bytes(32),
        bytes(32),
        uint(32),
        bytes(2),
        (a, k, loc, t, p, prev, n, c) => {
          const m = { consignmentId: a, kind: Number(k), location: loc, occurredAt: t, payloadHash: p, prevHash: prev };
          expect(milestoneDigestOf(deployment, m)).to.equal(typedDataDigest(toMilestoneTypedData(deployment, m)));
          const r = {
            referenceHash: a,
            consignor: Number(n),
            consignee: Number(n) >>> 1,
            originCountry: c,
            destinationCountry: c,
            flags: Number(k),
            location: loc,
            occurredAt: t,
            payloadHash: p,
          };
          expect(registrationDigestOf(deployment, r)).to.equal(typedDataDigest(toRegistrationTypedData(deployment, r)));
          const x = {
            consignmentId: a,
            correctedIndex: Number(n),
            location: loc,
            occurredAt: t,
            payloadHash: p,
            prevHash: prev,
          };
          expect(correctionDigestOf(deployment, x)).to.equal(typedDataDigest(toCorrectionTypedData(deployment, x)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("recovers signers as ethers does, and refuses what the contract calls malformed", async function () {
    const wallet = new Wallet("0x" + "42".repeat(32));
    for (let i = 0; i < 20; i++) {
      const digest = hexlify(Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7) % 256));
      const signature = toSignerSignature(wallet.address, wallet.signingKey.sign(digest).serialized);
      expect(recoverSignerOrNull(digest, signature)).to.equal(
        recoverAddress(digest, { r: signature.r, yParityAndS: signature.yParityAndS }),
      );
      expect(recoverSignerOrNull(digest, signature)).to.equal(wallet.address);
      expect(recoverSignerOrNull(digest, { ...signature, r: "0x" + "00".repeat(32) })).to.equal(null);
      expect(recoverSignerOrNull(digest, { ...signature, yParityAndS: "0x7f" + "ff".repeat(31) })).to.equal(null);
    }
  });

  it("signs a digest exactly as ethers' signer does, byte for byte", function () {
    fc.assert(
      fc.property(bytes(32), bytes(32), (key, digest) => {
        fc.pre(BigInt(key) > 0n && BigInt(key) < 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n);
        const wallet = new Wallet(key);
        const expected = toSignerSignature(wallet.address, wallet.signingKey.sign(digest).serialized);
        expect(signDigest(wallet.privateKey, wallet.address, digest)).to.deep.equal(expected);
      }),
      { numRuns: 200 },
    );
  });
});
