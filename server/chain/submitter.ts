/**
 * Drains the outbox onto the chain: signs each event at submit time (the signature covers prevHash), chains several
 * milestones of one consignment inside a batch, sends `recordMilestones` batches, and marks events recorded from
 * their receipts. A batch that would revert is not sent: the decoded custom error names the bad item, which is
 * rejected with that reason, and the rest go again. An event that was ever sent is looked up in the chain's logs
 * before it is signed again, so it never lands twice.
 */
import type { Logger } from "pino";
import type { TransactionReceipt, Wallet } from "ethers";
import { LedgerError, codeOfContractError } from "../errors";
import { withState } from "../domain/ledgerEvent";
import type { LedgerEvent } from "../domain/ledgerEvent";
import {
  correctionDigestOf,
  milestoneDigestOf,
  registrationDigestOf,
  signDigest,
  toWarningTypedData,
  typedDataDigest,
} from "../domain/eip712";
import type { PostedWarning } from "../storage/warningStore";
import { correctionStructOf, milestoneStructOf, registrationStructOf } from "../domain/contractStructs";
import type { LedgerStore } from "../storage/ledgerStore";
import type { LedgerMetrics } from "../telemetry/metrics";
import type { BatchCall, ContractRevert, LedgerClient } from "./ledgerClient";

export interface SubmitterOptions {
  batchSize: number;
  /** Transactions sent and not yet settled at once; each carries consignments no other one does. */
  maxInFlight?: number;
  batchWaitMs: number;
  receiptTimeoutMs: number;
  logger: Logger;
  metrics: LedgerMetrics;
  /** The key the node signs with for an organization. */
  signerOf(organizationId: number): Wallet | undefined;
  /** Called after the chain state this node wrote has changed (for caches). */
  onRecorded?(events: LedgerEvent[]): void;
  /** Warnings this node's agencies posted, published between batches with the same relayer (one nonce sequence). */
  warnings?: WarningQueue;
}

/** Where the submitter finds warnings to publish, and tells what became of each. */
export interface WarningQueue {
  pending(): Promise<PostedWarning[]>;
  update(warning: PostedWarning): Promise<void>;
}

export interface SubmitterStatus {
  running: boolean;
  chainReachable: boolean;
  lastError?: { code: string; message: string; at: string };
  lastRecordedAt?: string;
  /** When the oldest event still waiting was accepted. */
  oldestPendingAcceptedAt?: string;
  consecutiveFailures: number;
}

const MAX_STALE_RETRIES = 5;
const MAX_BACKOFF_MS = 30_000;
/** How often the submitter checks that the chain still has the block of the newest event it recorded. */
const LOST_BLOCKS_CHECK_MS = 2_000;

export class Submitter {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Resolves when stop() is called, to cut short a wait for a receipt: what was sent is resolved on the next start. */
  private stopped!: Promise<"stopped">;
  private signalStopped: () => void = () => undefined;
  private wakeUp: (() => void) | undefined;
  private nextNonce: number | undefined;
  /** Halved when a batch reverts without naming its bad item, so the search narrows to it; reset on success. */
  private runLimit: number;
  /**
   * Transactions broadcast and not yet settled, by hash. No two share a consignment, so each one's milestones
   * extend heads that are already on chain, and one reverting leaves the others valid.
   */
  private readonly inFlight = new Map<string, InFlight>();
  private readonly state: SubmitterStatus = { running: false, chainReachable: true, consecutiveFailures: 0 };
  /** The block of the newest event this node recorded: if the chain loses it, what it lost is queued again. */
  private newestRecorded: { blockNumber: number; blockHash: string } | undefined;
  private lostBlocksCheckedAt = 0;

  constructor(
    private readonly store: LedgerStore,
    private readonly client: LedgerClient,
    private readonly options: SubmitterOptions,
  ) {
    this.runLimit = options.batchSize;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.state.running = true;
    this.stopped = new Promise((resolve) => (this.signalStopped = () => resolve("stopped")));
    this.loop = this.run();
  }

  /** Finishes the batch in flight, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.state.running = false;
    this.signalStopped();
    this.wake();
    await this.loop;
  }

  /** New events were accepted: look at the outbox now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  status(): SubmitterStatus {
    return { ...this.state };
  }

  /**
   * On start, and whenever the chain no longer has the block of the newest recorded event: anything the store thinks
   * is recorded in blocks the chain no longer has (a dev chain restarted from an older state, one killed before it
   * persisted its last blocks) goes back to the outbox, unless the chain has it after all.
   */
  async reconcile(fromBlock: number): Promise<{ requeued: number; confirmed: number }> {
    const head = await this.client.blockNumber();
    const blockHashes = new Map<number, string | null>();
    let requeued = 0;
    let confirmed = 0;
    for (const event of await this.store.recordedSince(Math.max(fromBlock, head - 10_000))) {
      const number = event.blockNumber!;
      if (!blockHashes.has(number)) {
        const block = number <= head ? await this.client.provider.getBlock(number) : null;
        blockHashes.set(number, block?.hash ?? null);
      }
      if (blockHashes.get(number) === event.blockHash) {
        confirmed++;
        this.noteRecordedBlock(event);
        continue;
      }
      const found = await this.client.findRecorded(event.consignmentId, event.payloadHash, fromBlock);
      if (found) {
        await this.store.update([{ ...event, ...found }]);
        confirmed++;
        this.noteRecordedBlock({ ...event, ...found });
      } else {
        await this.store.update([withState(event, "accepted", "the chain lost the block that recorded it")]);
        requeued++;
      }
    }
    if (requeued) this.options.logger.warn({ requeued }, "the chain lost recorded events; they are queued again");
    this.options.metrics.requeuedAfterLostBlocks.inc(requeued);
    return { requeued, confirmed };
  }

  /**
   * While running: the chain may restart from an older state at any time (a dev chain killed before it persisted).
   * If it no longer has the block of the newest recorded event, whatever it lost is found and queued again, and what
   * was in flight is looked up afresh (its transactions may be gone with the blocks).
   */
  private async checkForLostBlocks(): Promise<void> {
    const newest = this.newestRecorded;
    if (!newest || Date.now() - this.lostBlocksCheckedAt < LOST_BLOCKS_CHECK_MS) return;
    this.lostBlocksCheckedAt = Date.now();
    const block = await this.client.provider.getBlock(newest.blockNumber);
    if (block?.hash === newest.blockHash) return;
    this.options.logger.warn(
      { blockNumber: newest.blockNumber, expected: newest.blockHash, found: block?.hash ?? null },
      "the chain no longer has the block of the newest recorded event; reconciling",
    );
    this.inFlight.clear();
    this.nextNonce = undefined;
    this.newestRecorded = undefined;
    await this.reconcile(this.client.deployment.deploymentBlock);
  }

  private noteRecordedBlock(event: { blockNumber?: number; blockHash?: string }): void {
    if (event.blockNumber === undefined || !event.blockHash) return;
    if (this.newestRecorded && this.newestRecorded.blockNumber >= event.blockNumber) return;
    this.newestRecorded = { blockNumber: event.blockNumber, blockHash: event.blockHash };
  }

  private async run(): Promise<void> {
    let backoff = 500;
    while (this.running) {
      try {
        const worked = await this.step();
        this.state.chainReachable = true;
        this.state.consecutiveFailures = 0;
        backoff = 500;
        if (!worked) await this.sleep(1_000);
      } catch (error) {
        const coded = error instanceof LedgerError ? error : undefined;
        this.state.consecutiveFailures++;
        this.state.chainReachable = coded?.code !== "CHAIN_UNAVAILABLE";
        this.state.lastError = {
          code: coded?.code ?? "INTERNAL",
          message: (error as Error).message,
          at: new Date().toISOString(),
        };
        this.nextNonce = undefined;
        this.options.logger.warn({ err: error, backoffMs: backoff }, "submitter step failed; retrying");
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** One pass: returns false when there was nothing to do. */
  private async step(): Promise<boolean> {
    await this.checkForLostBlocks();
    await this.settleInFlight(false);
    if (this.inFlight.size === 0 && (await this.publishWarning())) return true;
    const maxInFlight = this.options.maxInFlight ?? 1;
    let events = await this.store.outboxEvents(this.options.batchSize * (maxInFlight + 1));
    this.options.metrics.outboxDepth.set(this.store.pendingCount);
    this.state.oldestPendingAcceptedAt = events[0]?.history[0]?.at;
    if (events.length === 0) return false;

    const tracked = new Set([...this.inFlight.values()].flatMap((f) => f.events.map((e) => e.key)));
    const submitted = events.filter((e) => e.state === "submitted" && !tracked.has(e.key));
    if (submitted.length) {
      await this.resolveSubmitted(submitted);
      return true;
    }
    if (this.inFlight.size >= maxInFlight) {
      await this.settleInFlight(true);
      return true;
    }
    const sendable = () => {
      const busy = new Set([...this.inFlight.values()].flatMap((f) => [...f.consignments]));
      return events.filter((e) => !tracked.has(e.key) && !busy.has(e.consignmentId.toLowerCase()));
    };
    let candidates = sendable();
    if (candidates.length === 0) {
      await this.settleInFlight(true);
      return true;
    }
    if (candidates.length < this.options.batchSize && this.options.batchWaitMs > 0 && this.inFlight.size === 0) {
      const age = Date.now() - Date.parse(candidates[0].history[0].at);
      if (age < this.options.batchWaitMs) {
        await this.sleep(this.options.batchWaitMs - age);
        events = await this.store.outboxEvents(this.options.batchSize * (maxInFlight + 1));
        candidates = sendable();
        if (candidates.length === 0) return true;
      }
    }
    await this.submitRun(leadingRun(candidates).slice(0, this.runLimit));
    return true;
  }

  /**
   * Publishes the oldest pending warning, if any: signed with its agency's key, sent, and waited for (warnings are
   * rare). One already on chain (sent before a crash) is only marked published, so none is published twice.
   */
  private async publishWarning(): Promise<boolean> {
    const [warning] = (await this.options.warnings?.pending()) ?? [];
    if (!warning) return false;
    const queue = this.options.warnings!;
    const published = (txHash?: string, blockNumber?: number) =>
      queue.update({ ...warning, state: "published", publishedAt: new Date().toISOString(), txHash, blockNumber });
    if (await this.client.isWarningPublished(warning.struct.warningId)) {
      await published(warning.txHash);
      return true;
    }
    const wallet = this.options.signerOf(warning.organizationId);
    if (!wallet) {
      const message = "this node no longer holds a signer key for the organization";
      await queue.update({ ...warning, state: "rejected", rejection: { code: "ORGANIZATION_NOT_HOSTED", message } });
      return true;
    }
    const deployment = { chainId: this.client.deployment.chainId, address: this.client.deployment.address };
    const digest = typedDataDigest(toWarningTypedData(deployment, warning.struct));
    const call: BatchCall = {
      type: "warning",
      items: [warning.struct],
      signatures: [signDigest(wallet.privateKey, wallet.address, digest)],
    };
    const estimated = await this.estimate(call);
    if ("revert" in estimated) {
      const { name, args } = estimated.revert;
      const rejection = {
        code: codeOfContractError(name),
        rule: name,
        message: `the contract refused it with ${name}(${args.map(String).join(", ")})`,
      };
      await queue.update({ ...warning, state: "rejected", rejection });
      return true;
    }
    const txHash = await this.sendSigned(call, estimated.gas, (hash) => queue.update({ ...warning, txHash: hash }));
    const outcome = await Promise.race([this.receiptOf(txHash), this.stopped]);
    if (outcome === "stopped") return true;
    if ("receipt" in outcome && outcome.receipt?.status === 1) {
      await published(txHash, outcome.receipt.blockNumber);
      return true;
    }
    // No receipt or a revert: the next pass looks on chain first, then tries again.
    throw new LedgerError("CHAIN_UNAVAILABLE", `no receipt for warning transaction ${txHash}`);
  }

  /**
   * Settles the transactions whose receipts have come; with `wait`, first waits for the oldest one. A receipt that
   * does not come in time leaves its events `submitted`, for resolveSubmitted.
   */
  private async settleInFlight(wait: boolean): Promise<void> {
    if (wait) {
      const oldest = this.inFlight.values().next().value;
      if (oldest) await Promise.race([oldest.outcome, this.stopped]);
    }
    for (const [hash, flight] of [...this.inFlight]) {
      if (!this.running) return;
      if (!flight.settled) continue;
      this.inFlight.delete(hash);
      const outcome = flight.settled;
      if ("error" in outcome || !outcome.receipt) {
        throw new LedgerError("CHAIN_UNAVAILABLE", `no receipt for ${hash}`, undefined, {
          cause: "error" in outcome ? outcome.error : undefined,
        });
      }
      if (outcome.receipt.status !== 1) {
        // The state moved between estimate and mining (another node's milestone): sign afresh next pass.
        await this.store.update(flight.events.map((e) => withState(e, "accepted", `transaction ${hash} reverted`)));
        continue;
      }
      await this.markRecorded(flight.events, outcome.receipt);
      this.runLimit = this.options.batchSize;
    }
  }

  /** Events sent in an earlier pass (or before a crash): find out what became of them. */
  private async resolveSubmitted(events: LedgerEvent[]): Promise<void> {
    const byTx = new Map<string, LedgerEvent[]>();
    for (const e of events) byTx.set(e.txHash!, [...(byTx.get(e.txHash!) ?? []), e]);
    for (const [txHash, group] of byTx) {
      const receipt = await this.client.receipt(txHash);
      if (receipt && receipt.status === 1) {
        await this.markRecorded(group, receipt);
        continue;
      }
      if (!receipt) {
        const pending = await this.client.provider.getTransaction(txHash).catch(() => null);
        const sentAt = Date.parse(group[0].history.at(-1)!.at);
        if (pending && Date.now() - sentAt < this.options.receiptTimeoutMs) {
          const mined = await Promise.race([this.receiptOf(txHash), this.stopped]);
          if (mined !== "stopped" && "receipt" in mined && mined.receipt?.status === 1) {
            await this.markRecorded(group, mined.receipt);
          }
          return;
        }
      }
      // Reverted, dropped, or lost with the blocks of a restarted chain: back to the outbox, signed afresh.
      await this.store.update(
        group.map((e) => withState(e, "accepted", receipt ? "transaction reverted" : "transaction not found")),
      );
    }
  }

  /** Estimates gas; a revert comes back decoded. A paused ledger is waited out, as a chain outage is. */
  private async estimate(call: BatchCall): Promise<{ gas: bigint } | { revert: ContractRevert }> {
    try {
      return { gas: await this.client.estimateGas(call) };
    } catch (error) {
      const revert = this.client.decodeRevert((error as { cause?: unknown }).cause ?? error);
      if (!revert) throw error;
      if (revert.name === "EnforcedPause") {
        throw new LedgerError("CHAIN_UNAVAILABLE", "the ledger is paused by governance; waiting", {
          rule: revert.name,
        });
      }
      return { revert };
    }
  }

  /** Signs with the next nonce, lets the caller store the transaction's hash, then broadcasts it. */
  private async sendSigned(call: BatchCall, gas: bigint, beforeBroadcast: (txHash: string) => Promise<void>) {
    const nonce = this.nextNonce ?? (await this.client.pendingNonce());
    const signedTx = await this.client.signTransaction(call, nonce, (gas * 12n) / 10n);
    await beforeBroadcast(signedTx.hash);
    await this.client.broadcast(signedTx.raw);
    this.nextNonce = nonce + 1;
    return signedTx.hash;
  }

  private async submitRun(run: LedgerEvent[]): Promise<void> {
    const prepared = await this.prepare(run);
    if (prepared.length === 0) return;
    const call = toBatchCall(prepared);

    const estimated = await this.estimate(call);
    if ("revert" in estimated) {
      const { name, index, args } = estimated.revert;
      await this.handleRevert(prepared, name, index, args);
      return;
    }

    let sent: LedgerEvent[] = [];
    // Written before broadcasting, so that after a crash the node knows to look for this transaction.
    const txHash = await this.sendSigned(call, estimated.gas, async (hash) => {
      sent = prepared.map((e) => ({ ...withState(e, "submitted", hash), txHash: hash, attempts: e.attempts + 1 }));
      await this.store.update(sent);
    });
    this.options.metrics.batchSize.observe(sent.length);

    const flight: InFlight = {
      events: sent,
      consignments: new Set(sent.map((e) => e.consignmentId.toLowerCase())),
      outcome: this.receiptOf(txHash).then((outcome) => (flight.settled = outcome)),
    };
    this.inFlight.set(txHash, flight);
  }

  /**
   * Signs the run: each node-signed milestone extends the head it reads now (or the previous milestone of the same
   * consignment in this run). Events that were sent before are first looked up in the logs.
   */
  private async prepare(run: LedgerEvent[]): Promise<LedgerEvent[]> {
    const heads = new Map<string, string>();
    const prepared: LedgerEvent[] = [];
    const recordedAlready: LedgerEvent[] = [];
    // Read every head before looking at any log: an old transaction landing in between then makes its retry stale.
    const ids = [...new Set(run.filter((e) => e.type !== "registration").map((e) => e.consignmentId))];
    const chainHeads = await Promise.all(ids.map(async (id) => (await this.client.readConsignment(id))?.head));
    ids.forEach((id, i) => heads.set(id, chainHeads[i] ?? "0x" + "00".repeat(32)));
    for (const event of run) {
      const id = event.consignmentId;
      if (event.attempts > 0 || event.txHash) {
        const found = await this.client.findRecorded(id, event.payloadHash, this.client.deployment.deploymentBlock);
        if (found) {
          recordedAlready.push({ ...withState(event, "recorded", "found in the chain's logs"), ...found });
          continue;
        }
      }
      if (event.clientSigned) {
        prepared.push(withState(event, "signed"));
        heads.set(id, event.digest!);
        continue;
      }
      const wallet = this.options.signerOf(event.organizationId);
      if (!wallet) {
        await this.reject(
          event,
          "ORGANIZATION_NOT_HOSTED",
          undefined,
          "this node no longer holds a signer key for the organization",
        );
        continue;
      }
      const signed = await signEvent(this.client, event, wallet, heads.get(id));
      heads.set(id, signed.digest!);
      prepared.push(signed);
    }
    if (recordedAlready.length) await this.finishRecorded(recordedAlready);
    if (prepared.length) await this.store.update(prepared);
    return prepared;
  }

  private async handleRevert(
    prepared: LedgerEvent[],
    name: string,
    index: number | undefined,
    args: unknown[],
  ): Promise<void> {
    if (index === undefined || index >= prepared.length) {
      if (prepared.length > 1) {
        // The error does not say which item: split the batch until a run of one shows it.
        this.runLimit = Math.max(1, Math.floor(prepared.length / 2));
        await this.store.update(prepared.map((e) => withState(e, "accepted", `batch refused with ${name}; splitting`)));
        return;
      }
      index = 0;
    }
    const bad = prepared[index];
    const rest = prepared
      .filter((_, i) => i !== index)
      .map((e) => withState(e, "accepted", "batch retried without a refused item"));
    const signingAgainHelps =
      !bad.clientSigned &&
      bad.attempts < MAX_STALE_RETRIES &&
      // Another node moved the consignment, or this node rotated the organization's key, since it was signed.
      (name === "StaleHead" ||
        (name === "SignerKeyRevoked" &&
          this.options.signerOf(bad.organizationId)?.address.toLowerCase() !== bad.signature?.signer.toLowerCase()));
    if (signingAgainHelps) {
      await this.store.update([
        ...rest,
        { ...withState(bad, "accepted", `${name}; signing again`), attempts: bad.attempts + 1 },
      ]);
      return;
    }
    await this.store.update(rest);
    await this.reject(
      bad,
      codeOfContractError(name),
      name,
      `the contract refused it with ${name}(${args.map(String).join(", ")})`,
    );
  }

  private async reject(event: LedgerEvent, code: string, rule: string | undefined, message: string): Promise<void> {
    const rejected = { ...withState(event, "rejected", code), rejection: { code, rule, message } };
    await this.store.update([rejected]);
    this.options.metrics.rejected.inc({ code });
    this.options.logger.warn({ eventKey: event.key, code, rule }, "the chain refused an event");
  }

  private async markRecorded(
    events: LedgerEvent[],
    receipt: {
      hash: string;
      blockNumber: number;
      blockHash: string;
      gasUsed: bigint;
      logs: readonly { address: string; index: number }[];
    },
  ): Promise<void> {
    const ours = receipt.logs.filter((l) => l.address.toLowerCase() === this.client.deployment.address.toLowerCase());
    // One log per item, in item order; anything else in the receipt would mean a different contract version.
    const recorded = events.map((e, i) => ({
      ...withState(e, "recorded", receipt.hash),
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      logIndex: ours[i]?.index,
    }));
    this.options.metrics.gasPerMilestone.observe(Number(receipt.gasUsed) / events.length);
    await this.finishRecorded(recorded);
  }

  private async finishRecorded(recorded: LedgerEvent[]): Promise<void> {
    await this.store.update(recorded);
    const now = Date.now();
    for (const e of recorded) {
      this.noteRecordedBlock(e);
      this.options.metrics.recorded.inc({ type: e.type });
      this.options.metrics.submitLatency.observe((now - Date.parse(e.history[0].at)) / 1000);
    }
    this.state.lastRecordedAt = new Date().toISOString();
    this.options.onRecorded?.(recorded);
  }

  /** Waits for a receipt without ever rejecting, so that losing a race against stop() leaves nothing unhandled. */
  private receiptOf(txHash: string): Promise<ReceiptOutcome> {
    return this.client
      .waitForReceipt(txHash, this.options.receiptTimeoutMs, () => !this.running)
      .then(
        (receipt) => ({ receipt }),
        (error: unknown) => ({ error }),
      );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}

type ReceiptOutcome = { receipt: TransactionReceipt | null } | { error: unknown };

interface InFlight {
  events: LedgerEvent[];
  consignments: Set<string>;
  outcome: Promise<ReceiptOutcome>;
  settled?: ReceiptOutcome;
}

/** The leading events that go in one transaction: same entry point, and a correction alone. */
export function leadingRun(events: LedgerEvent[]): LedgerEvent[] {
  const first = events[0];
  if (first.type === "correction") return [first];
  const run: LedgerEvent[] = [];
  for (const e of events) {
    if (e.type !== first.type) break;
    run.push(e);
  }
  return run;
}

async function signEvent(
  client: LedgerClient,
  event: LedgerEvent,
  wallet: Wallet,
  head: string | undefined,
): Promise<LedgerEvent> {
  const deployment = { chainId: client.deployment.chainId, address: client.deployment.address };
  let digest: string;
  let prevHash: string | undefined;
  if (event.type === "registration") {
    digest = registrationDigestOf(deployment, registrationStructOf(event));
  } else if (event.type === "correction") {
    prevHash = head!;
    digest = correctionDigestOf(deployment, correctionStructOf(event, prevHash));
  } else {
    prevHash = head!;
    digest = milestoneDigestOf(deployment, milestoneStructOf(event, prevHash));
  }
  const signature = signDigest(wallet.privateKey, wallet.address, digest);
  return { ...withState(event, "signed"), signature, digest, ...(prevHash ? { prevHash } : {}) };
}

function toBatchCall(events: LedgerEvent[]): Exclude<BatchCall, { type: "warning" }> {
  const signatures = events.map((e) => e.signature!);
  switch (events[0].type) {
    case "registration":
      return { type: "registrations", items: events.map(registrationStructOf), signatures };
    case "correction":
      return {
        type: "correction",
        items: [correctionStructOf(events[0], events[0].prevHash!)],
        signatures: [signatures[0]],
      };
    case "milestone":
      return { type: "milestones", items: events.map((e) => milestoneStructOf(e, e.prevHash!)), signatures };
  }
}
