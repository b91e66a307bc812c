/**
 * Webhook subscriptions. Any key of a member organization (or the operator's) may subscribe; a subscription
 * belongs to that organization, and only its keys (or the operator) see or change it. The secret is shown once,
 * when the subscription is created, and never again.
 */
import { randomBytes } from "node:crypto";
import express from "express";
import { z } from "zod";
import { LedgerError } from "../errors";
import { createSubscriptionSchema, newWebhookSecret } from "../domain/webhookDelivery";
import { milestoneFilterSchema, parseQuery } from "../domain/milestoneQuery";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { LedgerStore } from "../storage/ledgerStore";
import type { Subscription, SubscriptionStore } from "../storage/subscriptionStore";
import { authenticate, callerWithRole, OPERATOR_ORGANIZATION } from "./auth";
import type { Caller } from "./auth";

export interface SubscriptionApi {
  store: LedgerStore;
  index: LedgerIndex;
  subscriptions: SubscriptionStore;
  /** Documented limits, shown with every subscription. */
  retry: { maxAttempts: number; baseMs: number; maxMs: number };
  wake(): void;
}

const subscriptionParams = z.strictObject({ subscriptionId: z.string().regex(/^sub_[0-9a-f]{16}$/) });

export function subscriptionRoutes(api: SubscriptionApi): express.Router {
  const router = express.Router();
  const auth = authenticate(api.store);

  const view = (s: Subscription) => {
    const { secret: _secret, ...rest } = s;
    return {
      ...rest,
      nextAttemptAt: s.nextAttemptAt ? new Date(s.nextAttemptAt).toISOString() : null,
      backlog: Math.max(0, api.index.lastFeedSeq - s.cursor),
      retryPolicy: api.retry,
    };
  };

  async function owned(caller: Caller, id: string): Promise<Subscription> {
    const s = await api.subscriptions.get(id);
    if (!s || (caller.organizationId !== OPERATOR_ORGANIZATION && s.organizationId !== caller.organizationId)) {
      throw new LedgerError(
        "SUBSCRIPTION_NOT_FOUND",
        `no subscription ${id} for organization ${caller.organizationId}`,
      );
    }
    return s;
  }

  router.post("/v1/subscriptions", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const request = createSubscriptionSchema.parse(req.body);
    parseQuery(milestoneFilterSchema, request.filters);
    const cursor = request.from === "now" ? api.index.lastFeedSeq : request.from === "beginning" ? 0 : request.from;
    const subscription: Subscription = {
      id: "sub_" + randomBytes(8).toString("hex"),
      organizationId: caller.organizationId,
      createdByKeyId: caller.keyId,
      url: request.url,
      filters: request.filters,
      events: request.events,
      secret: newWebhookSecret(),
      state: "active",
      cursor,
      attempts: 0,
      nextAttemptAt: 0,
      delivered: 0,
      failedAttempts: 0,
      createdAt: new Date().toISOString(),
      recentAttempts: [],
    };
    await api.subscriptions.put(subscription);
    api.wake();
    res.status(201).json({ ...view(subscription), secret: subscription.secret });
  });

  router.get("/v1/subscriptions", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const all = await api.subscriptions.list();
    res.json({
      subscriptions: all
        .filter((s) => caller.organizationId === OPERATOR_ORGANIZATION || s.organizationId === caller.organizationId)
        .map(view),
    });
  });

  router.get("/v1/subscriptions/:subscriptionId", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const { subscriptionId } = subscriptionParams.parse(req.params);
    res.json(view(await owned(caller, subscriptionId)));
  });

  router.post("/v1/subscriptions/:subscriptionId/enable", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const { subscriptionId } = subscriptionParams.parse(req.params);
    await owned(caller, subscriptionId);
    const enabled = await api.subscriptions.update(subscriptionId, (s) =>
      s.state === "active"
        ? undefined
        : { ...s, state: "active", attempts: 0, nextAttemptAt: 0, disabledAt: undefined, disabledReason: undefined },
    );
    if (!enabled) throw new LedgerError("SUBSCRIPTION_NOT_FOUND", `no subscription ${subscriptionId}`);
    api.wake();
    res.json(view(enabled));
  });

  router.delete("/v1/subscriptions/:subscriptionId", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const { subscriptionId } = subscriptionParams.parse(req.params);
    await owned(caller, subscriptionId);
    await api.subscriptions.delete(subscriptionId);
    res.json({ id: subscriptionId, deleted: true });
  });

  return router;
}
