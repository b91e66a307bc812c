/**
 * The index every node keeps of the whole chain, in LevelDB beside its own events: milestones in chain order and by
 * consignment, organization, country, kind and time; each consignment's state; the directory of organizations
 * (with their published endpoints) and keys; and the feed that SSE clients, webhooks and the document fetcher
 * follow. Each block range is applied in one synced batch together with the cursor, so a crash leaves the index
 * either before or after it, never half-way. Each change also writes how to undo it, by block, so a chain
 * reorganisation rolls the index back to the fork point.
 */
import { applyGovernanceChange } from "../domain/ledgerDirectory";
import type { AdvisoryChange, LedgerRecord } from "../domain/ledgerDirectory";
import type { AgencyWarning, Emergency } from "../domain/emergencies";
import { advanceConsignment, kindOf, positionOf } from "../domain/consignmentIndex";
import type { IndexedConsignment, IndexedMilestone } from "../domain/consignmentIndex";
import type { ChainFeedEntry, FeedEntry, UnnumberedEntry } from "../domain/feedEntries";
export type { FeedEntry, FeedEntryType } from "../domain/feedEntries";
import { countryOfLocation } from "../domain/locationCodes";
import type { OrganizationKind } from "../domain/milestoneKinds";
import type { KeyHistory } from "../domain/verification";
import type { LedgerStore, Sub } from "./ledgerStore";

export interface IndexedOrganization {
  id: number;
  kind: OrganizationKind;
  country: string;
  name: string;
  active: boolean;
  /** The URL its node serves documents to peers at; published on chain. */
  endpoint?: string;
}

export interface IndexCursor {
  /** The last block fully indexed. */
  blockNumber: number;
  blockHash?: string;
}

/** The secondary indexes; each key is `<value>!<position>`, so one value's milestones list in chain order. */
export const SECONDARY_INDEXES = ["consignment", "organization", "country", "kind", "occurredAt"] as const;
export type SecondaryIndex = (typeof SECONDARY_INDEXES)[number];

const UNDO_WINDOW_BLOCKS = 1024;
const PRUNE_EVERY = 64;
const CONSIGNMENTS_CACHED = 50_000;
const pad = (n: number, width: number) => String(n).padStart(width, "0");
const blockKey = (n: number) => pad(n, 12);

export function secondaryKeyOf(index: SecondaryIndex, entry: IndexedMilestone): string {
  const m = entry.milestone;
  switch (index) {
    case "consignment":
      return m.consignmentId.toLowerCase();
    case "organization":
      return pad(entry.organizationId, 10);
    case "country":
      return entry.country;
    case "kind":
      return pad(kindOf(m), 2);
    case "occurredAt":
      return pad(m.occurredAt, 12);
  }
}

interface UndoStep {
  sublevel: string;
  key: string;
  /** null: the key did not exist before. */
  previous: unknown;
}

export class LedgerIndex {
  private readonly milestones: Sub<IndexedMilestone>;
  private readonly secondary: Record<SecondaryIndex, Sub<string>>;
  private readonly consignments: Sub<IndexedConsignment>;
  private readonly organizations: Sub<IndexedOrganization>;
  private readonly keys: Sub<KeyHistory>;
  private readonly warnings: Sub<AgencyWarning>;
  private readonly emergencies: Sub<Emergency>;
  private readonly undo: Sub<UndoStep>;
  private readonly checkpoints: Sub<string>;
  private readonly meta: Sub<unknown>;
  private readonly byName: Map<string, Sub<unknown>>;
  private appliesSincePrune = 0;
  private directoryChanges = 0;
  /** Recently read or written consignments: the verification API asks for one on every request. */
  private readonly consignmentCache = new Map<string, IndexedConsignment>();
  private cursorValue: IndexCursor | undefined;
  /** The directory, in memory: verification and peer checks read it on every request. */
  private directoryValue: { keys: Map<string, KeyHistory>; organizations: Map<number, IndexedOrganization> } = {
    keys: new Map(),
    organizations: new Map(),
  };
  /** Every warning and emergency ever anchored, in memory: the risk engine reads them for every consignment. */
  private advisoriesValue: { warnings: Map<string, AgencyWarning>; emergencies: Map<string, Emergency> } = {
    warnings: new Map(),
    emergencies: new Map(),
  };

  constructor(private readonly store: LedgerStore) {
    this.milestones = store.sublevel("ix-milestones");
    this.secondary = Object.fromEntries(
      SECONDARY_INDEXES.map((name) => [name, store.sublevel<string>(`ix-by-${name}`)]),
    ) as Record<SecondaryIndex, Sub<string>>;
    this.consignments = store.sublevel("ix-consignments");
    this.organizations = store.sublevel("ix-organizations");
    this.keys = store.sublevel("ix-keys");
    this.undo = store.sublevel("ix-undo");
    this.checkpoints = store.sublevel("ix-checkpoints");
    this.meta = store.sublevel("ix-meta");
    this.warnings = store.sublevel("ix-warnings");
    this.emergencies = store.sublevel("ix-emergencies");
    this.byName = new Map<string, Sub<unknown>>([
      ["milestones", this.milestones as Sub<unknown>],
      ["consignments", this.consignments as Sub<unknown>],
      ["organizations", this.organizations as Sub<unknown>],
      ["keys", this.keys as Sub<unknown>],
      ["warnings", this.warnings as Sub<unknown>],
      ["emergencies", this.emergencies as Sub<unknown>],
      ...SECONDARY_INDEXES.map((name) => [`by-${name}`, this.secondary[name] as Sub<unknown>] as const),
    ]);
  }

  /** Loads the cursor, the feed's last number and the directory. Call once the store is open. */
  async load(): Promise<void> {
    this.cursorValue = (await this.read("read the index cursor", () => this.meta.get("cursor"))) as IndexCursor;
    await this.loadDirectory();
  }

  /** Called after every committed batch that appended to the feed; returns the unsubscribe function. */
  onAppended(listener: (entries: FeedEntry[]) => void): () => void {
    return this.store.feed.onAppended(listener);
  }

  get cursor(): IndexCursor | undefined {
    return this.cursorValue;
  }

  get lastFeedSeq(): number {
    return this.store.feed.lastSeq;
  }

  get directory(): { keys: Map<string, KeyHistory>; organizations: Map<number, IndexedOrganization> } {
    return this.directoryValue;
  }

  /** Grows whenever an organization or key changes: what was verified against the directory before may differ. */
  get directoryVersion(): number {
    return this.directoryChanges;
  }

  get warningList(): AgencyWarning[] {
    return [...this.advisoriesValue.warnings.values()];
  }

  get emergencyList(): Emergency[] {
    return [...this.advisoriesValue.emergencies.values()];
  }

  organization(id: number): IndexedOrganization | undefined {
    return this.directoryValue.organizations.get(id);
  }

  keyOf(signer: string): KeyHistory | undefined {
    return this.directoryValue.keys.get(signer.toLowerCase());
  }

  // ------------------------------------------------------------------ writing

  /**
   * Applies the contract's records of blocks (cursor, to.blockNumber] and moves the cursor to `to`, in one batch.
   * Returns the feed entries it appended.
   */
  async apply(records: readonly LedgerRecord[], to: IndexCursor): Promise<FeedEntry[]> {
    const batch = this.store.batch();
    const pending = new Map<string, unknown>();
    let undoCount = 0;
    const current = async <V>(name: string, key: string): Promise<V | undefined> => {
      const id = `${name}\u0000${key}`;
      if (pending.has(id)) return (pending.get(id) ?? undefined) as V | undefined;
      return (await this.read("read the index", () => this.byName.get(name)!.get(key))) as V | undefined;
    };
    const put = async (name: string, key: string, value: unknown, block: number, isNew = false) => {
      const previous = isNew ? undefined : await current(name, key);
      batch.put(
        `${blockKey(block)}!${pad(undoCount++, 8)}`,
        { sublevel: name, key, previous: previous ?? null },
        { sublevel: this.undo },
      );
      batch.put(key, value, { sublevel: this.byName.get(name)! });
      pending.set(`${name}\u0000${key}`, value);
    };

    const entries: UnnumberedEntry[] = [];
    const at = new Date().toISOString();
    const directory = cloneDirectory(this.directoryValue);
    const advisories = {
      warnings: new Map(this.advisoriesValue.warnings),
      emergencies: new Map(this.advisoriesValue.emergencies),
    };
    for (const record of records) {
      if (record.type === "governance") {
        const change = record.change;
        this.directoryChanges++;
        applyGovernanceChange(directory, change, record.blockTime);
        if (change.name === "SignerAdded" || change.name === "SignerRevoked") {
          const key = directory.keys.get(change.signer);
          if (key) await put("keys", change.signer, key, record.blockNumber);
        } else {
          // A registration leaves only kind, country and name; the rest starts here.
          const known: Partial<IndexedOrganization> | undefined = directory.organizations.get(change.organizationId);
          if (!known) continue;
          const org = { ...known, id: change.organizationId, active: known.active ?? true } as IndexedOrganization;
          if (change.name === "OrganizationActiveChanged") org.active = change.active;
          if (change.name === "OrganizationEndpointPublished") org.endpoint = change.endpoint || undefined;
          directory.organizations.set(change.organizationId, org);
          await put("organizations", String(change.organizationId), org, record.blockNumber);
        }
        continue;
      }
      if (record.type === "advisory") {
        const applied = applyAdvisoryChange(advisories, record.change, record.blockTime);
        if (!applied) continue;
        if ("warningId" in applied) {
          await put("warnings", applied.warningId, applied, record.blockNumber);
          entries.push({ type: "warning.published", at, warning: applied });
        } else {
          await put("emergencies", applied.emergencyId, applied, record.blockNumber);
          const type = record.change.name === "EmergencyEnded" ? "emergency.ended" : "emergency.declared";
          entries.push({ type, at, emergency: applied });
        }
        continue;
      }
      const m = record.milestone;
      const consignmentId = m.consignmentId.toLowerCase();
      const organizationId = directory.keys.get(m.signer.toLowerCase())?.organizationId ?? 0;
      const before = await current<IndexedConsignment>("consignments", consignmentId);
      const after = advanceConsignment(before, m, organizationId);
      if (!after) continue;
      const entry: IndexedMilestone = {
        position: positionOf(record.blockNumber, record.logIndex),
        milestone: { ...m, consignmentId },
        organizationId,
        country: countryOfLocation(m.location),
        flags: after.flags,
      };
      await put("milestones", entry.position, entry, record.blockNumber, true);
      for (const index of SECONDARY_INDEXES) {
        await put(
          `by-${index}`,
          `${secondaryKeyOf(index, entry)}!${entry.position}`,
          entry.position,
          record.blockNumber,
          true,
        );
      }
      await put("consignments", consignmentId, after, record.blockNumber);
      entries.push({ type: "milestone.recorded", at, milestone: entry });
      if (!before || before.status !== after.status || before.closed !== after.closed) {
        entries.push({
          type: "consignment.statusChanged",
          at,
          milestone: entry,
          consignment: { status: after.status, previousStatus: before?.status, closed: after.closed },
        });
      }
    }
    for (const block of new Set(records.map((r) => r.blockNumber))) {
      const record = records.find((r) => r.blockNumber === block)!;
      batch.put(blockKey(block), record.blockHash, { sublevel: this.checkpoints });
    }
    if (to.blockHash) batch.put(blockKey(to.blockNumber), to.blockHash, { sublevel: this.checkpoints });
    batch.put("cursor", to, { sublevel: this.meta });
    const numbered = await this.store.feed.commit("write the index", batch, entries);
    for (const [id, value] of pending) {
      const [name, key] = id.split("\u0000");
      if (name === "consignments") this.cacheConsignment(key, value as IndexedConsignment);
    }
    this.cursorValue = to;
    this.directoryValue = directory;
    this.advisoriesValue = advisories;
    await this.prune(to.blockNumber);
    return numbered;
  }

  /** Known block hashes, newest first: where the indexer looks for the fork point after a reorganisation. */
  async checkpointsDescending(limit = 256): Promise<IndexCursor[]> {
    const entries = await this.read("read checkpoints", () =>
      this.checkpoints.iterator({ reverse: true, limit }).all(),
    );
    return entries.map(([key, hash]) => ({ blockNumber: Number(key), blockHash: hash }));
  }

  /**
   * Undoes every change of blocks after `ancestor` and moves the cursor there. Milestones that are gone are
   * announced on the feed as retracted. Returns false when the undo log does not reach back that far.
   */
  async rollBack(ancestor: IndexCursor): Promise<{ ok: boolean; retracted: FeedEntry[] }> {
    const from = blockKey(ancestor.blockNumber + 1);
    // Pruning only removes steps older than UNDO_WINDOW_BLOCKS before a cursor the index has since passed.
    if ((this.cursorValue?.blockNumber ?? -1) - ancestor.blockNumber > UNDO_WINDOW_BLOCKS) {
      return { ok: false, retracted: [] };
    }
    const steps = await this.read("read the undo log", () => this.undo.iterator({ gte: from, reverse: true }).all());
    const batch = this.store.batch();
    const retracted: Array<Omit<ChainFeedEntry, "seq">> = [];
    const at = new Date().toISOString();
    for (const [undoKey, step] of steps) {
      const sublevel = this.byName.get(step.sublevel)!;
      if (step.sublevel === "milestones" && step.previous === null) {
        const gone = await this.read("read the index", () => this.milestones.get(step.key));
        if (gone) retracted.push({ type: "milestone.retracted", at, milestone: gone });
      }
      if (step.previous === null) batch.del(step.key, { sublevel });
      else batch.put(step.key, step.previous, { sublevel });
      batch.del(undoKey, { sublevel: this.undo });
    }
    const stale = await this.read("read checkpoints", () => this.checkpoints.keys({ gte: from }).all());
    for (const key of stale) batch.del(key, { sublevel: this.checkpoints });
    retracted.reverse();
    batch.put("cursor", ancestor, { sublevel: this.meta });
    const numbered = await this.store.feed.commit("roll the index back", batch, retracted);
    this.consignmentCache.clear();
    this.cursorValue = ancestor;
    await this.loadDirectory();
    return { ok: true, retracted: numbered };
  }

  /** Forgets everything but the feed, to index again from the deployment block. */
  async reset(): Promise<void> {
    for (const sublevel of [...this.byName.values(), this.undo, this.checkpoints]) {
      await this.read("clear the index", () => sublevel.clear());
    }
    await this.read("clear the index", () => this.meta.del("cursor"));
    this.consignmentCache.clear();
    this.cursorValue = undefined;
    await this.loadDirectory();
  }

  // ------------------------------------------------------------------ reading

  async consignment(consignmentId: string): Promise<IndexedConsignment | undefined> {
    const id = consignmentId.toLowerCase();
    const cached = this.consignmentCache.get(id);
    if (cached) return cached;
    const stored = await this.read("read the index", () => this.consignments.get(id));
    if (stored) this.cacheConsignment(id, stored);
    return stored;
  }

  private cacheConsignment(id: string, value: IndexedConsignment): void {
    this.consignmentCache.delete(id);
    if (this.consignmentCache.size >= CONSIGNMENTS_CACHED) {
      this.consignmentCache.delete(this.consignmentCache.keys().next().value!);
    }
    this.consignmentCache.set(id, value);
  }

  /** Every consignment the index holds (the risk monitor's periodic pass). */
  async consignmentList(): Promise<IndexedConsignment[]> {
    return this.read("read the consignments", () => this.consignments.values().all());
  }

  async milestoneAt(position: string): Promise<IndexedMilestone | undefined> {
    return this.read("read the index", () => this.milestones.get(position));
  }

  async milestonesOf(consignmentId: string): Promise<IndexedMilestone[]> {
    const { entries } = await this.scan(
      { index: "consignment", value: consignmentId.toLowerCase() },
      undefined,
      100_000,
    );
    return entries;
  }

  /**
   * Milestones in the order of one index, after `afterKey`, reading at most `maxScanned` index keys. Returns the
   * last key read, so a caller that filters further can resume from it.
   */
  async scan(
    from: { index: "position" } | { index: SecondaryIndex; value?: string; gte?: string; lte?: string },
    afterKey: string | undefined,
    maxScanned: number,
    accept: (entry: IndexedMilestone) => boolean | "stop" = () => true,
    limit = Number.MAX_SAFE_INTEGER,
  ): Promise<{ entries: IndexedMilestone[]; lastKey?: string; exhausted: boolean }> {
    const range: { gt?: string; gte?: string; lt?: string; lte?: string } = {};
    let sublevel: Sub<unknown>;
    if (from.index === "position") {
      sublevel = this.milestones as Sub<unknown>;
    } else {
      sublevel = this.secondary[from.index] as Sub<unknown>;
      if (from.value !== undefined) {
        range.gte = `${from.value}!`;
        range.lt = `${from.value}"`;
      } else {
        if (from.gte !== undefined) range.gte = `${from.gte}!`;
        if (from.lte !== undefined) range.lt = `${from.lte}"`;
      }
    }
    if (afterKey !== undefined && (range.gte === undefined || afterKey >= range.gte)) {
      delete range.gte;
      range.gt = afterKey;
    }
    const entries: IndexedMilestone[] = [];
    let lastKey: string | undefined;
    let scanned = 0;
    const iterator = sublevel.iterator(range);
    try {
      for (;;) {
        const next = await this.read("read the index", () => iterator.next());
        if (!next) return { entries, lastKey, exhausted: true };
        const [key, value] = next;
        const entry =
          from.index === "position"
            ? (value as IndexedMilestone)
            : await this.read("read the index", () => this.milestones.get(value as string));
        lastKey = key;
        scanned++;
        if (entry) {
          const verdict = accept(entry);
          if (verdict === "stop") return { entries, lastKey, exhausted: true };
          if (verdict) entries.push(entry);
        }
        if (entries.length >= limit || scanned >= maxScanned) return { entries, lastKey, exhausted: false };
      }
    } finally {
      await iterator.close();
    }
  }

  async feedAfter(seq: number, limit: number): Promise<FeedEntry[]> {
    return this.store.feed.after(seq, limit);
  }

  // ------------------------------------------------------------------ internals

  private async loadDirectory(): Promise<void> {
    this.directoryChanges++;
    const warnings = await this.read("read the warnings", () => this.warnings.values().all());
    const emergencies = await this.read("read the emergencies", () => this.emergencies.values().all());
    this.advisoriesValue = {
      warnings: new Map(warnings.map((w) => [w.warningId, w])),
      emergencies: new Map(emergencies.map((e) => [e.emergencyId, e])),
    };
    const organizations = await this.read("read the directory", () => this.organizations.values().all());
    const keys = await this.read("read the directory", () => this.keys.iterator().all());
    this.directoryValue = {
      organizations: new Map(organizations.map((o) => [o.id, o])),
      keys: new Map(keys.map(([k, v]) => [k, v])),
    };
  }

  /** The undo log and checkpoints only need to reach back as far as a reorganisation could. */
  private async prune(latest: number): Promise<void> {
    if (++this.appliesSincePrune < PRUNE_EVERY) return;
    this.appliesSincePrune = 0;
    const before = blockKey(Math.max(0, latest - UNDO_WINDOW_BLOCKS));
    await this.read("prune the undo log", () => this.undo.clear({ lt: before }));
    await this.read("prune checkpoints", () => this.checkpoints.clear({ lt: before }));
  }

  private read<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return this.store.guard(what, operation);
  }
}

/** What a warning or emergency record does to the advisories; returns the changed one. */
function applyAdvisoryChange(
  advisories: { warnings: Map<string, AgencyWarning>; emergencies: Map<string, Emergency> },
  change: AdvisoryChange,
  blockTime: number,
): AgencyWarning | Emergency | undefined {
  if (change.name === "WarningPublished") {
    const warning = { ...change.warning, publishedAt: blockTime };
    advisories.warnings.set(warning.warningId, warning);
    return warning;
  }
  if (change.name === "EmergencyDeclared") {
    const emergency = { ...change.emergency, declaredAt: blockTime, endedAt: 0 };
    advisories.emergencies.set(emergency.emergencyId, emergency);
    return emergency;
  }
  const known = advisories.emergencies.get(change.emergencyId);
  if (!known) return undefined;
  const ended = { ...known, endedAt: change.endedAt };
  advisories.emergencies.set(ended.emergencyId, ended);
  return ended;
}

function cloneDirectory(d: { keys: Map<string, KeyHistory>; organizations: Map<number, IndexedOrganization> }) {
  return {
    keys: new Map([...d.keys].map(([k, v]) => [k, { ...v }])),
    organizations: new Map([...d.organizations].map(([k, v]) => [k, { ...v }])),
  };
}
