/**
 * A consignment's history, rebuilt from the chain alone: the contract's logs give every field and the signer, the
 * transactions' calldata gives the signatures, the blocks give the times, and the key and organization events
 * give each key's history. This is what an auditor trusts; it talks to no node.
 */
import { Interface } from "ethers";
import type { JsonRpcProvider, Log, TransactionResponse } from "ethers";
import { ConsignmentLedger__factory } from "../../typechain-types";
import { fromCodeBytes } from "../domain/locationCodes";
import type { OrganizationKind } from "../domain/milestoneKinds";
import type { KeyHistory, VerifiableMilestone } from "../domain/verification";
import type { DeploymentRecord } from "./ledgerDeployment";

const ledgerInterface: Interface = ConsignmentLedger__factory.createInterface();
const topic = (name: string) => ledgerInterface.getEvent(name)!.topicHash;
const HISTORY_TOPICS = [topic("ConsignmentRegistered"), topic("MilestoneRecorded"), topic("CorrectionRecorded")];
const GOVERNANCE_TOPICS = [topic("OrganizationRegistered"), topic("SignerAdded"), topic("SignerRevoked")];
const LOG_CHUNK = 50_000;

export interface ChainDirectory {
  keys: Map<string, KeyHistory>;
  organizations: Map<number, { kind: OrganizationKind; country: string; name: string }>;
}

export class ChainHistory {
  private readonly blockTimes = new Map<number, number>();
  private readonly transactions = new Map<string, Promise<TransactionResponse | null>>();

  constructor(
    readonly provider: JsonRpcProvider,
    readonly deployment: DeploymentRecord,
  ) {}

  /** Every organization and signer key, with when each key was added, revoked and declared compromised. */
  async directory(): Promise<ChainDirectory> {
    const logs = await this.logs([GOVERNANCE_TOPICS]);
    const keys = new Map<string, KeyHistory>();
    const organizations: ChainDirectory["organizations"] = new Map();
    for (const log of logs) {
      const event = ledgerInterface.parseLog(log)!;
      if (event.name === "OrganizationRegistered") {
        organizations.set(Number(event.args.organizationId), {
          kind: Number(event.args.kind) as OrganizationKind,
          country: fromCodeBytes(event.args.country),
          name: event.args.name,
        });
      } else if (event.name === "SignerAdded") {
        keys.set(String(event.args.signer).toLowerCase(), {
          organizationId: Number(event.args.organizationId),
          addedAt: await this.blockTime(log.blockNumber),
          revokedAt: 0,
          compromisedAt: 0,
        });
      } else {
        const key = keys.get(String(event.args.signer).toLowerCase());
        if (key) {
          key.revokedAt = Number(event.args.revokedAt);
          key.compromisedAt = Number(event.args.compromisedAt);
        }
      }
    }
    return { keys, organizations };
  }

  /** Histories from logs: one consignment's, or every consignment's when `consignmentId` is omitted. */
  async histories(consignmentId?: string): Promise<Map<string, VerifiableMilestone[]>> {
    const logs = await this.logs([HISTORY_TOPICS, ...(consignmentId ? [consignmentId] : [])]);
    await Promise.all([...new Set(logs.map((l) => l.blockNumber))].map((n) => this.blockTime(n)));
    const byConsignment = new Map<string, VerifiableMilestone[]>();
    for (const log of logs) {
      const milestone = await this.toMilestone(log);
      const id = milestone.consignmentId.toLowerCase();
      byConsignment.set(id, [...(byConsignment.get(id) ?? []), milestone]);
    }
    return byConsignment;
  }

  async head(consignmentId: string): Promise<string | undefined> {
    const ledger = ConsignmentLedger__factory.connect(this.deployment.address, this.provider);
    const [head] = await ledger.consignment(consignmentId);
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
    const event = ledgerInterface.parseLog(log)!;
    const a = event.args;
    const chain = {
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      logIndex: log.index,
      blockTime: await this.blockTime(log.blockNumber),
    };
    const base = {
      consignmentId: a.consignmentId as string,
      location: fromCodeBytes(a.location),
      occurredAt: Number(a.occurredAt),
      payloadHash: a.payloadHash as string,
      signer: a.signer as string,
      chain,
    };
    const signature = await this.signatureFor(log, event.name, a.payloadHash as string, a.consignmentId as string);
    if (event.name === "ConsignmentRegistered") {
      return {
        ...base,
        type: "registration",
        kind: 0,
        signature,
        registration: {
          referenceHash: a.referenceHash,
          consignor: Number(a.consignor),
          consignee: Number(a.consignee),
          originCountry: fromCodeBytes(a.originCountry),
          destinationCountry: fromCodeBytes(a.destinationCountry),
          flags: Number(a.flags),
        },
      };
    }
    if (event.name === "CorrectionRecorded") {
      return {
        ...base,
        type: "correction",
        kind: 15,
        prevHash: a.prevHash,
        correctedIndex: Number(a.correctedIndex),
        signature,
      };
    }
    return { ...base, type: "milestone", kind: Number(a.kind), prevHash: a.prevHash, signature };
  }

  /** The signature the contract checked, from the transaction's calldata: the item with this log's payload hash. */
  private async signatureFor(log: Log, eventName: string, payloadHash: string, consignmentId: string) {
    if (!this.transactions.has(log.transactionHash))
      this.transactions.set(log.transactionHash, this.provider.getTransaction(log.transactionHash));
    const tx = await this.transactions.get(log.transactionHash)!;
    const call = tx ? ledgerInterface.parseTransaction({ data: tx.data }) : null;
    const items: Array<{ consignmentId?: string; payloadHash: string }> =
      call?.name === "recordCorrection" ? [call.args[0]] : call ? [...call.args[0]] : [];
    const signatures: Array<{ signer: string; r: string; yParityAndS: string }> =
      call?.name === "recordCorrection" ? [call.args[1]] : call ? [...call.args[1]] : [];
    const at = items.findIndex(
      (item) =>
        item.payloadHash === payloadHash &&
        (eventName === "ConsignmentRegistered" || item.consignmentId === consignmentId),
    );
    const found = signatures[at];
    return found
      ? { signer: found.signer, r: found.r, yParityAndS: found.yParityAndS }
      : { signer: "0x", r: "0x" + "00".repeat(32), yParityAndS: "0x" + "00".repeat(32) };
  }

  private async blockTime(blockNumber: number): Promise<number> {
    const cached = this.blockTimes.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.provider.getBlock(blockNumber);
    const time = block?.timestamp ?? 0;
    this.blockTimes.set(blockNumber, time);
    return time;
  }

  private async logs(topics: Array<string | string[]>): Promise<Log[]> {
    const latest = await this.provider.getBlockNumber();
    const all: Log[] = [];
    for (let from = this.deployment.deploymentBlock; from <= latest; from += LOG_CHUNK) {
      all.push(
        ...(await this.provider.getLogs({
          address: this.deployment.address,
          topics,
          fromBlock: from,
          toBlock: Math.min(latest, from + LOG_CHUNK - 1),
        })),
      );
    }
    return all.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  }
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
