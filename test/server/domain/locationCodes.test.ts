import { expect } from "chai";
import {
  toLocationBytes,
  toCountryBytes,
  fromCodeBytes,
  countryOfLocation,
  InvalidCodeError,
} from "../../../server/domain/locationCodes";

describe("locationCodes", function () {
  it("encodes a UN/LOCODE as ASCII bytes5 and back", function () {
    expect(toLocationBytes("KEMBA")).to.equal("0x4b454d4241");
    expect(fromCodeBytes(toLocationBytes("UGKLA"))).to.equal("UGKLA");
    expect(countryOfLocation("UGKLA")).to.equal("UG");
  });

  it("accepts digits 2-9 in the place part", function () {
    expect(toLocationBytes("DEHA2")).to.equal("0x4445484132");
  });

  for (const bad of ["kemba", "KEMB", "KEMBAA", "KE-MB", "KEMB1", "KEMB0", "", "K3MBA"]) {
    it(`refuses ${JSON.stringify(bad)} with INVALID_UN_LOCODE`, function () {
      expect(() => toLocationBytes(bad))
        .to.throw(InvalidCodeError)
        .with.property("code", "INVALID_UN_LOCODE");
    });
  }

  for (const bad of ["ke", "K", "KEN", "K1", ""]) {
    it(`refuses country ${JSON.stringify(bad)} with INVALID_COUNTRY_CODE`, function () {
      expect(() => toCountryBytes(bad))
        .to.throw(InvalidCodeError)
        .with.property("code", "INVALID_COUNTRY_CODE");
    });
  }
});
