import { expect } from "chai";
import {
  MILESTONE_KINDS,
  MilestoneKind,
  OrganizationKind,
  milestoneKindRule,
} from "../../../server/domain/milestoneKinds";

const CBV_BIZ_STEPS = new Set([
  "accepting",
  "arriving",
  "commissioning",
  "departing",
  "dispensing",
  "entering_exiting",
  "holding",
  "inspecting",
  "other",
  "receiving",
  "shipping",
  "void_shipping",
]);
const CBV_DISPOSITIONS = new Set([
  "active",
  "available",
  "conformant",
  "dispensed",
  "in_progress",
  "in_transit",
  "inactive",
  "non_conformant",
  "non_sellable_other",
  "unavailable",
  "unknown",
]);

describe("milestoneKinds", function () {
  it("has one rule per kind, indexed by the kind's number", function () {
    const kinds = Object.values(MilestoneKind).filter((v): v is number => typeof v === "number");
    expect(MILESTONE_KINDS).to.have.length(kinds.length);
    MILESTONE_KINDS.forEach((rule, i) => expect(rule.kind).to.equal(i));
  });

  it("maps every kind to a CBV 2.0 business step and disposition", function () {
    for (const rule of MILESTONE_KINDS) {
      expect(CBV_BIZ_STEPS, rule.name).to.include(rule.bizStep);
      expect(CBV_DISPOSITIONS, rule.name).to.include(rule.disposition);
    }
  });

  it("leaves clearance kinds to customs alone", function () {
    for (const kind of [
      MilestoneKind.ExportCleared,
      MilestoneKind.Held,
      MilestoneKind.Released,
      MilestoneKind.Rejected,
      MilestoneKind.Seized,
    ]) {
      expect(milestoneKindRule(kind).allowedSigners).to.deep.equal([OrganizationKind.Customs]);
    }
  });

  it("marks exactly Distributed, Seized and Cancelled as terminal", function () {
    expect(MILESTONE_KINDS.filter((r) => r.terminal).map((r) => r.name)).to.deep.equal([
      "Seized",
      "Distributed",
      "Cancelled",
    ]);
  });

  it("throws for a kind outside the table", function () {
    expect(() => milestoneKindRule(99 as MilestoneKind)).to.throw(RangeError);
  });
});
