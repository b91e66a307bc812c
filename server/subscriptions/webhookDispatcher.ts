/**
 * Delivers the index's feed to webhook subscriptions, at least once and in order. Each subscription's cursor in
 * the feed is its durable queue: the cursor moves past an entry only once the receiver answered 2xx (or the entry
 * does not match the subscription's filters), so a restart resumes where delivery stopped. A failed delivery is
 * retried with exponential backoff; after `maxAttempts` consecutive failures the subscription is disabled until
 * its owner enables it again. Receivers recognise a repeat by the entry's id.
 */
import type { Logger } from "pino";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, retryDelayMs, webhookSignature } from "../domain/webhookDelivery";
import type { RetryPolicy } from "../domain/webhookDelivery";
import { milestoneFilterSchema } from "../domain/milestoneQuery";
import { entryMatches, feedEntryView, maySeeEntry } from "../domain/feedEntries";
import type { MilestoneFilter } from "../domain/milestoneQuery";
import type { FeedEntry } from "../domain/feedEntries";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { DeliveryAttempt, Subscription, SubscriptionStore } from "../storage/subscriptionStore";
import type { LedgerMetrics } from "../telemetry/metrics";
import { BackgroundWork } from "../backgroundWork";

export interface WebhookDispatcherOptions extends RetryPolicy {
  timeoutMs: number;
  logger: Logger;
  metrics?: LedgerMetrics;
}

const PAGE = 100;
const RECENT_ATTEMPTS = 20;
const IDLE_WAKE_MS = 1_000;

export class WebhookDispatcher {
  private readonly work: BackgroundWork;
  private unsubscribe: (() => void) | undefined;
  private readonly filters = new Map<string, MilestoneFilter>();

  constructor(
    private readonly index: LedgerIndex,
    private readonly subscriptions: SubscriptionStore,
    private readonly options: WebhookDispatcherOptions,
  ) {
    this.work = new BackgroundWork({
      run: () => this.round(),
      nextWakeMs: async () => {
        const owed = (await this.subscriptions.list()).filter(
          (s) => s.state === "active" && s.cursor < this.index.lastFeedSeq,
        );
        return Math.max(10, Math.min(Date.now() + IDLE_WAKE_MS, ...owed.map((s) => s.nextAttemptAt)) - Date.now());
      },
      failed: (error) => this.options.logger.warn({ err: error }, "webhook delivery round failed"),
    });
  }

  start(): void {
    this.unsubscribe ??= this.index.onAppended(() => this.work.wake());
    this.work.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.work.stop();
  }

  poke(): void {
    this.work.wake();
  }

  /** One round: every active subscription that is due gets up to a page of its queue. */
  runOnce(): Promise<void> {
    return this.work.runOnce();
  }

  private async round(): Promise<void> {
    const due = (await this.subscriptions.list()).filter(
      (s) => s.state === "active" && s.nextAttemptAt <= Date.now() && s.cursor < this.index.lastFeedSeq,
    );
    await Promise.all(due.map((s) => this.serve(s)));
  }

  private filterOf(s: Subscription): MilestoneFilter {
    let filter = this.filters.get(s.id);
    if (!filter) {
      filter = milestoneFilterSchema.parse(s.filters);
      this.filters.set(s.id, filter);
    }
    return filter;
  }

  /** Delivers a page of one subscription's queue, in order, stopping at the first failure. */
  private async serve(due: Subscription): Promise<void> {
    let subscription = due;
    const entries = await this.index.feedAfter(subscription.cursor, PAGE);
    let skippedTo: number | undefined;
    for (const entry of entries) {
      if (!this.work.isRunning) break;
      const wanted =
        subscription.events.includes(entry.type) &&
        maySeeEntry(entry, subscription.organizationId) &&
        entryMatches(entry, this.filterOf(subscription));
      if (!wanted) {
        skippedTo = entry.seq;
        continue;
      }
      const attempt = await this.deliver(subscription, entry);
      // Applied to the subscription as it is now: its owner may have disabled or deleted it meanwhile.
      const after = await this.subscriptions.update(subscription.id, (current) =>
        current.state === "active" ? this.afterAttempt(current, entry, attempt) : undefined,
      );
      skippedTo = undefined;
      if (!attempt.ok || !after || after.state !== "active") return;
      subscription = after;
    }
    if (skippedTo !== undefined) {
      const to = skippedTo;
      await this.subscriptions.update(subscription.id, (current) =>
        current.cursor < to ? { ...current, cursor: to } : undefined,
      );
    }
  }

  private async deliver(s: Subscription, entry: FeedEntry): Promise<DeliveryAttempt> {
    const body = JSON.stringify({
      subscriptionId: s.id,
      ...feedEntryView(entry, (id) => this.index.organization(id)),
    });
    const started = Date.now();
    const attempt = s.attempts + 1;
    try {
      const response = await fetch(s.url, {
        method: "POST",
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: webhookSignature(s.secret, body),
          [EVENT_ID_HEADER]: String(entry.seq),
          "x-ledger-subscription": s.id,
          "x-ledger-delivery-attempt": String(attempt),
        },
      });
      await response.arrayBuffer().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      this.options.metrics?.webhookDeliveries.inc({ outcome: ok ? "delivered" : "refused" });
      return {
        feedId: entry.seq,
        attempt,
        at: new Date().toISOString(),
        status: response.status,
        ok,
        ...(ok ? {} : { error: `the receiver answered ${response.status}` }),
        ms: Date.now() - started,
      };
    } catch (error) {
      this.options.metrics?.webhookDeliveries.inc({ outcome: "unreachable" });
      const cause = (error as { cause?: { code?: string } })?.cause?.code;
      return {
        feedId: entry.seq,
        attempt,
        at: new Date().toISOString(),
        ok: false,
        error: `${(error as Error)?.message ?? String(error)}${cause ? ` (${cause})` : ""}`,
        ms: Date.now() - started,
      };
    }
  }

  private afterAttempt(s: Subscription, entry: FeedEntry, attempt: DeliveryAttempt): Subscription {
    const recentAttempts = [...s.recentAttempts, attempt].slice(-RECENT_ATTEMPTS);
    if (attempt.ok) {
      return {
        ...s,
        cursor: entry.seq,
        attempts: 0,
        nextAttemptAt: 0,
        delivered: s.delivered + 1,
        lastDeliveredAt: attempt.at,
        recentAttempts,
      };
    }
    const attempts = s.attempts + 1;
    const failed = { ...s, attempts, failedAttempts: s.failedAttempts + 1, lastError: attempt.error, recentAttempts };
    if (attempts >= this.options.maxAttempts) {
      this.options.logger.warn({ subscription: s.id, url: s.url, attempts }, "webhook subscription disabled");
      return {
        ...failed,
        state: "disabled",
        disabledAt: attempt.at,
        disabledReason: `${attempts} consecutive failed deliveries of feed id ${entry.seq}: ${attempt.error}`,
      };
    }
    return { ...failed, nextAttemptAt: Date.now() + retryDelayMs(this.options, attempts) };
  }
}
