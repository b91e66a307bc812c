/**
 * The node's durable state in LevelDB: events, the outbox, idempotency records, API keys, hosted organizations and
 * small metadata. Every acceptance is one synced batch, so an acknowledged event survives a crash. LevelDB errors
 * become STORE_UNAVAILABLE at this boundary.
 */
import { Level } from "level";
import type { AbstractSublevel } from "abstract-level";
import { LedgerError } from "../errors";
import type { IdempotencyRecord, LedgerEvent } from "../domain/ledgerEvent";
import { PENDING_STATES } from "../domain/ledgerEvent";
import { lifecycleEntryOf } from "../domain/feedEntries";
import type { FeedEntry } from "../domain/feedEntries";
import { LedgerFeed } from "./ledgerFeed";

export interface ApiKeyRecord {
  keyId: string;
  secretHash: string;
  organizationId: number; // 0: the node operator, not bound to a member organization
  role: "submitter" | "reader" | "admin";
  label: string;
  createdAt: string;
  revokedAt?: string;
}

export interface HostedSigner {
  address: string;
  keystoreFile: string;
  createdAt: string;
  revokedAt?: string;
}

export interface HostedOrganization {
  id: number;
  name: string;
  kind: number;
  country: string;
  signers: HostedSigner[];
}

export type Sub<V> = AbstractSublevel<Level<string, unknown>, string | Buffer | Uint8Array, string, V>;

/** Runs a LevelDB operation; its failure becomes STORE_UNAVAILABLE, the code every caller of the store handles. */
export type StoreGuard = <T>(what: string, operation: () => Promise<T>) => Promise<T>;

/** Why the store failed, for the one line the node stops with. */
export interface StoreFailure {
  what: string;
  cause: string;
}

const SEQ_WIDTH = 16;
const seqKey = (seq: number): string => String(seq).padStart(SEQ_WIDTH, "0");

export class LedgerStore {
  private readonly db: Level<string, unknown>;
  private readonly events: Sub<LedgerEvent>;
  private readonly outbox: Sub<string>;
  private readonly idempotency: Sub<IdempotencyRecord>;
  private readonly apiKeys: Sub<ApiKeyRecord>;
  private readonly organizations: Sub<HostedOrganization>;
  private readonly meta: Sub<unknown>;
  /** payloadHash -> event key: finds this node's document for a milestone read from the chain. */
  private readonly byPayloadHash: Sub<string>;
  private lastSeq = 0;
  private documentRewrites = 0;
  private readonly failureListeners = new Set<(failure: StoreFailure) => void>();
  /** The feed of changes; each state change of an event is announced in the batch that makes it. */
  readonly feed: LedgerFeed;
  /** Pending (not yet recorded or rejected) events by consignment, in seq order: the node's projection needs them. */
  private readonly pendingByConsignment = new Map<string, LedgerEvent[]>();

  constructor(readonly location: string) {
    this.db = new Level<string, unknown>(location, { valueEncoding: "json" });
    const sub = <V>(name: string): Sub<V> => this.db.sublevel<string, V>(name, { valueEncoding: "json" });
    this.events = sub<LedgerEvent>("events");
    this.outbox = sub<string>("outbox");
    this.idempotency = sub<IdempotencyRecord>("idempotency");
    this.apiKeys = sub<ApiKeyRecord>("apiKeys");
    this.organizations = sub<HostedOrganization>("organizations");
    this.meta = sub<unknown>("meta");
    this.byPayloadHash = sub<string>("byPayloadHash");
    this.feed = new LedgerFeed(sub<FeedEntry>("feed"), this.guard);
  }

  /** A named part of the same database, for the index, federation and subscription stores. */
  sublevel<V>(name: string): Sub<V> {
    return this.db.sublevel<string, V>(name, { valueEncoding: "json" });
  }

  /** A batch over the whole database: writes to several sublevels land together or not at all. */
  batch() {
    return this.db.batch();
  }

  async open(): Promise<void> {
    await this.guard("open", () => this.db.open());
    await this.feed.load();
    for await (const [, event] of this.events.iterator()) {
      this.lastSeq = Math.max(this.lastSeq, event.seq);
      if (PENDING_STATES.includes(event.state)) this.trackPending(event);
    }
  }

  async close(): Promise<void> {
    if (this.db.status === "open") await this.db.close();
  }

  get isOpen(): boolean {
    return this.db.status === "open";
  }

  /** A cheap read that fails when the store does: for /readyz. */
  async ping(): Promise<void> {
    await this.guard("ping", () => this.meta.get("ping"));
  }

  nextSeq(): number {
    return ++this.lastSeq;
  }

  // ------------------------------------------------------------------ events

  /** Stores new events, their outbox entries and idempotency records in one synced batch. */
  async accept(events: LedgerEvent[], idempotency: IdempotencyRecord[]): Promise<void> {
    const batch = this.db.batch();
    for (const event of events) {
      batch.put(event.key, event, { sublevel: this.events });
      batch.put(seqKey(event.seq), event.key, { sublevel: this.outbox });
      batch.put(event.payloadHash.toLowerCase(), event.key, { sublevel: this.byPayloadHash });
    }
    for (const record of idempotency) batch.put(record.key, record, { sublevel: this.idempotency });
    const at = new Date().toISOString();
    await this.feed.commit(
      "accept",
      batch,
      events.map((e) => lifecycleEntryOf(e, at)),
    );
    for (const event of events) this.trackPending(event);
  }

  /** Writes new states of events; final ones leave the outbox. A change of state is announced on the feed. */
  async update(events: LedgerEvent[]): Promise<void> {
    const batch = this.db.batch();
    const at = new Date().toISOString();
    const changed = events.filter((e) => this.pendingVersion(e)?.state !== e.state);
    for (const event of events) {
      batch.put(event.key, event, { sublevel: this.events });
      if (PENDING_STATES.includes(event.state)) batch.put(seqKey(event.seq), event.key, { sublevel: this.outbox });
      else batch.del(seqKey(event.seq), { sublevel: this.outbox });
    }
    await this.feed.commit(
      "update",
      batch,
      changed.map((e) => lifecycleEntryOf(e, at)),
    );
    for (const event of events) this.trackPending(event);
  }

  async event(key: string): Promise<LedgerEvent | undefined> {
    return this.guard("read event", () => this.events.get(key));
  }

  async eventByPayloadHash(payloadHash: string): Promise<LedgerEvent | undefined> {
    const key = await this.guard("read the payload index", () => this.byPayloadHash.get(payloadHash.toLowerCase()));
    return key ? this.event(key) : undefined;
  }

  /** Replaces a stored document, as only a test of tamper detection should. */
  async overwriteDocumentForTest(key: string, document: LedgerEvent["document"]): Promise<void> {
    const event = await this.event(key);
    if (!event) throw new Error(`no event ${key}`);
    await this.putSynced(this.events, key, { ...event, document });
    this.documentRewrites++;
  }

  /** Grows when a stored document is replaced (only a tamper test does that). */
  get documentsRewritten(): number {
    return this.documentRewrites;
  }

  async idempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    return this.guard("read idempotency", () => this.idempotency.get(key));
  }

  /** Pending events in seq order, at most `limit`. */
  async outboxEvents(limit: number): Promise<LedgerEvent[]> {
    const keys = await this.guard("read outbox", () => this.outbox.values({ limit }).all());
    const events = await this.guard("read outbox events", () => this.events.getMany(keys));
    return events.filter((e): e is LedgerEvent => e !== undefined);
  }

  get pendingCount(): number {
    let n = 0;
    for (const list of this.pendingByConsignment.values()) n += list.length;
    return n;
  }

  /** Events recorded at or after `fromBlock`, for reconciliation with a chain that may have lost blocks. */
  async recordedSince(fromBlock: number): Promise<LedgerEvent[]> {
    const found: LedgerEvent[] = [];
    for await (const [, event] of this.events.iterator()) {
      if (event.state === "recorded" && (event.blockNumber ?? 0) >= fromBlock) found.push(event);
    }
    return found;
  }

  pendingFor(consignmentId: string): readonly LedgerEvent[] {
    return this.pendingByConsignment.get(consignmentId.toLowerCase()) ?? [];
  }

  /** The stored version of an event that is still pending; undefined once it is final. */
  private pendingVersion(event: LedgerEvent): LedgerEvent | undefined {
    return this.pendingFor(event.consignmentId).find((e) => e.key === event.key);
  }

  private trackPending(event: LedgerEvent): void {
    const id = event.consignmentId.toLowerCase();
    const list = (this.pendingByConsignment.get(id) ?? []).filter((e) => e.key !== event.key);
    if (PENDING_STATES.includes(event.state)) {
      list.push(event);
      list.sort((a, b) => a.seq - b.seq);
    }
    if (list.length) this.pendingByConsignment.set(id, list);
    else this.pendingByConsignment.delete(id);
  }

  // ------------------------------------------------------------------ API keys, organizations, metadata

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    await this.guard("write API key", () => this.putSynced(this.apiKeys, record.keyId, record));
  }

  async apiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.guard("read API key", () => this.apiKeys.get(keyId));
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.guard("list API keys", () => this.apiKeys.values().all());
  }

  async putOrganization(org: HostedOrganization): Promise<void> {
    await this.guard("write organization", () => this.putSynced(this.organizations, String(org.id), org));
  }

  async organization(id: number): Promise<HostedOrganization | undefined> {
    return this.guard("read organization", () => this.organizations.get(String(id)));
  }

  async listOrganizations(): Promise<HostedOrganization[]> {
    return this.guard("list organizations", () => this.organizations.values().all());
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.guard("read metadata", async () => (await this.meta.get(key)) as T | undefined);
  }

  async putMeta(key: string, value: unknown): Promise<void> {
    await this.guard("write metadata", () => this.putSynced(this.meta, key, value));
  }

  private putSynced<V>(sublevel: Sub<V>, key: string, value: V): Promise<void> {
    return this.db.batch().put(key, value, { sublevel }).write({ sync: true });
  }

  /**
   * Every LevelDB operation of the node goes through here (the index, federation and subscription stores too). A
   * failure of an open database (disk full, read-only, I/O error, corruption) is told to the listeners: LevelDB
   * refuses every later write after a failed one, so the node stops rather than run half-broken.
   */
  readonly guard: StoreGuard = async (what, operation) => {
    try {
      return await operation();
    } catch (cause) {
      if (this.db.status === "open") {
        const failure = { what, cause: describeCause(cause) };
        for (const listener of this.failureListeners) listener(failure);
      }
      throw new LedgerError("STORE_UNAVAILABLE", `the store failed to ${what}`, undefined, { cause });
    }
  };

  /** Called once per failed operation of the open store. */
  onFailure(listener: (failure: StoreFailure) => void): void {
    this.failureListeners.add(listener);
  }
}

function describeCause(cause: unknown): string {
  const inner = (cause as { cause?: unknown })?.cause;
  const message = (cause as Error)?.message ?? String(cause);
  return inner instanceof Error && !message.includes(inner.message) ? `${message} (${inner.message})` : message;
}
