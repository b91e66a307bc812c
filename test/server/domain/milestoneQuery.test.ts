import { expect } from "chai";
import { LedgerError } from "../../../server/errors";
import {
  decodeCursor,
  encodeCursor,
  filterFingerprint,
  matchesFilter,
  milestoneFilterSchema,
  milestoneQuerySchema,
  parseQuery,
  planQuery,
} from "../../../server/domain/milestoneQuery";
import { advanceConsignment, maySeeDocuments, positionOf } from "../../../server/domain/consignmentIndex";
import type { IndexedMilestone } from "../../../server/domain/consignmentIndex";
import { MilestoneKind, OrganizationKind } from "../../../server/domain/milestoneKinds";
import type { VerifiableMilestone } from "../../../server/domain/verification";

const CONSIGNMENT = "0x" + "ab".repeat(32);
const signature = { signer: "0x" + "11".repeat(20), r: "0x" + "00".repeat(32), yParityAndS: "0x" + "00".repeat(32) };

function milestone(overrides: Partial<VerifiableMilestone> = {}): VerifiableMilestone {
  return {
    type: "milestone",
    consignmentId: CONSIGNMENT,
    kind: MilestoneKind.Held,
    location: "UGMAL",
    occurredAt: Date.parse("2026-11-20T10:00:00Z") / 1000,
    payloadHash: "0x" + "cd".repeat(32),
    prevHash: "0x" + "ef".repeat(32),
    signer: signature.signer,
    signature,
    chain: {
      txHash: "0x" + "01".repeat(32),
      blockNumber: 10,
      logIndex: 2,
      blockTime: Date.parse("2026-11-20T10:05:00Z") / 1000,
    },
    ...overrides,
  };
}

function indexed(m: VerifiableMilestone, organizationId = 4, flags = 3): IndexedMilestone {
  return {
    position: positionOf(m.chain!.blockNumber, m.chain!.logIndex),
    milestone: m,
    organizationId,
    country: m.location.slice(0, 2),
    flags,
  };
}

function queryError(query: Record<string, unknown>): LedgerError {
  try {
    parseQuery(milestoneQuerySchema, query);
  } catch (error) {
    return error as LedgerError;
  }
  throw new Error("the query was accepted");
}

describe("milestone queries", function () {
  describe("filters", function () {
    it("parses comma-separated lists, times and flags", function () {
      const q = parseQuery(milestoneQuerySchema, {
        kind: "Held,Released",
        country: "UG,KE",
        organization: "4",
        flags: "relief,medical",
        occurredFrom: "2026-11-20T00:00:00Z",
        limit: "10",
      });
      expect(q.kind).to.deep.equal(["Held", "Released"]);
      expect(q.organization).to.deep.equal([4]);
      expect(q.occurredFrom).to.equal(Date.parse("2026-11-20T00:00:00Z") / 1000);
      expect(q.limit).to.equal(10);
    });

    it("answers an invalid filter with INVALID_QUERY naming the parameter", function () {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ kind: "Teleported" }, /parameter kind/],
        [{ location: "kemba" }, /parameter location/],
        [{ country: "KEN" }, /parameter country/],
        [{ organization: "x" }, /parameter organization/],
        [{ flags: "urgent" }, /parameter flags/],
        [{ occurredFrom: "yesterday" }, /parameter occurredFrom/],
        [{ recordedTo: "2026-13-01T00:00:00Z" }, /parameter recordedTo/],
        [{ limit: "0" }, /parameter limit/],
        [{ limit: "1001" }, /parameter limit/],
        [{ consignment: "0x12" }, /parameter consignment/],
        [{ colour: "red" }, /unknown query parameter colour/],
        [{ kind: ["Held", "Released"] }, /parameter kind/],
      ];
      for (const [query, message] of cases) {
        const error = queryError(query);
        expect(error.code, JSON.stringify(query)).to.equal("INVALID_QUERY");
        expect(error.message, JSON.stringify(query)).to.match(message);
      }
    });
  });

  describe("matchesFilter", function () {
    const entry = indexed(milestone());
    const f = (query: Record<string, string>) => milestoneFilterSchema.parse(query);

    it("matches on every dimension, and refuses on each one that differs", function () {
      expect(matchesFilter(entry, f({}))).to.equal(true);
      const matching = {
        consignment: CONSIGNMENT,
        kind: "Held",
        location: "UGMAL",
        country: "UG",
        organization: "4",
        flags: "relief,medical",
        occurredFrom: "2026-11-20T10:00:00Z",
        occurredTo: "2026-11-20T10:00:00Z",
        recordedFrom: "2026-11-20T10:05:00Z",
        recordedTo: "2026-11-20T10:05:00Z",
      };
      expect(matchesFilter(entry, f(matching))).to.equal(true);
      const differing: Record<string, string> = {
        consignment: "0x" + "00".repeat(32),
        kind: "Released",
        location: "UGKLA",
        country: "KE",
        organization: "5",
        flags: "coldChain",
        occurredFrom: "2026-11-20T10:00:01Z",
        occurredTo: "2026-11-20T09:59:59Z",
        recordedFrom: "2026-11-20T10:05:01Z",
        recordedTo: "2026-11-20T10:04:59Z",
      };
      for (const [name, value] of Object.entries(differing)) {
        expect(matchesFilter(entry, f({ ...matching, [name]: value })), name).to.equal(false);
      }
    });
  });

  describe("planQuery", function () {
    it("walks the most selective index the filters name", function () {
      const f = (query: Record<string, string>) => milestoneFilterSchema.parse(query);
      expect(planQuery(f({ consignment: CONSIGNMENT, kind: "Held" })).index).to.equal("consignment");
      expect(planQuery(f({ organization: "4", country: "UG" }))).to.deep.equal({
        index: "organization",
        value: "0000000004",
      });
      expect(planQuery(f({ location: "UGMAL" }))).to.deep.equal({ index: "country", value: "UG" });
      expect(planQuery(f({ kind: "Held" }))).to.deep.equal({ index: "kind", value: "06" });
      expect(planQuery(f({ occurredFrom: "2026-11-20T10:00:00Z" })).index).to.equal("occurredAt");
      expect(planQuery(f({ kind: "Held,Released" })).index).to.equal("position");
    });
  });

  describe("cursor", function () {
    it("round-trips, and refuses a cursor of other filters or a forged one", function () {
      const fingerprint = filterFingerprint(milestoneFilterSchema.parse({ kind: "Held" }));
      const cursor = encodeCursor(fingerprint, "UG!000000000010:000002");
      expect(decodeCursor(cursor, fingerprint)).to.equal("UG!000000000010:000002");
      const other = filterFingerprint(milestoneFilterSchema.parse({ kind: "Released" }));
      expect(() => decodeCursor(cursor, other))
        .to.throw(LedgerError)
        .with.property("code", "INVALID_CURSOR");
      expect(() => decodeCursor("not-a-cursor", fingerprint))
        .to.throw(LedgerError)
        .with.property("code", "INVALID_CURSOR");
    });
  });
});

describe("consignment index", function () {
  const registration = milestone({
    type: "registration",
    kind: 0,
    location: "KEMBA",
    prevHash: undefined,
    registration: {
      referenceHash: "0x" + "00".repeat(32),
      consignor: 1,
      consignee: 2,
      originCountry: "KE",
      destinationCountry: "CD",
      flags: 1,
    },
  });

  it("follows status, route countries and signers as the contract does", function () {
    let c = advanceConsignment(undefined, registration, 1)!;
    expect(c).to.include({ status: MilestoneKind.Registered, milestoneCount: 1, closed: false, flags: 1 });
    c = advanceConsignment(c, milestone({ kind: MilestoneKind.Held, location: "UGMAL" }), 4)!;
    c = advanceConsignment(c, milestone({ kind: MilestoneKind.Incident, location: "UGKLA" }), 5)!;
    expect(c.status).to.equal(MilestoneKind.Held);
    expect(c.countries).to.deep.equal(["KE", "UG"]);
    expect(c.organizations).to.deep.equal([1, 4, 5]);
    c = advanceConsignment(c, milestone({ type: "correction", kind: MilestoneKind.Correction, correctedIndex: 1 }), 4)!;
    expect(c.status).to.equal(MilestoneKind.Held);
    c = advanceConsignment(c, milestone({ kind: MilestoneKind.Cancelled }), 1)!;
    expect(c).to.include({ status: MilestoneKind.Cancelled, closed: true, milestoneCount: 5 });
    expect(advanceConsignment(undefined, milestone(), 4)).to.equal(undefined);
  });

  it("lets parties, signers and the customs of every country on the route see documents, and nobody else", function () {
    const c = advanceConsignment(advanceConsignment(undefined, registration, 1)!, milestone({ location: "UGMAL" }), 9)!;
    const org = (id: number, kind: OrganizationKind, country: string) => ({ id, kind, country });
    expect(maySeeDocuments(org(1, OrganizationKind.AidOrganization, "KE"), c)).to.equal(true); // consignor
    expect(maySeeDocuments(org(2, OrganizationKind.AidOrganization, "CD"), c)).to.equal(true); // consignee
    expect(maySeeDocuments(org(9, OrganizationKind.Carrier, "TZ"), c)).to.equal(true); // signed a milestone
    expect(maySeeDocuments(org(20, OrganizationKind.Customs, "KE"), c)).to.equal(true); // origin
    expect(maySeeDocuments(org(21, OrganizationKind.Customs, "CD"), c)).to.equal(true); // destination
    expect(maySeeDocuments(org(22, OrganizationKind.Customs, "UG"), c)).to.equal(true); // transit, a milestone there
    expect(maySeeDocuments(org(23, OrganizationKind.Customs, "TZ"), c)).to.equal(false); // not on the route
    expect(maySeeDocuments(org(24, OrganizationKind.AidOrganization, "UG"), c)).to.equal(false); // only customs by country
    expect(maySeeDocuments(undefined, c)).to.equal(false);
  });
});
