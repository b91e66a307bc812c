/**
 * A consignment's history, rebuilt from the chain alone: the contract's logs give every field and the signer, the
 * transactions' calldata gives the signatures, the blocks give the times, and the key and organization events
 * give each key's history. This is what an auditor trusts; it talks to no node.
 */
import { Interface, toQuantity } from "ethers";
import type { JsonRpcProvider, Log } from "ethers";
import { ConsignmentLedger__factory } from "../../typechain-types";
import { fromCodeBytes } from "../domain/locationCodes";
import type { OrganizationKind } from "../domain/milestoneKinds";
import type { VerifiableMilestone } from "../domain/verification";
import { applyGovernanceChange } from "../domain/ledgerDirectory";
import type { AdvisoryChange, ChainDirectory, GovernanceChange, LedgerRecord } from "../domain/ledgerDirectory";
import { WARNING_KINDS, WARNING_SEVERITIES } from "../domain/emergencies";

export type { ChainDirectory, GovernanceChange, LedgerRecord };
import type { SignerSignature } from "../domain/eip712";
import type { DeploymentRecord } from "./ledgerDeployment";

const ledgerInterface: Interface = ConsignmentLedger__factory.createInterface();
const topic = (name: string) => ledgerInterface.getEvent(name)!.topicHash;
const HISTORY_TOPICS = [topic("ConsignmentRegistered"), topic("MilestoneRecorded"), topic("CorrectionRecorded")];
const ADVISORY_TOPICS = [topic("WarningPublished"), topic("EmergencyDeclared"), topic("EmergencyEnded")];
const GOVERNANCE_TOPICS = [topic("OrganizationRegistered"), topic("SignerAdded"), topic("SignerRevoked")];
const LOG_CHUNK = 50_000;

export class ChainHistory {
  private readonly blockTimes = new Map<number, number>();
  private readonly ledger;
  /** Per transaction, the signature of each item, keyed by consignment and payload hash. */
  private readonly signaturesByTx = new Map<string, Promise<Map<string, SignerSignature>>>();

  constructor(
    readonly provider: JsonRpcProvider,
    readonly deployment: DeploymentRecord,
  ) {
    this.ledger = ConsignmentLedger__factory.connect(deployment.address, provider);
  }

  /** Every organization and signer key, with when each key was added, revoked and declared compromised. */
  async directory(): Promise<ChainDirectory> {
    const logs = await this.logs([GOVERNANCE_TOPICS]);
    const directory: ChainDirectory = { keys: new Map(), organizations: new Map() };
    for (const log of logs) {
      const change = decodeGovernanceLog(log);
      if (change) applyGovernanceChange(directory, change, await this.blockTime(log.blockNumber));
    }
    return directory;
  }

  /**
   * Every log of the contract in [fromBlock, toBlock], decoded in chain order: what the indexer follows. Events the
   * node has no use for (roles, pauses) are left out.
   */
  async recordsBetween(fromBlock: number, toBlock: number): Promise<LedgerRecord[]> {
    const logs = await this.logs([], fromBlock, toBlock);
    await Promise.all([...new Set(logs.map((l) => l.blockNumber))].map((n) => this.blockTime(n)));
    const records: LedgerRecord[] = [];
    for (const log of logs) {
      const position = {
        blockNumber: log.blockNumber,
        blockHash: log.blockHash,
        logIndex: log.index,
        blockTime: await this.blockTime(log.blockNumber),
      };
      if (HISTORY_TOPICS.includes(log.topics[0])) {
        records.push({ ...position, type: "history", milestone: await this.toMilestone(log) });
        continue;
      }
      const change = decodeGovernanceLog(log);
      if (change) records.push({ ...position, type: "governance", change });
      const advisory = decodeAdvisoryLog(log);
      if (advisory) records.push({ ...position, type: "advisory", change: advisory });
    }
    this.forgetCaches();
    return records;
  }

  /** The hash of block `n`, or undefined when the chain has no such block (any more). */
  async blockHash(n: number): Promise<string | undefined> {
    const block = await this.rawRpc<{ hash: string } | null>("eth_getBlockByNumber", [toQuantity(n), false]);
    return block?.hash ?? undefined;
  }

  async latestBlock(): Promise<number> {
    return Number(BigInt(await this.rawRpc<string>("eth_blockNumber", [])));
  }

  /** Histories from logs: one consignment's, or every consignment's when `consignmentId` is omitted. */
  async histories(consignmentId?: string): Promise<Map<string, VerifiableMilestone[]>> {
    const logs = await this.logs([HISTORY_TOPICS, ...(consignmentId ? [consignmentId] : [])]);
    await Promise.all([...new Set(logs.map((l) => l.blockNumber))].map((n) => this.blockTime(n)));
    const milestones = await Promise.all(logs.map((log) => this.toMilestone(log)));
    const byConsignment = new Map<string, VerifiableMilestone[]>();
    for (const milestone of milestones) {
      const id = milestone.consignmentId.toLowerCase();
      const list = byConsignment.get(id);
      if (list) list.push(milestone);
      else byConsignment.set(id, [milestone]);
    }
    return byConsignment;
  }

  async head(consignmentId: string): Promise<string | undefined> {
    const [head] = await this.ledger.consignment(consignmentId);
    return /^0x0+$/.test(head) ? undefined : head;
  }

  /** Whether the chain has a log at this milestone's claimed position carrying exactly its fields and signer. */
  async isAtClaimedPosition(m: VerifiableMilestone): Promise<boolean> {
    if (!m.chain) return false;
    const receipt = await this.provider.getTransactionReceipt(m.chain.txHash);
    const log = receipt?.logs.find(
      (l) => l.index === m.chain!.logIndex && l.address.toLowerCase() === this.deployment.address.toLowerCase(),
    );
    if (!log || receipt!.blockNumber !== m.chain.blockNumber) return false;
    const recorded = await this.toMilestone(log);
    return sameSignedFields(recorded, m);
  }

  private async toMilestone(log: Log): Promise<VerifiableMilestone> {
    const decoded = decodeHistoryLog(log);
    const chain = {
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      logIndex: log.index,
      blockTime: await this.blockTime(log.blockNumber),
    };
    const signature = await this.signatureFor(
      log,
      decoded.type === "registration" ? "ConsignmentRegistered" : "",
      decoded.payloadHash,
      decoded.consignmentId,
    );
    return { ...decoded, signature, chain };
  }

  /** The signature the contract checked, from the transaction's calldata: the item with this log's payload hash. */
  private async signatureFor(
    log: Log,
    eventName: string,
    payloadHash: string,
    consignmentId: string,
  ): Promise<SignerSignature> {
    let signatures = this.signaturesByTx.get(log.transactionHash);
    if (!signatures) {
      signatures = this.rawRpc<{ input: string } | null>("eth_getTransactionByHash", [log.transactionHash]).then((tx) =>
        signaturesOfCalldata(tx?.input ?? "0x"),
      );
      this.signaturesByTx.set(log.transactionHash, signatures);
    }
    const key = itemKey(eventName === "ConsignmentRegistered" ? undefined : consignmentId, payloadHash);
    return (
      (await signatures).get(key) ?? { signer: "0x", r: "0x" + "00".repeat(32), yParityAndS: "0x" + "00".repeat(32) }
    );
  }

  private async blockTime(blockNumber: number): Promise<number> {
    const cached = this.blockTimes.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.provider.getBlock(blockNumber);
    const time = block?.timestamp ?? 0;
    this.blockTimes.set(blockNumber, time);
    return time;
  }

  /**
   * A follower reads block ranges once, so what it cached for them is not needed again; after a reorganisation
   * (`everything`) it may be wrong.
   */
  forgetCaches(everything = false): void {
    if (everything || this.blockTimes.size > 10_000) this.blockTimes.clear();
    this.signaturesByTx.clear();
  }

  private async logs(topics: Array<string | string[]>, fromBlock?: number, toBlock?: number): Promise<Log[]> {
    const latest = toBlock ?? (await this.provider.getBlockNumber());
    const all: Log[] = [];
    for (let from = fromBlock ?? this.deployment.deploymentBlock; from <= latest; from += LOG_CHUNK) {
      const raw = await this.rawRpc<RawLog[]>("eth_getLogs", [
        {
          address: this.deployment.address,
          topics,
          fromBlock: toQuantity(from),
          toBlock: toQuantity(Math.min(latest, from + LOG_CHUNK - 1)),
        },
      ]);
      all.push(...raw.map(toLog));
    }
    return all.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  }

  /**
   * Bulk reads (logs, transactions) go straight over JSON-RPC: ethers decodes large responses in JavaScript, which
   * for an audit's megabytes of logs takes longer than the chain takes to answer.
   */
  private async rawRpc<T>(method: string, params: unknown[]): Promise<T> {
    const response = await fetch(this.provider._getConnection().url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error || body.result === undefined)
      throw new Error(`${method} failed: ${body.error?.message ?? response.status}`);
    return body.result;
  }
}

function decodeGovernanceLog(log: Log): GovernanceChange | undefined {
  let event;
  try {
    event = ledgerInterface.parseLog(log);
  } catch {
    return undefined;
  }
  if (!event) return undefined;
  const organizationId = Number(event.args.organizationId ?? 0);
  switch (event.name) {
    case "OrganizationRegistered":
      return {
        name: "OrganizationRegistered",
        organizationId,
        kind: Number(event.args.kind) as OrganizationKind,
        country: fromCodeBytes(event.args.country),
        organizationName: event.args.name,
      };
    case "OrganizationDeactivated":
    case "OrganizationReactivated":
      return { name: "OrganizationActiveChanged", organizationId, active: event.name === "OrganizationReactivated" };
    case "OrganizationEndpointPublished":
      return { name: "OrganizationEndpointPublished", organizationId, endpoint: event.args.endpoint };
    case "SignerAdded":
      return { name: "SignerAdded", organizationId, signer: String(event.args.signer).toLowerCase() };
    case "SignerRevoked":
      return {
        name: "SignerRevoked",
        organizationId,
        signer: String(event.args.signer).toLowerCase(),
        revokedAt: Number(event.args.revokedAt),
        compromisedAt: Number(event.args.compromisedAt),
      };
    default:
      return undefined;
  }
}

const ADVISORY_EVENTS = new Set(["WarningPublished", "EmergencyDeclared", "EmergencyEnded"]);

function decodeAdvisoryLog(log: Log): AdvisoryChange | undefined {
  if (!ADVISORY_TOPICS.includes(log.topics[0])) return undefined;
  const event = ledgerInterface.parseLog(log);
  if (!event || !ADVISORY_EVENTS.has(event.name)) return undefined;
  const area = {
    countries: (event.args.countries as string[]).map(fromCodeBytes),
    locations: (event.args.locations as string[]).map(fromCodeBytes),
  };
  if (event.name === "WarningPublished") {
    return {
      name: "WarningPublished",
      warning: {
        warningId: String(event.args.warningId).toLowerCase(),
        organizationId: Number(event.args.organizationId),
        signer: String(event.args.signer).toLowerCase(),
        kind: WARNING_KINDS[Number(event.args.kind)],
        severity: WARNING_SEVERITIES[Number(event.args.severity)],
        ...area,
        validFrom: Number(event.args.validFrom),
        validUntil: Number(event.args.validUntil),
        payloadHash: String(event.args.payloadHash).toLowerCase(),
      },
    };
  }
  if (event.name === "EmergencyDeclared") {
    return {
      name: "EmergencyDeclared",
      emergency: {
        emergencyId: String(event.args.emergencyId).toLowerCase(),
        ...area,
        startsAt: Number(event.args.startsAt),
        endsAt: Number(event.args.endsAt),
        documentHash: String(event.args.documentHash).toLowerCase(),
      },
    };
  }
  return {
    name: "EmergencyEnded",
    emergencyId: String(event.args.emergencyId).toLowerCase(),
    endedAt: Number(event.args.endedAt),
  };
}

const REGISTERED = topic("ConsignmentRegistered");
const CORRECTED = topic("CorrectionRecorded");

/**
 * The three history events have static fields only, so they are read straight from their words: at an auditor's
 * volumes ethers' generic decoder (and its checksummed addresses) is the slowest part. Addresses stay lower case.
 */
function decodeHistoryLog(log: Log): Omit<VerifiableMilestone, "signature" | "chain"> {
  const word = (i: number) => "0x" + log.data.slice(2 + i * 64, 2 + (i + 1) * 64);
  const uint = (i: number) => Number(BigInt(word(i)));
  const leftBytes = (i: number, n: number) => fromCodeBytes(word(i).slice(0, 2 + n * 2));
  const base = { consignmentId: log.topics[1], signer: "0x" + log.topics[2].slice(26) };
  if (log.topics[0] === REGISTERED) {
    return {
      ...base,
      type: "registration",
      kind: 0,
      registration: {
        referenceHash: word(0),
        consignor: uint(1),
        consignee: uint(2),
        originCountry: leftBytes(3, 2),
        destinationCountry: leftBytes(4, 2),
        flags: uint(5),
      },
      location: leftBytes(6, 5),
      occurredAt: uint(7),
      payloadHash: word(8),
    };
  }
  const fields = { location: leftBytes(1, 5), occurredAt: uint(2), payloadHash: word(3), prevHash: word(4) };
  if (log.topics[0] === CORRECTED) return { ...base, ...fields, type: "correction", kind: 15, correctedIndex: uint(0) };
  return { ...base, ...fields, type: "milestone", kind: uint(0) };
}

const itemKey = (consignmentId: string | undefined, payloadHash: string) =>
  `${(consignmentId ?? "").toLowerCase()}/${payloadHash.toLowerCase()}`;

const SELECTORS = {
  registerConsignments: ledgerInterface.getFunction("registerConsignments")!.selector,
  recordMilestones: ledgerInterface.getFunction("recordMilestones")!.selector,
  recordCorrection: ledgerInterface.getFunction("recordCorrection")!.selector,
};

/**
 * Each item's signature in a ledger transaction's calldata, keyed as signatureFor looks it up. Every argument is a
 * static struct or an array of them, so the ABI layout is fixed words: items of `itemWords` words, signatures of
 * three (signer, r, yParityAndS).
 */
function signaturesOfCalldata(input: string): Map<string, SignerSignature> {
  const byItem = new Map<string, SignerSignature>();
  const selector = input.slice(0, 10);
  const words = input.slice(10);
  const word = (i: number) => "0x" + words.slice(i * 64, (i + 1) * 64);
  const at = (i: number) => Number(BigInt(word(i))) / 32;
  const signatureAt = (i: number): SignerSignature => ({
    signer: "0x" + word(i).slice(26),
    r: word(i + 1),
    yParityAndS: word(i + 2),
  });
  if (selector === SELECTORS.recordCorrection) {
    byItem.set(itemKey(word(0), word(4)), signatureAt(6));
    return byItem;
  }
  const registrations = selector === SELECTORS.registerConsignments;
  if (!registrations && selector !== SELECTORS.recordMilestones) return byItem;
  const itemWords = registrations ? 9 : 6;
  const items = at(0);
  const signatures = at(1);
  const count = Number(BigInt(word(items)));
  for (let i = 0; i < count; i++) {
    const item = items + 1 + i * itemWords;
    const key = registrations ? itemKey(undefined, word(item + 8)) : itemKey(word(item), word(item + 4));
    byItem.set(key, signatureAt(signatures + 1 + i * 3));
  }
  return byItem;
}

interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

/** Just the fields this module reads, in ethers' Log shape. */
function toLog(raw: RawLog): Log {
  return {
    address: raw.address,
    topics: raw.topics,
    data: raw.data,
    blockNumber: Number(raw.blockNumber),
    blockHash: raw.blockHash,
    transactionHash: raw.transactionHash,
    transactionIndex: Number(raw.transactionIndex),
    index: Number(raw.logIndex),
    removed: raw.removed ?? false,
  } as unknown as Log;
}

function sameSignedFields(a: VerifiableMilestone, b: VerifiableMilestone): boolean {
  const same = (x: unknown, y: unknown) => String(x ?? "").toLowerCase() === String(y ?? "").toLowerCase();
  return (
    a.type === b.type &&
    same(a.consignmentId, b.consignmentId) &&
    a.kind === b.kind &&
    a.location === b.location &&
    a.occurredAt === b.occurredAt &&
    same(a.payloadHash, b.payloadHash) &&
    same(a.prevHash, b.prevHash) &&
    same(a.signer, b.signer) &&
    a.correctedIndex === b.correctedIndex &&
    sameRegistration(a.registration, b.registration)
  );
}

function sameRegistration(a: VerifiableMilestone["registration"], b: VerifiableMilestone["registration"]): boolean {
  if (!a || !b) return a === b;
  return (
    a.referenceHash.toLowerCase() === b.referenceHash.toLowerCase() &&
    a.consignor === b.consignor &&
    a.consignee === b.consignee &&
    a.originCountry === b.originCountry &&
    a.destinationCountry === b.destinationCountry &&
    a.flags === b.flags
  );
}
