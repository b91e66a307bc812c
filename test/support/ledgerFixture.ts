/**
 * A deployed ConsignmentLedger with a small consortium around one relief corridor, Mombasa (KE) to Kampala (UG),
 * and helpers that build and sign milestones the way the node will.
 */
import { ethers } from "hardhat";
import { Wallet, id as keccakOfText } from "ethers";
import type { ConsignmentLedger } from "../../typechain-types";
import { MilestoneKind, OrganizationKind, ConsignmentFlag } from "../../server/domain/milestoneKinds";
import { toCountryBytes, toLocationBytes } from "../../server/domain/locationCodes";
import { consignmentIdOf, referenceHashOf } from "../../server/domain/consignmentId";
import { payloadHashOf } from "../../server/domain/payloadHash";
import type { JsonValue } from "../../server/domain/payloadHash";
import {
  toMilestoneTypedData,
  toRegistrationTypedData,
  toCorrectionTypedData,
  toWarningTypedData,
  signTypedData,
  typedDataDigest,
} from "../../server/domain/eip712";
import type {
  LedgerDeployment,
  MilestoneStruct,
  RegistrationStruct,
  CorrectionStruct,
  SignerSignature,
  WarningStruct,
} from "../../server/domain/eip712";

export interface Member {
  id: number;
  kind: OrganizationKind;
  country: string;
  signer: Wallet;
}

/** Deterministic signer keys, so a failing run can be replayed. */
export function signerWallet(label: string): Wallet {
  return new Wallet(keccakOfText(`consignment-ledger test signer ${label}`));
}

export const ORIGIN = "KE";
export const DESTINATION = "UG";

export async function deployLedgerFixture() {
  const [governor, relayer, orgAdmin, outsider] = await ethers.getSigners();
  const factory = await ethers.getContractFactory("ConsignmentLedger");
  const ledger = (await factory.deploy(governor.address, 0)) as unknown as ConsignmentLedger;
  await ledger.waitForDeployment();
  const deployment: LedgerDeployment = {
    chainId: (await ethers.provider.getNetwork()).chainId,
    address: await ledger.getAddress(),
  };

  async function member(label: string, kind: OrganizationKind, country: string, admin = orgAdmin.address) {
    const tx = await ledger.registerOrganization(kind, toCountryBytes(country), admin, label);
    await tx.wait();
    const organizationId = Number(await ledger.organizationCount());
    const signer = signerWallet(label);
    await (await ledger.addSigner(organizationId, signer.address)).wait();
    return { id: organizationId, kind, country, signer } satisfies Member;
  }

  const members = {
    kenyaCustoms: await member("Kenya Revenue Authority", OrganizationKind.Customs, "KE"),
    ugandaCustoms: await member("Uganda Revenue Authority", OrganizationKind.Customs, "UG"),
    consignor: await member("Kenya Red Cross", OrganizationKind.AidOrganization, "KE"),
    consignee: await member("Uganda Red Cross", OrganizationKind.AidOrganization, "UG"),
    otherAid: await member("Another Relief Agency", OrganizationKind.AidOrganization, "KE"),
    carrier: await member("Northern Corridor Haulage", OrganizationKind.Carrier, "KE"),
    agency: await member("Meteorological Department", OrganizationKind.Agency, "KE"),
  };
  const scenario = new LedgerScenario(ledger.connect(relayer) as ConsignmentLedger, deployment);
  return { ledger, deployment, governor, relayer, orgAdmin, outsider, members, scenario };
}

export interface RegistrationInput {
  reference?: string;
  consignor: Member;
  consigneeId?: number;
  originCountry?: string;
  destinationCountry?: string;
  flags?: number;
  location?: string;
  occurredAt?: number;
  document?: JsonValue;
}

let referenceCounter = 0;

/** Builds, signs and sends milestones, tracking nothing itself: heads are read from the chain unless given. */
export class LedgerScenario {
  constructor(
    readonly ledger: ConsignmentLedger,
    readonly deployment: LedgerDeployment,
  ) {}

  async signedRegistration(input: RegistrationInput, signer: Wallet = input.consignor.signer) {
    const reference = input.reference ?? `KE2026REL${String(++referenceCounter).padStart(6, "0")}`;
    const registration: RegistrationStruct = {
      referenceHash: referenceHashOf(reference),
      consignor: input.consignor.id,
      consignee: input.consigneeId ?? 0,
      originCountry: toCountryBytes(input.originCountry ?? ORIGIN),
      destinationCountry: toCountryBytes(input.destinationCountry ?? DESTINATION),
      flags: input.flags ?? ConsignmentFlag.Relief | ConsignmentFlag.Medical,
      location: toLocationBytes(input.location ?? "KEMBA"),
      occurredAt: input.occurredAt ?? 1_790_000_000,
      payloadHash: payloadHashOf(input.document ?? { reference, packages: 40, hsCodes: ["3004.90"] }),
    };
    const typed = toRegistrationTypedData(this.deployment, registration);
    const signature = await signTypedData(signer, typed);
    const consignmentId = consignmentIdOf(registration.consignor, registration.referenceHash);
    return { registration, signature, digest: typedDataDigest(typed), consignmentId, reference };
  }

  async register(input: RegistrationInput) {
    const signed = await this.signedRegistration(input);
    await (await this.ledger.registerConsignments([signed.registration], [signed.signature])).wait();
    return signed;
  }

  async head(consignmentId: string): Promise<string> {
    const [head] = await this.ledger.consignment(consignmentId);
    return head;
  }

  async signedMilestone(
    signer: Wallet,
    consignmentId: string,
    kind: MilestoneKind,
    location: string,
    options: { prevHash?: string; occurredAt?: number; document?: JsonValue } = {},
  ): Promise<{ milestone: MilestoneStruct; signature: SignerSignature; digest: string }> {
    const milestone: MilestoneStruct = {
      consignmentId,
      kind,
      location: toLocationBytes(location),
      occurredAt: options.occurredAt ?? 1_790_000_100,
      payloadHash: payloadHashOf(options.document ?? { kind: MilestoneKind[kind], location }),
      prevHash: options.prevHash ?? (await this.head(consignmentId)),
    };
    const typed = toMilestoneTypedData(this.deployment, milestone);
    return { milestone, signature: await signTypedData(signer, typed), digest: typedDataDigest(typed) };
  }

  /** Signs and sends one milestone without waiting: `sent` is the transaction promise, for `expect(...).to.revert...`. */
  async attempt(
    signer: Wallet,
    consignmentId: string,
    kind: MilestoneKind,
    location: string,
    options: { prevHash?: string; occurredAt?: number; document?: JsonValue } = {},
  ) {
    const signed = await this.signedMilestone(signer, consignmentId, kind, location, options);
    return { ...signed, sent: this.ledger.recordMilestones([signed.milestone], [signed.signature]) };
  }

  async record(signer: Wallet, consignmentId: string, kind: MilestoneKind, location: string) {
    const signed = await this.signedMilestone(signer, consignmentId, kind, location);
    await (await this.ledger.recordMilestones([signed.milestone], [signed.signature])).wait();
    return signed;
  }

  async signedCorrection(
    signer: Wallet,
    consignmentId: string,
    correctedIndex: number,
    location: string,
    options: { prevHash?: string } = {},
  ): Promise<{ correction: CorrectionStruct; signature: SignerSignature; digest: string }> {
    const correction: CorrectionStruct = {
      consignmentId,
      correctedIndex,
      location: toLocationBytes(location),
      occurredAt: 1_790_000_200,
      payloadHash: payloadHashOf({ corrects: correctedIndex, reason: "wrong seal number" }),
      prevHash: options.prevHash ?? (await this.head(consignmentId)),
    };
    const typed = toCorrectionTypedData(this.deployment, correction);
    return { correction, signature: await signTypedData(signer, typed), digest: typedDataDigest(typed) };
  }

  /** A cyclone warning over Mombasa port for two days, signed by `signer` (an agency's key unless a test says not). */
  async signedWarning(signer: Wallet, overrides: Partial<WarningStruct> = {}) {
    const warning: WarningStruct = {
      warningId: keccakOfText(`warning ${++referenceCounter}`),
      kind: 0,
      severity: 2,
      countries: [],
      locations: [toLocationBytes("KEMBA")],
      validFrom: 1_790_000_000,
      validUntil: 1_790_172_800,
      payloadHash: payloadHashOf({ headline: "Tropical cyclone approaching Mombasa", advice: "port closed" }),
      ...overrides,
    };
    const typed = toWarningTypedData(this.deployment, warning);
    return { warning, signature: await signTypedData(signer, typed), digest: typedDataDigest(typed) };
  }
}

/** The whole journey Mombasa -> Malaba border -> Tororo -> Kampala, up to (not including) `until`. */
export function corridorSequence(members: Awaited<ReturnType<typeof deployLedgerFixture>>["members"]) {
  const { kenyaCustoms, ugandaCustoms, consignor, consignee, carrier } = members;
  return [
    { who: carrier, kind: MilestoneKind.Dispatched, location: "KEMBA" },
    { who: kenyaCustoms, kind: MilestoneKind.ExportCleared, location: "KEMAL" },
    { who: carrier, kind: MilestoneKind.Departed, location: "KEMAL" },
    { who: consignor, kind: MilestoneKind.PreArrivalLodged, location: "UGTOR" },
    { who: ugandaCustoms, kind: MilestoneKind.ArrivedAtBorder, location: "UGTOR" },
    { who: ugandaCustoms, kind: MilestoneKind.InspectionStarted, location: "UGTOR" },
    { who: ugandaCustoms, kind: MilestoneKind.Released, location: "UGTOR" },
    { who: carrier, kind: MilestoneKind.Delivered, location: "UGKLA" },
    { who: consignee, kind: MilestoneKind.Received, location: "UGKLA" },
    { who: consignee, kind: MilestoneKind.Distributed, location: "UGKLA" },
  ];
}
