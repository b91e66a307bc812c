/**
 * Fetches, from the node that posted it, the document of every indexed milestone this node's organizations may
 * see (maySeeDocuments). It follows the index's feed with a durable cursor, queues what it lacks in LevelDB, asks
 * the holder's published endpoint with a peer credential signed by the asking organization's key, checks the
 * document against the payload hash the chain recorded, and only then stores it. A peer that is down, or has not
 * indexed the milestone yet, is asked again later with exponential backoff; nothing is dropped.
 */
import type { Logger } from "pino";
import { LedgerError } from "../errors";
import { maySeeDocuments } from "../domain/consignmentIndex";
import type { IndexedMilestone } from "../domain/consignmentIndex";
import { referenceHashOf } from "../domain/consignmentId";
import type { LedgerDeployment, TypedDataSigner } from "../domain/eip712";
import { payloadHashOf } from "../domain/payloadHash";
import type { JsonValue } from "../domain/payloadHash";
import { peerAuthorization } from "../domain/peerRequests";
import type { OrganizationKind } from "../domain/milestoneKinds";
import type { FederationStore, FetchTask } from "../storage/federationStore";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { LedgerMetrics } from "../telemetry/metrics";
import { BackgroundWork } from "../backgroundWork";

export interface DocumentFetcherPorts {
  index: LedgerIndex;
  documents: FederationStore;
  deployment: LedgerDeployment;
  hostedOrganizations(): Array<{ id: number; kind: OrganizationKind; country: string }>;
  signerOf(organizationId: number): TypedDataSigner | undefined;
  logger: Logger;
  metrics?: LedgerMetrics;
  retryMaxMs: number;
  requestTimeoutMs?: number;
}

export const peerDocumentPath = (consignmentId: string, payloadHash: string) =>
  `/v1/peer/consignments/${consignmentId.toLowerCase()}/documents/${payloadHash.toLowerCase()}`;

const FEED_PAGE = 500;
const CONCURRENCY = 4;

export class DocumentFetcher {
  private readonly work: BackgroundWork;
  private unsubscribe: (() => void) | undefined;
  private lastError: string | undefined;
  private fetched = 0;

  constructor(private readonly ports: DocumentFetcherPorts) {
    this.work = new BackgroundWork({
      run: () => this.pass(),
      nextWakeMs: async () => {
        const tasks = await this.ports.documents.tasks();
        return Math.max(50, Math.min(...tasks.map((t) => t.nextAttemptAt), Date.now() + 5_000) - Date.now());
      },
      failed: (error) => this.ports.logger.warn({ err: error }, "fetching documents from peers failed"),
    });
  }

  start(): void {
    this.unsubscribe ??= this.ports.index.onAppended(() => this.work.wake());
    this.work.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.work.stop();
  }

  /** Look again now: a hosted organization was added, or a test wants the queue worked. */
  poke(): void {
    this.work.wake();
  }

  async status() {
    const tasks = await this.ports.documents.tasks();
    return {
      queued: tasks.length,
      fetched: this.fetched,
      lastError: this.lastError,
      oldest: tasks.reduce<string | undefined>((o, t) => (!o || t.enqueuedAt < o ? t.enqueuedAt : o), undefined),
    };
  }

  /** One pass: queue what the feed brought, then fetch what is due. */
  runOnce(): Promise<void> {
    return this.work.runOnce();
  }

  private async pass(): Promise<void> {
    await this.queueFromFeed();
    const due = (await this.ports.documents.tasks()).filter((t) => t.nextAttemptAt <= Date.now());
    for (let i = 0; i < due.length; i += CONCURRENCY) {
      await Promise.all(due.slice(i, i + CONCURRENCY).map((task) => this.fetch(task)));
    }
  }

  private async queueFromFeed(): Promise<void> {
    let cursor = (await this.ports.documents.getMeta<number>("feedCursor")) ?? 0;
    for (;;) {
      const entries = await this.ports.index.feedAfter(cursor, FEED_PAGE);
      if (!entries.length) return;
      for (const entry of entries) {
        if (entry.type === "milestone.recorded" && !(await this.holds(entry.milestone)))
          await this.queue(entry.milestone);
      }
      cursor = entries.at(-1)!.seq;
      await this.ports.documents.putMeta("feedCursor", cursor);
    }
  }

  /**
   * Queues a milestone whose document this node lacks, if one of its organizations may see it. The first time an
   * organization may see a consignment (a milestone in its country makes it a transit border), the consignment's
   * earlier documents are queued too.
   */
  private async queue(entry: IndexedMilestone): Promise<void> {
    const consignmentId = entry.milestone.consignmentId.toLowerCase();
    const consignment = await this.ports.index.consignment(consignmentId);
    if (!consignment) return;
    const requester = this.ports
      .hostedOrganizations()
      .find((org) => maySeeDocuments(org, consignment) && this.ports.signerOf(org.id));
    if (!requester) return;
    const sweptKey = `swept/${requester.id}/${consignmentId}`;
    const swept = await this.ports.documents.getMeta<boolean>(sweptKey);
    const candidates = swept ? [entry] : await this.ports.index.milestonesOf(consignmentId);
    const tasks: FetchTask[] = [];
    for (const candidate of candidates) {
      const m = candidate.milestone;
      if (candidate !== entry && (await this.holds(candidate))) continue;
      if (await this.ports.documents.hasTask(consignmentId, m.payloadHash)) continue;
      tasks.push({
        consignmentId,
        payloadHash: m.payloadHash.toLowerCase(),
        position: candidate.position,
        holderOrganizationId: candidate.organizationId,
        requesterOrganizationId: requester.id,
        attempts: 0,
        nextAttemptAt: Date.now(),
        enqueuedAt: new Date().toISOString(),
      });
    }
    await this.ports.documents.putTasks(tasks);
    if (!swept) await this.ports.documents.putMeta(sweptKey, true);
  }

  private async holds(entry: IndexedMilestone): Promise<boolean> {
    return (await this.ports.documents.documentOf(entry.milestone.payloadHash)) !== undefined;
  }

  private async fetch(task: FetchTask): Promise<void> {
    const { index, documents } = this.ports;
    const entry = await index.milestoneAt(task.position);
    if (!entry) return documents.dropTask(task); // retracted by a reorganisation
    if (await this.holds(entry)) return documents.dropTask(task);
    try {
      const holder = index.organization(task.holderOrganizationId);
      if (!holder?.endpoint) {
        throw new LedgerError(
          "DOCUMENT_NOT_AVAILABLE",
          `organization ${task.holderOrganizationId} publishes no endpoint`,
        );
      }
      const signer = this.ports.signerOf(task.requesterOrganizationId);
      if (!signer)
        throw new LedgerError("FORBIDDEN", `organization ${task.requesterOrganizationId} has no active key here`);
      const path = peerDocumentPath(task.consignmentId, task.payloadHash);
      const authorization = await peerAuthorization(signer, this.ports.deployment, {
        organizationId: task.requesterOrganizationId,
        method: "GET",
        path,
        issuedAt: Math.floor(Date.now() / 1000),
      });
      const response = await fetch(holder.endpoint.replace(/\/$/, "") + path, {
        headers: { authorization, accept: "application/json" },
        signal: AbortSignal.timeout(this.ports.requestTimeoutMs ?? 10_000),
      });
      const body = (await response.json().catch(() => undefined)) as
        { document?: JsonValue; reference?: string; error?: { code: string; message: string } } | undefined;
      if (!response.ok || body?.document === undefined) {
        throw new Error(
          `${holder.endpoint} answered ${response.status} ${body?.error?.code ?? ""} ${body?.error?.message ?? ""}`.trim(),
        );
      }
      if (payloadHashOf(body.document).toLowerCase() !== task.payloadHash) {
        this.ports.metrics?.documentFetches.inc({ outcome: "hash_mismatch" });
        throw new Error(`${holder.endpoint} sent a document whose hash is not the one on chain; not stored`);
      }
      const registration = entry.milestone.registration;
      let reference: string | undefined;
      if (registration && body.reference !== undefined) {
        if (referenceHashOf(body.reference).toLowerCase() !== registration.referenceHash.toLowerCase()) {
          throw new Error(`${holder.endpoint} sent a reference whose hash is not the one on chain; not stored`);
        }
        reference = body.reference;
      }
      await documents.storeFetched(
        task,
        { document: body.document, fetchedFrom: holder.endpoint, fetchedAt: new Date().toISOString() },
        reference,
      );
      this.fetched++;
      this.ports.metrics?.documentFetches.inc({ outcome: "stored" });
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      this.ports.metrics?.documentFetches.inc({ outcome: "failed" });
      if (task.attempts === 0)
        this.ports.logger.info({ task: task.position, error: message }, "document fetch failed; will retry");
      this.lastError = message;
      const delay = Math.min(this.ports.retryMaxMs, 500 * 2 ** task.attempts) * (0.75 + Math.random() / 2);
      await documents.putTasks([
        { ...task, attempts: task.attempts + 1, nextAttemptAt: Date.now() + delay, lastError: message },
      ]);
    }
  }
}
