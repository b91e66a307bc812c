/**
 * Documents this node holds for milestones other nodes recorded: fetched from the posting node, checked against the
 * chain's payload hash, then kept here. Also the durable queue of documents still to fetch. Together with the
 * node's own events this answers "which document has this hash", whoever posted it.
 */
import type { JsonValue } from "../domain/payloadHash";
import type { LedgerStore, Sub } from "./ledgerStore";

export interface FetchedDocument {
  document: JsonValue;
  fetchedFrom: string;
  fetchedAt: string;
}

export interface FetchTask {
  consignmentId: string;
  payloadHash: string;
  /** The index position of the milestone, for its facts. */
  position: string;
  /** The organization whose node holds the document: the milestone's signer's. */
  holderOrganizationId: number;
  /** The hosted organization this node asks as. */
  requesterOrganizationId: number;
  attempts: number;
  nextAttemptAt: number;
  enqueuedAt: string;
  lastError?: string;
}

const taskKey = (consignmentId: string, payloadHash: string) =>
  `${consignmentId.toLowerCase()}!${payloadHash.toLowerCase()}`;

export class FederationStore {
  private readonly documents: Sub<FetchedDocument>;
  private readonly references: Sub<string>;
  private readonly queue: Sub<FetchTask>;
  private readonly meta: Sub<unknown>;
  private fetchedCount = 0;

  constructor(private readonly store: LedgerStore) {
    this.documents = store.sublevel("fed-documents");
    this.references = store.sublevel("fed-references");
    this.queue = store.sublevel("fed-queue");
    this.meta = store.sublevel("fed-meta");
  }

  /** The document with this hash: one this node accepted itself, or one it fetched from a peer. */
  async documentOf(payloadHash: string): Promise<JsonValue | undefined> {
    const own = await this.store.eventByPayloadHash(payloadHash);
    if (own) return own.document as JsonValue;
    const fetched = await this.store.guard("read a fetched document", () =>
      this.documents.get(payloadHash.toLowerCase()),
    );
    return fetched?.document;
  }

  /** The consignor's reference of a registration, which the chain holds only as a hash. */
  async referenceOf(consignmentId: string, registrationPayloadHash: string): Promise<string | undefined> {
    const own = await this.store.eventByPayloadHash(registrationPayloadHash);
    if (own?.registration && own.consignmentId.toLowerCase() === consignmentId.toLowerCase()) {
      return own.registration.reference;
    }
    return this.store.guard("read a fetched reference", () => this.references.get(consignmentId.toLowerCase()));
  }

  /** Stores a fetched document (and reference) and removes its task, in one batch. */
  async storeFetched(
    task: Pick<FetchTask, "consignmentId" | "payloadHash">,
    document: FetchedDocument,
    reference?: string,
  ): Promise<void> {
    const batch = this.store.batch();
    batch.put(task.payloadHash.toLowerCase(), document, { sublevel: this.documents });
    if (reference !== undefined) batch.put(task.consignmentId.toLowerCase(), reference, { sublevel: this.references });
    batch.del(taskKey(task.consignmentId, task.payloadHash), { sublevel: this.queue });
    await this.store.guard("store a fetched document", () => batch.write({ sync: true }));
    this.fetchedCount++;
  }

  /** Grows whenever the documents a verdict could check change: one fetched, or one of the node's own rewritten. */
  get documentsVersion(): number {
    return this.fetchedCount + this.store.documentsRewritten;
  }

  async hasTask(consignmentId: string, payloadHash: string): Promise<boolean> {
    return (
      (await this.store.guard("read the fetch queue", () => this.queue.get(taskKey(consignmentId, payloadHash)))) !==
      undefined
    );
  }

  async putTasks(tasks: FetchTask[]): Promise<void> {
    if (!tasks.length) return;
    const batch = this.store.batch();
    for (const task of tasks) batch.put(taskKey(task.consignmentId, task.payloadHash), task, { sublevel: this.queue });
    await this.store.guard("write the fetch queue", () => batch.write({ sync: true }));
  }

  async dropTask(task: Pick<FetchTask, "consignmentId" | "payloadHash">): Promise<void> {
    await this.store.guard("write the fetch queue", () =>
      this.queue.del(taskKey(task.consignmentId, task.payloadHash)),
    );
  }

  async tasks(limit = 100_000): Promise<FetchTask[]> {
    return this.store.guard("read the fetch queue", () => this.queue.values({ limit }).all());
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.store.guard("read federation state", async () => (await this.meta.get(key)) as T | undefined);
  }

  async putMeta(key: string, value: unknown): Promise<void> {
    await this.store.guard("write federation state", () => this.meta.put(key, value));
  }
}
