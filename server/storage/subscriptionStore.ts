/**
 * Webhook subscriptions and their delivery state, in LevelDB: each one's position in the index's feed is its
 * durable queue, so a delivery survives restarts and is retried until the receiver acknowledges it.
 */
import type { FeedEntryType } from "../domain/feedEntries";
import type { LedgerStore, Sub } from "./ledgerStore";

export interface DeliveryAttempt {
  feedId: number;
  attempt: number;
  at: string;
  status?: number;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface Subscription {
  id: string;
  organizationId: number;
  createdByKeyId: string;
  url: string;
  filters: Record<string, string>;
  events: FeedEntryType[];
  secret: string;
  state: "active" | "disabled";
  /** The last feed id delivered or skipped: everything after it is still owed. */
  cursor: number;
  /** Consecutive failed attempts of the delivery at the head of the queue. */
  attempts: number;
  nextAttemptAt: number;
  delivered: number;
  failedAttempts: number;
  lastDeliveredAt?: string;
  lastError?: string;
  disabledAt?: string;
  disabledReason?: string;
  createdAt: string;
  recentAttempts: DeliveryAttempt[];
}

export class SubscriptionStore {
  private readonly subscriptions: Sub<Subscription>;
  /** Per subscription, the tail of its chain of changes: the dispatcher and the API never overwrite each other. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly store: LedgerStore) {
    this.subscriptions = store.sublevel("subscriptions");
  }

  async put(subscription: Subscription): Promise<void> {
    await this.exclusively(subscription.id, () => this.write(subscription));
  }

  /**
   * Changes a subscription from its current state, one change at a time per subscription. `change` returns the new
   * state, or undefined to leave it; a subscription deleted meanwhile stays deleted.
   */
  async update(
    id: string,
    change: (current: Subscription) => Subscription | undefined,
  ): Promise<Subscription | undefined> {
    return this.exclusively(id, async () => {
      const current = await this.get(id);
      const next = current ? change(current) : undefined;
      if (next) await this.write(next);
      return next ?? current;
    });
  }

  async get(id: string): Promise<Subscription | undefined> {
    return this.store.guard("read a subscription", () => this.subscriptions.get(id));
  }

  async list(): Promise<Subscription[]> {
    return this.store.guard("list subscriptions", () => this.subscriptions.values().all());
  }

  async delete(id: string): Promise<void> {
    await this.exclusively(id, () => this.store.guard("delete a subscription", () => this.subscriptions.del(id)));
  }

  private write(subscription: Subscription): Promise<void> {
    return this.store.guard("write a subscription", () =>
      this.subscriptions.batch().put(subscription.id, subscription).write({ sync: true }),
    );
  }

  private exclusively<T>(id: string, operation: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(id) ?? Promise.resolve()).catch(() => undefined).then(operation);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }
}
