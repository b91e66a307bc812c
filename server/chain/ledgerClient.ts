/**
 * The contract client: reads the state the rules need, simulates and sends batches, and finds recorded milestones
 * in the logs. Only this layer talks JSON-RPC. ethers errors become coded errors here: a revert is decoded into the
 * contract's custom error; anything else is CHAIN_UNAVAILABLE.
 */
import { Contract, Interface, isError, keccak256 } from "ethers";
import type { JsonRpcProvider, TransactionResponse, Wallet } from "ethers";
import { ConsignmentLedger__factory } from "../../typechain-types";
import type { ConsignmentLedger } from "../../typechain-types";
import { LedgerError } from "../errors";
import { fromCodeBytes } from "../domain/locationCodes";
import type { ConsignmentRecord, OrganizationRecord, SignerKeyRecord } from "../domain/ledgerRules";
import type {
  CorrectionStruct,
  MilestoneStruct,
  RegistrationStruct,
  SignerSignature,
  WarningStruct,
} from "../domain/eip712";
import type { MilestoneKind, OrganizationKind } from "../domain/milestoneKinds";
import type { DeploymentRecord } from "./ledgerDeployment";

export type BatchCall =
  | { type: "registrations"; items: RegistrationStruct[]; signatures: SignerSignature[] }
  | { type: "milestones"; items: MilestoneStruct[]; signatures: SignerSignature[] }
  | { type: "correction"; items: [CorrectionStruct]; signatures: [SignerSignature] }
  | { type: "warning"; items: [WarningStruct]; signatures: [SignerSignature] };

export interface ContractRevert {
  name: string;
  args: unknown[];
  /** The batch position the error names, when it names one. */
  index?: number;
}

export interface RecordedLog {
  txHash: string;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

const ledgerInterface: Interface = ConsignmentLedger__factory.createInterface();
const ZERO = "0x" + "00".repeat(32);

export class LedgerClient {
  readonly contract: ConsignmentLedger;

  constructor(
    readonly provider: JsonRpcProvider,
    readonly deployment: DeploymentRecord,
    readonly relayer: Wallet,
  ) {
    this.contract = new Contract(deployment.address, ledgerInterface, relayer) as unknown as ConsignmentLedger;
  }

  get relayerAddress(): string {
    return this.relayer.address;
  }

  async blockNumber(): Promise<number> {
    return this.rpc("read the block number", () => this.provider.getBlockNumber());
  }

  async readConsignment(consignmentId: string): Promise<ConsignmentRecord | undefined> {
    const [head, s] = await this.rpc("read a consignment", () => this.contract.consignment(consignmentId));
    if (head === ZERO) return undefined;
    return {
      head,
      consignor: Number(s.consignor),
      consignee: Number(s.consignee),
      originCountry: fromCodeBytes(s.originCountry),
      destinationCountry: fromCodeBytes(s.destinationCountry),
      flags: Number(s.flags),
      status: Number(s.status) as MilestoneKind,
      milestoneCount: Number(s.milestoneCount),
      importReleased: s.importReleased,
      closed: s.closed,
    };
  }

  async readOrganization(organizationId: number): Promise<OrganizationRecord | undefined> {
    const o = await this.rpc("read an organization", () => this.contract.organization(organizationId));
    if (Number(o.kind) === 0) return undefined;
    return {
      kind: Number(o.kind) as OrganizationKind,
      country: fromCodeBytes(o.country),
      active: o.active,
      admin: o.admin,
    };
  }

  async readSignerKey(signer: string): Promise<SignerKeyRecord | undefined> {
    const k = await this.rpc("read a signer key", () => this.contract.signerKey(signer));
    if (Number(k.organizationId) === 0) return undefined;
    return {
      organizationId: Number(k.organizationId),
      addedAt: Number(k.addedAt),
      revokedAt: Number(k.revokedAt),
      compromisedAt: Number(k.compromisedAt),
    };
  }

  async isWarningPublished(warningId: string): Promise<boolean> {
    return this.rpc("read whether a warning is published", () => this.contract.isWarningPublished(warningId));
  }

  async paused(): Promise<boolean> {
    return this.rpc("read the pause flag", () => this.contract.paused());
  }

  /** Runs the batch as a call: null when it would succeed, else the decoded custom error. */
  async simulate(call: BatchCall): Promise<ContractRevert | null> {
    try {
      await this.populate(call, "staticCall");
      return null;
    } catch (error) {
      const revert = this.decodeRevert(error);
      if (revert) return revert;
      throw this.unavailable("simulate a batch", error);
    }
  }

  async send(call: BatchCall, nonce: number, gasLimit: bigint): Promise<TransactionResponse> {
    try {
      return (await this.populate(call, "send", { nonce, gasLimit })) as TransactionResponse;
    } catch (error) {
      throw this.unavailable("send a batch", error);
    }
  }

  /** Estimates gas; a revert comes back as the raw ethers error, for decodeRevert. */
  async estimateGas(call: BatchCall): Promise<bigint> {
    try {
      return (await this.populate(call, "estimateGas")) as bigint;
    } catch (error) {
      if (this.decodeRevert(error)) throw error;
      throw this.unavailable("estimate gas", error);
    }
  }

  /** Signs the batch transaction locally, so its hash can be stored before it is broadcast. */
  async signTransaction(call: BatchCall, nonce: number, gasLimit: bigint): Promise<{ raw: string; hash: string }> {
    return this.rpc("prepare a transaction", async () => {
      const unsigned = await this.populate(call, "populateTransaction", { nonce, gasLimit });
      const populated = await this.relayer.populateTransaction(unsigned as object);
      const raw = await this.relayer.signTransaction(populated);
      return { raw, hash: keccak256(raw) };
    });
  }

  async broadcast(raw: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (error) {
      // Sent before (a retry after a timeout): the node already has it, which is what we wanted.
      if (
        String((error as Error).message)
          .toLowerCase()
          .includes("already known")
      )
        return;
      throw this.unavailable("broadcast a transaction", error);
    }
  }

  async pendingNonce(): Promise<number> {
    return this.rpc("read the relayer nonce", () => this.provider.getTransactionCount(this.relayer.address, "pending"));
  }

  /**
   * Polls for a receipt until it comes, `timeoutMs` passes (null), or `cancelled()` says to stop (null). Polling
   * ourselves, rather than ethers' waitForTransaction, keeps a chain outage from printing its internal errors.
   */
  async waitForReceipt(txHash: string, timeoutMs: number, cancelled: () => boolean, pollMs = 200) {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline && !cancelled()) {
      try {
        const receipt = await this.provider.getTransactionReceipt(txHash);
        if (receipt) return receipt;
        lastError = undefined;
      } catch (error) {
        lastError = error;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    if (lastError) throw this.unavailable("read a receipt", lastError);
    return null;
  }

  async receipt(txHash: string) {
    return this.rpc("read a receipt", () => this.provider.getTransactionReceipt(txHash));
  }

  /** The log that recorded the milestone with this payloadHash on this consignment, if the chain has it. */
  async findRecorded(consignmentId: string, payloadHash: string, fromBlock: number): Promise<RecordedLog | undefined> {
    const filters = [
      this.contract.filters.MilestoneRecorded(consignmentId),
      this.contract.filters.ConsignmentRegistered(consignmentId),
      this.contract.filters.CorrectionRecorded(consignmentId),
    ];
    for (const filter of filters) {
      const logs = await this.rpc("read logs", () => this.contract.queryFilter(filter, fromBlock));
      for (const log of logs) {
        const parsed = ledgerInterface.parseLog(log);
        if (parsed?.args.payloadHash === payloadHash) {
          return {
            txHash: log.transactionHash,
            blockNumber: log.blockNumber,
            blockHash: log.blockHash,
            logIndex: log.index,
          };
        }
      }
    }
    return undefined;
  }

  decodeRevert(error: unknown): ContractRevert | null {
    const data = revertDataOf(error);
    if (!data) return null;
    try {
      const parsed = ledgerInterface.parseError(data);
      if (!parsed) return null;
      const args = [...parsed.args];
      const takesIndex = parsed.fragment.inputs[0]?.name === "index";
      return { name: parsed.name, args, index: takesIndex ? Number(args[0]) : undefined };
    } catch {
      return null;
    }
  }

  private populate(
    call: BatchCall,
    how: "staticCall" | "send" | "estimateGas" | "populateTransaction",
    overrides: object = {},
  ): Promise<unknown> {
    switch (call.type) {
      case "registrations":
        return this.contract.registerConsignments[how](call.items, call.signatures, overrides);
      case "milestones":
        return this.contract.recordMilestones[how](call.items, call.signatures, overrides);
      case "correction":
        return this.contract.recordCorrection[how](call.items[0], call.signatures[0], overrides);
      case "warning":
        return this.contract.publishWarning[how](call.items[0], call.signatures[0], overrides);
    }
  }

  private async rpc<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.unavailable(what, error);
    }
  }

  private unavailable(what: string, cause: unknown): LedgerError {
    if (cause instanceof LedgerError) return cause;
    return new LedgerError("CHAIN_UNAVAILABLE", `the chain did not answer when asked to ${what}`, undefined, { cause });
  }
}

function revertDataOf(error: unknown): string | undefined {
  if (isError(error, "CALL_EXCEPTION") && typeof error.data === "string" && error.data !== "0x") return error.data;
  const nested = (error as { error?: { data?: unknown }; data?: unknown } | undefined) ?? {};
  for (const candidate of [nested.data, nested.error?.data]) {
    if (typeof candidate === "string" && candidate.startsWith("0x") && candidate.length >= 10) return candidate;
  }
  return undefined;
}
