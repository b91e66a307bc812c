import { expect } from "chai";
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";
import { consignmentIdOf, consignmentIdOfReference, referenceHashOf } from "../../../server/domain/consignmentId";

describe("consignmentId", function () {
  it("follows the published derivation keccak256(abi.encode(uint32 consignor, keccak256(reference)))", function () {
    const referenceHash = keccak256(toUtf8Bytes("KE2026REL000001"));
    const expected = keccak256(AbiCoder.defaultAbiCoder().encode(["uint32", "bytes32"], [3, referenceHash]));
    expect(consignmentIdOf(3, referenceHash)).to.equal(expected);
    expect(consignmentIdOfReference(3, "KE2026REL000001")).to.equal(expected);
  });

  it("names the same consignment whatever the case and surrounding spaces of the reference", function () {
    expect(referenceHashOf(" ke2026rel000001 ")).to.equal(referenceHashOf("KE2026REL000001"));
  });

  it("gives different consignors different ids for the same reference", function () {
    expect(consignmentIdOfReference(1, "X")).to.not.equal(consignmentIdOfReference(2, "X"));
  });

  it("refuses an empty reference", function () {
    expect(() => referenceHashOf("   ")).to.throw(RangeError);
  });
});
