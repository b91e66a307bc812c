import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES, codeOfContractError } from "../../server/errors";
import type { ContractErrorName } from "../../server/domain/ledgerRules";

const RULE_ERRORS: ContractErrorName[] = [
  "EnforcedPause",
  "MalformedSignature",
  "SignatureMismatch",
  "UnknownSigner",
  "SignerKeyRevoked",
  "SignerOrganizationInactive",
  "InvalidMilestoneKind",
  "KindNotAllowed",
  "OutsideJurisdiction",
  "UnknownConsignment",
  "NotConsignmentParty",
  "StaleHead",
  "ConsignmentClosed",
  "ImportReleaseRequired",
  "UnknownCorrectedMilestone",
  "ConsignmentAlreadyRegistered",
  "ConsignorMismatch",
  "InvalidConsignmentFlags",
  "UnknownConsignee",
  "InvalidCountryCode",
];

describe("errors", function () {
  it("gives every contract rule a code of its own, named after the contract's custom error", function () {
    for (const name of RULE_ERRORS) {
      const code = codeOfContractError(name);
      expect(code, name).to.not.equal("INTERNAL");
      expect(code).to.equal(name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase());
    }
  });

  it("maps an unknown contract error to INTERNAL rather than inventing a code", function () {
    expect(codeOfContractError("SomethingNew")).to.equal("INTERNAL");
  });

  it("is documented: the README's error table lists every code with its status", function () {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(readme, code).to.match(new RegExp("\\| " + status + "\\s*\\| `" + code + "`"));
    }
  });
});
