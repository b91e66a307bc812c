/**
 * Consignment histories for the verification API, read from the node's index instead of the chain's logs on every
 * request: the same decoded logs (fields, signer, signature from calldata, block time), the directory the index
 * keeps, and the head read from the contract's storage at the block the index has reached, so a verdict never
 * compares a history with a head it has not seen yet. The audit CLI does not use this: it re-reads the chain.
 */
import { ConsignmentLedger__factory } from "../../typechain-types";
import type { JsonRpcProvider } from "ethers";
import type { ChainDirectory } from "../domain/ledgerDirectory";
import type { VerifiableMilestone } from "../domain/verification";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { DeploymentRecord } from "./ledgerDeployment";
import type { HistorySource } from "./consignmentVerifier";

export class IndexedHistory implements HistorySource {
  private readonly ledger;

  constructor(
    private readonly index: LedgerIndex,
    provider: JsonRpcProvider,
    readonly deployment: DeploymentRecord,
  ) {
    this.ledger = ConsignmentLedger__factory.connect(deployment.address, provider);
  }

  /** The block the histories are as of. */
  get asOfBlock(): number | undefined {
    return this.index.cursor?.blockNumber;
  }

  async histories(consignmentId?: string): Promise<Map<string, VerifiableMilestone[]>> {
    if (consignmentId === undefined) throw new Error("the index serves one consignment at a time");
    const id = consignmentId.toLowerCase();
    const entries = await this.index.milestonesOf(id);
    return new Map(entries.length ? [[id, entries.map((e) => e.milestone)]] : []);
  }

  async directory(): Promise<ChainDirectory> {
    return this.index.directory;
  }

  async head(consignmentId: string): Promise<string | undefined> {
    const blockTag = this.index.cursor?.blockNumber;
    if (blockTag === undefined) return undefined;
    const [head] = await this.ledger.consignment(consignmentId, { blockTag });
    return /^0x0+$/.test(head) ? undefined : head;
  }
}
