import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJsonOf, payloadHashOf, NotCanonicalizableError } from "../../../server/domain/payloadHash";
import type { JsonValue } from "../../../server/domain/payloadHash";

describe("payloadHash", function () {
  it("hashes the RFC 8785 canonical form, so key order and whitespace do not matter", function () {
    const a = JSON.parse('{"seals":["S1","S2"], "declaration":"KE-2026-1", "packages": 40}') as JsonValue;
    const b = JSON.parse('{"packages":40,"declaration":"KE-2026-1","seals":["S1","S2"]}') as JsonValue;
    expect(canonicalJsonOf(a)).to.equal('{"declaration":"KE-2026-1","packages":40,"seals":["S1","S2"]}');
    expect(payloadHashOf(a)).to.equal(payloadHashOf(b));
    expect(payloadHashOf(a)).to.equal(keccak256(toUtf8Bytes(canonicalJsonOf(a))));
  });

  it("formats numbers as RFC 8785 requires (ECMAScript shortest form)", function () {
    expect(canonicalJsonOf([1e21, 1.5e-7, 100.0, -0, 0.1] as JsonValue)).to.equal("[1e+21,1.5e-7,100,0,0.1]");
  });

  it("sorts keys by UTF-16 code units, as RFC 8785 requires", function () {
    expect(canonicalJsonOf({ "\u20ac": 1, "\r": 2, "1": 3, a: 4 })).to.equal('{"\\r":2,"1":3,"a":4,"€":1}');
  });

  it("changes when any value changes", function () {
    expect(payloadHashOf({ quantity: 40 })).to.not.equal(payloadHashOf({ quantity: 41 }));
  });

  for (const [name, value] of [
    ["NaN", { t: NaN }],
    ["Infinity", { t: Infinity }],
    ["function member", { t: () => 1 }],
  ] as const) {
    it(`refuses a document with ${name} with DOCUMENT_NOT_CANONICALIZABLE`, function () {
      expect(() => payloadHashOf(value as unknown as JsonValue))
        .to.throw(NotCanonicalizableError)
        .with.property("code", "DOCUMENT_NOT_CANONICALIZABLE");
    });
  }
});
