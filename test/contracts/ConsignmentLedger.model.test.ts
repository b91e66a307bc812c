/**
 * Model-based property test: random sequences of registrations, milestone batches, corrections, revocations,
 * deactivations and pauses go to the contract and to the TypeScript reference model (server/domain/ledgerRules).
 * Both must agree on every accept or reject (by custom error name) and on every head and status at the end.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployLedgerFixture, signerWallet } from "../support/ledgerFixture";
import type { Member } from "../support/ledgerFixture";
import { LedgerModel } from "../support/ledgerModel";
import type { Outcome } from "../support/ledgerModel";
import { MilestoneKind } from "../../server/domain/milestoneKinds";
import { toCountryBytes, toLocationBytes } from "../../server/domain/locationCodes";
import { consignmentIdOf, referenceHashOf } from "../../server/domain/consignmentId";
import { payloadHashOf } from "../../server/domain/payloadHash";
import {
  recoverSignerOrNull,
  signTypedData,
  toCorrectionTypedData,
  toMilestoneTypedData,
  toRegistrationTypedData,
  typedDataDigest,
} from "../../server/domain/eip712";
import type { LedgerDeployment, MilestoneStruct, SignerSignature, TypedData } from "../../server/domain/eip712";
import type { SignatureFacts } from "../../server/domain/ledgerRules";

const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const ORG_NAMES = ["kenyaCustoms", "ugandaCustoms", "consignor", "consignee", "otherAid", "carrier", "agency"] as const;
const LOCATIONS = ["KEMBA", "KEMAL", "UGTOR", "UGKLA", "TZDAR"];

type SignerChoice = { org: number; mode: "member" | "stranger" | "wrongDomain" | "malformed" };
const signerArb: fc.Arbitrary<SignerChoice> = fc.record({
  org: fc.nat(ORG_NAMES.length - 1),
  mode: fc.constantFrom<SignerChoice["mode"]>(
    "member",
    "member",
    "member",
    "member",
    "member",
    "member",
    "member",
    "stranger",
    "wrongDomain",
    "malformed",
  ),
});
const locationArb = fc.constantFrom(...LOCATIONS);
const prevArb = fc.constantFrom<"head" | "stale">("head", "head", "head", "head", "stale");

type Command =
  | {
      type: "register";
      signer: SignerChoice;
      consignor: number;
      consignee: number; // -1: none, 99: unknown
      reference: number;
      flags: number;
      origin: string;
      destination: string;
      location: string;
    }
  | {
      type: "record";
      items: Array<{
        consignment: number;
        kind: number;
        signer: SignerChoice;
        location: string;
        prev: "head" | "stale";
      }>;
    }
  | {
      type: "correct";
      consignment: number;
      correctedIndex: number;
      signer: SignerChoice;
      location: string;
      prev: "head" | "stale";
    }
  | { type: "revoke"; org: number }
  | { type: "setActive"; org: number; active: boolean }
  | { type: "pause" }
  | { type: "unpause" };

// Steps of the corridor as (organization, kind, location): most generated milestones follow it, so sequences reach
// deep states (released, delivered, closed) rather than stopping at the first rejection.
const CORRIDOR: Array<[number, MilestoneKind, string]> = [
  [5, MilestoneKind.Dispatched, "KEMBA"],
  [0, MilestoneKind.ExportCleared, "KEMAL"],
  [5, MilestoneKind.Departed, "KEMAL"],
  [2, MilestoneKind.PreArrivalLodged, "UGTOR"],
  [1, MilestoneKind.ArrivedAtBorder, "UGTOR"],
  [1, MilestoneKind.Held, "UGTOR"],
  [1, MilestoneKind.Released, "UGTOR"],
  [1, MilestoneKind.Released, "UGKLA"],
  [1, MilestoneKind.Held, "UGKLA"],
  [5, MilestoneKind.Delivered, "UGKLA"],
  [5, MilestoneKind.Delivered, "UGKLA"],
  [3, MilestoneKind.Received, "UGKLA"],
  [3, MilestoneKind.Distributed, "UGKLA"],
  [2, MilestoneKind.Cancelled, "KEMBA"],
  [0, MilestoneKind.Seized, "KEMAL"],
  [6, MilestoneKind.Incident, "TZDAR"],
];

const itemArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        consignment: fc.integer({ min: 0, max: 6 }),
        step: fc.nat(CORRIDOR.length - 1),
        prev: prevArb,
        signerMode: fc.constantFrom<SignerChoice["mode"]>(
          "member",
          "member",
          "member",
          "member",
          "member",
          "member",
          "stranger",
        ),
      })
      .map(({ consignment, step, prev, signerMode }) => {
        const [org, kind, location] = CORRIDOR[step];
        return { consignment, kind: kind as number, signer: { org, mode: signerMode }, location, prev };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      consignment: fc.integer({ min: -1, max: 6 }),
      kind: fc.integer({ min: 0, max: 17 }),
      signer: signerArb,
      location: locationArb,
      prev: prevArb,
    }),
  },
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        consignor: fc.constantFrom(2, 2, 3, 5, 4, 0),
        ownKey: fc.constantFrom(true, true, true, false),
        signer: signerArb,
        consignee: fc.constantFrom(3, 3, -1, 99, 4),
        reference: fc.nat(8),
        flags: fc.constantFrom(1, 3, 15, 0, 16),
        origin: fc.constantFrom("KE", "KE", "TZ"),
        destination: fc.constantFrom("UG", "UG", "UG", "KE", "ug"),
        location: locationArb,
      })
      .map(({ ownKey, signer, ...rest }) => ({
        type: "register" as const,
        signer: ownKey ? { org: rest.consignor, mode: "member" as const } : signer,
        ...rest,
      })),
  },
  {
    weight: 16,
    arbitrary: fc.record({
      type: fc.constant("record" as const),
      items: fc.array(itemArb, { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("correct" as const),
      consignment: fc.integer({ min: 0, max: 6 }),
      correctedIndex: fc.nat(6),
      signer: fc.constantFrom<SignerChoice>(
        { org: 5, mode: "member" },
        { org: 2, mode: "member" },
        { org: 0, mode: "member" },
      ),
      location: fc.constantFrom("KEMBA", "KEMAL"),
      prev: prevArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("revoke" as const), org: fc.nat(ORG_NAMES.length - 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant("setActive" as const),
      org: fc.nat(ORG_NAMES.length - 1),
      active: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: "pause" as const }) },
  { weight: 1, arbitrary: fc.constant({ type: "unpause" as const }) },
);

/** Every sequence opens with valid registrations, so that its milestones have consignments to land on. */
const openingArb: fc.Arbitrary<Command[]> = fc.array(
  fc.record({ consignor: fc.constantFrom(2, 3, 5), reference: fc.nat(8) }).map(({ consignor, reference }): Command => ({
    type: "register",
    signer: { org: consignor, mode: "member" },
    consignor,
    consignee: 3,
    reference,
    flags: 1,
    origin: "KE",
    destination: "UG",
    location: "KEMBA",
  })),
  { minLength: 1, maxLength: 3 },
);
const sequenceArb = fc
  .tuple(openingArb, fc.array(commandArb, { minLength: 4, maxLength: 20 }))
  .map(([opening, rest]) => [...opening, ...rest]);

type Fixture = Awaited<ReturnType<typeof deployLedgerFixture>>;

/** The contract's answer to a call: success, or the name of the custom error it reverted with. */
async function outcomeOf(fx: Fixture, call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return { ok: true };
  } catch (error) {
    const data = (error as { data?: string }).data;
    const parsed = data ? fx.ledger.interface.parseError(data) : null;
    if (!parsed) throw error;
    return { ok: false, error: parsed.name };
  }
}

/** Outcomes seen over the whole run, to show the sequences reach deep states and not only early rejections. */
const outcomes = new Map<string, number>();

async function runSequence(fx: Fixture, commands: Command[]): Promise<void> {
  const model = new LedgerModel();
  const members: Member[] = ORG_NAMES.map((name) => fx.members[name]);
  for (const m of members) {
    model.addOrganization(m.id, { kind: m.kind, country: m.country, active: true, admin: "" });
    model.addSigner(m.signer.address, m.id, 0);
  }
  const registered: string[] = [];
  const stranger = signerWallet("model stranger");
  const foreignDomain: LedgerDeployment = { ...fx.deployment, chainId: BigInt(fx.deployment.chainId) + 1n };

  async function sign<T extends object>(choice: SignerChoice, typed: TypedData<T>): Promise<SignerSignature> {
    const member = members[choice.org].signer;
    switch (choice.mode) {
      case "member":
        return signTypedData(member, typed);
      case "stranger":
        return signTypedData(stranger, typed);
      case "wrongDomain":
        return {
          ...(await signTypedData(member, { ...typed, domain: { ...typed.domain, chainId: foreignDomain.chainId } })),
        };
      case "malformed":
        return { ...(await signTypedData(member, typed)), r: "0x" + "00".repeat(32) };
    }
  }
  const factsOf = (digest: string, signature: SignerSignature): SignatureFacts => ({
    claimedSigner: signature.signer,
    recoveredSigner: recoverSignerOrNull(digest, signature),
  });
  const unknownId = "0x" + "ee".repeat(32);
  const consignmentAt = (i: number): string =>
    i < 0 || registered.length === 0 ? unknownId : registered[i % registered.length];
  const headOf = (id: string): string => model.consignment(id)?.head ?? "0x" + "00".repeat(32);

  for (const [step, command] of commands.entries()) {
    let expected: Outcome;
    let actual: Outcome;
    const relayer = fx.scenario.ledger;
    switch (command.type) {
      case "register": {
        const consignor = members[command.consignor];
        const consignee = command.consignee === -1 ? 0 : command.consignee === 99 ? 99 : members[command.consignee].id;
        const referenceHash = referenceHashOf(`MODEL-REF-${command.reference}`);
        const struct = {
          referenceHash,
          consignor: consignor.id,
          consignee,
          originCountry: toCountryBytes(command.origin),
          destinationCountry: "0x" + Buffer.from(command.destination, "ascii").toString("hex"),
          flags: command.flags,
          location: toLocationBytes(command.location),
          occurredAt: 1_790_000_000 + step,
          payloadHash: payloadHashOf({ step }),
        };
        const typed = toRegistrationTypedData(fx.deployment, struct);
        const digest = typedDataDigest(typed);
        const signature = await sign(command.signer, typed);
        const consignmentId = consignmentIdOf(consignor.id, referenceHash);
        expected = model.registerConsignments([
          {
            facts: {
              consignmentId,
              consignor: consignor.id,
              consignee,
              originCountry: command.origin,
              destinationCountry: command.destination,
              flags: command.flags,
              location: command.location,
            },
            signature: factsOf(digest, signature),
            digest,
          },
        ]);
        actual = await outcomeOf(fx, () => relayer.registerConsignments([struct], [signature]).then((tx) => tx.wait()));
        if (expected.ok) registered.push(consignmentId);
        break;
      }
      case "record": {
        const heads = new Map<string, string>();
        const milestones: MilestoneStruct[] = [];
        const signatures: SignerSignature[] = [];
        const items = [];
        for (const [i, item] of command.items.entries()) {
          const consignmentId = consignmentAt(item.consignment);
          const head = heads.get(consignmentId) ?? headOf(consignmentId);
          const struct = {
            consignmentId,
            kind: item.kind,
            location: toLocationBytes(item.location),
            occurredAt: 1_790_000_000 + step * 10 + i,
            payloadHash: payloadHashOf({ step, i }),
            prevHash: item.prev === "head" ? head : "0x" + "5a".repeat(32),
          };
          const typed = toMilestoneTypedData(fx.deployment, struct);
          const digest = typedDataDigest(typed);
          heads.set(consignmentId, digest);
          const signature = await sign(item.signer, typed);
          milestones.push(struct);
          signatures.push(signature);
          items.push({
            facts: { consignmentId, kind: item.kind, location: item.location, prevHash: struct.prevHash },
            signature: factsOf(digest, signature),
            digest,
          });
        }
        expected = model.recordMilestones(items);
        actual = await outcomeOf(fx, () => relayer.recordMilestones(milestones, signatures).then((tx) => tx.wait()));
        break;
      }
      case "correct": {
        const consignmentId = consignmentAt(command.consignment);
        const struct = {
          consignmentId,
          correctedIndex: command.correctedIndex,
          location: toLocationBytes(command.location),
          occurredAt: 1_790_000_000 + step,
          payloadHash: payloadHashOf({ step, correction: true }),
          prevHash: command.prev === "head" ? headOf(consignmentId) : "0x" + "5a".repeat(32),
        };
        const typed = toCorrectionTypedData(fx.deployment, struct);
        const digest = typedDataDigest(typed);
        const signature = await sign(command.signer, typed);
        expected = model.recordCorrection(
          {
            consignmentId,
            correctedIndex: command.correctedIndex,
            location: command.location,
            prevHash: struct.prevHash,
          },
          factsOf(digest, signature),
          digest,
        );
        actual = await outcomeOf(fx, () => relayer.recordCorrection(struct, signature).then((tx) => tx.wait()));
        break;
      }
      case "revoke": {
        const signer = members[command.org].signer.address;
        // Pinned: a fixture restored from an earlier snapshot lags the wall clock, which would set the block's time.
        const revokedAt = (await time.latest()) + 1;
        await time.setNextBlockTimestamp(revokedAt);
        expected = model.revokeSigner(signer, revokedAt);
        actual = await outcomeOf(fx, () => fx.ledger.revokeSigner(signer, 0).then((tx) => tx.wait()));
        break;
      }
      case "setActive": {
        const id = members[command.org].id;
        expected = model.setOrganizationActive(id, command.active);
        actual = await outcomeOf(fx, () => fx.ledger.setOrganizationActive(id, command.active).then((tx) => tx.wait()));
        break;
      }
      case "pause":
      case "unpause": {
        const pausing = command.type === "pause";
        expected = model.setPaused(pausing);
        actual = await outcomeOf(fx, () => (pausing ? fx.ledger.pause() : fx.ledger.unpause()).then((tx) => tx.wait()));
        break;
      }
    }
    expect(actual, `step ${step}: ${JSON.stringify(command)}`).to.deep.equal(expected);
    const label = `${command.type}:${actual.ok ? "ok" : actual.error}`;
    outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
  }

  for (const id of registered) {
    const [head, status] = await fx.ledger.consignment(id);
    const mine = model.consignment(id)!;
    expect(head, `head of ${id}`).to.equal(mine.head);
    expect(Number(status.milestoneCount)).to.equal(mine.milestoneCount);
    expect(Number(status.status)).to.equal(mine.status);
    expect(status.closed).to.equal(mine.closed);
    expect(status.importReleased).to.equal(mine.importReleased);
  }
}

describe("ConsignmentLedger against the TypeScript reference model", function () {
  this.timeout(600_000);

  it(`agrees on every accept, reject and final head over ${RUNS} random sequences`, async function () {
    outcomes.clear();
    await fc.assert(
      fc.asyncProperty(sequenceArb, async (commands) => {
        const fx = await loadFixture(deployLedgerFixture);
        await runSequence(fx, commands);
      }),
      { numRuns: RUNS, seed: process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined, verbose: 1 },
    );
    if (process.env.MODEL_VERBOSE) console.table([...outcomes.entries()].sort());
    // Agreement means little unless the sequences reach accepted milestones and most of the contract's errors.
    expect(outcomes.get("record:ok") ?? 0).to.be.greaterThan(RUNS / 4);
    expect(outcomes.get("correct:ok") ?? 0).to.be.greaterThan(0);
    const errors = new Set([...outcomes.keys()].filter((k) => !k.endsWith(":ok")).map((k) => k.split(":")[1]));
    for (const name of [
      "UnknownSigner",
      "SignerKeyRevoked",
      "SignerOrganizationInactive",
      "SignatureMismatch",
      "MalformedSignature",
      "KindNotAllowed",
      "OutsideJurisdiction",
      "NotConsignmentParty",
      "StaleHead",
      "UnknownConsignment",
      "InvalidMilestoneKind",
      "ConsignorMismatch",
      "EnforcedPause",
    ]) {
      expect(errors, `no sequence reached ${name}`).to.include(name);
    }
  });
});
