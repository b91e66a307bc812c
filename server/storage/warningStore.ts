/**
 * Warnings this node's agencies posted, in LevelDB from the moment they are acknowledged (202) until they are on
 * chain: the submitter publishes them, and after a crash finds on chain whether one already is, so none is lost and
 * none is published twice.
 */
import type { JsonValue } from "../domain/payloadHash";
import type { WarningStruct } from "../domain/eip712";
import type { LedgerStore, Sub } from "./ledgerStore";

export interface PostedWarning {
  /** `<organizationId>/<the agency's own warning id>`. */
  key: string;
  organizationId: number;
  clientWarningId: string;
  /** The canonical hash of the request, to tell a retry from a different warning under the same id. */
  fingerprint: string;
  struct: Omit<WarningStruct, "validFrom" | "validUntil"> & { validFrom: number; validUntil: number };
  document: JsonValue;
  state: "accepted" | "published" | "rejected";
  acceptedAt: string;
  publishedAt?: string;
  txHash?: string;
  blockNumber?: number;
  rejection?: { code: string; rule?: string; message: string };
}

export class WarningStore {
  private readonly warnings: Sub<PostedWarning>;
  private readonly pendingKeys = new Set<string>();

  constructor(private readonly store: LedgerStore) {
    this.warnings = store.sublevel("warnings-posted");
  }

  async load(): Promise<void> {
    for (const w of await this.store.guard("read posted warnings", () => this.warnings.values().all())) {
      if (w.state === "accepted") this.pendingKeys.add(w.key);
    }
  }

  get pendingCount(): number {
    return this.pendingKeys.size;
  }

  async get(key: string): Promise<PostedWarning | undefined> {
    return this.store.guard("read a posted warning", () => this.warnings.get(key));
  }

  /** Stores a warning (synced) before it is acknowledged, or stores its new state. */
  async put(warning: PostedWarning): Promise<void> {
    await this.store.guard("store a posted warning", () =>
      this.store.batch().put(warning.key, warning, { sublevel: this.warnings }).write({ sync: true }),
    );
    if (warning.state === "accepted") this.pendingKeys.add(warning.key);
    else this.pendingKeys.delete(warning.key);
  }

  /** Warnings acknowledged and not yet on chain, oldest first. */
  async pending(): Promise<PostedWarning[]> {
    if (this.pendingKeys.size === 0) return [];
    const found = await this.store.guard("read posted warnings", () => this.warnings.getMany([...this.pendingKeys]));
    return found
      .filter((w): w is PostedWarning => w !== undefined && w.state === "accepted")
      .sort((a, b) => (a.acceptedAt < b.acceptedAt ? -1 : 1));
  }
}
