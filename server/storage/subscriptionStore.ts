/**
 * Webhook subscriptions and their delivery state, in LevelDB: each one's position in the index's feed is its
 * durable queue, so a delivery survives restarts and is retried until the receiver acknowledges it.
 */
import type { FeedEntryType } from "./ledgerIndex";
import { storeOperation } from "./ledgerStore";
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

  constructor(store: LedgerStore) {
    this.subscriptions = store.sublevel("subscriptions");
  }

  async put(subscription: Subscription): Promise<void> {
    await storeOperation("write a subscription", () =>
      this.subscriptions.batch().put(subscription.id, subscription).write({ sync: true }),
    );
  }

  async get(id: string): Promise<Subscription | undefined> {
    return storeOperation("read a subscription", () => this.subscriptions.get(id));
  }

  async list(): Promise<Subscription[]> {
    return storeOperation("list subscriptions", () => this.subscriptions.values().all());
  }

  async delete(id: string): Promise<void> {
    await storeOperation("delete a subscription", () => this.subscriptions.del(id));
  }
}
