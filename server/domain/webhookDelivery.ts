/**
 * Webhook subscriptions: the request that creates one, the signature each delivery carries, and the retry
 * schedule. The signature is HMAC-SHA256 over the exact body bytes with the subscription's secret, hex, in
 * `X-Ledger-Signature: sha256=<hex>` (the idea of EPCIS's GS1-Signature), so a receiver can tell a delivery from
 * a forgery or a tampered body.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { FEED_ENTRY_TYPES } from "./feedEntries";

export const SIGNATURE_HEADER = "x-ledger-signature";
export const EVENT_ID_HEADER = "x-ledger-event-id";

export const createSubscriptionSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: "must be an http or https URL" })
    .max(2048)
    .describe("Where deliveries are POSTed"),
  filters: z
    .record(z.string(), z.string().max(2048))
    .default({})
    .describe('The same filters as GET /v1/milestones, as strings, e.g. {"kind":"Held,Released","country":"UG"}'),
  events: z
    .array(z.enum(FEED_ENTRY_TYPES))
    .min(1)
    .default([...FEED_ENTRY_TYPES])
    .describe("Which changes to deliver"),
  from: z
    .union([z.literal("now"), z.literal("beginning"), z.int().min(0)])
    .default("now")
    .describe("Start after this feed id; 'now' (default) or 'beginning' replays everything indexed"),
});
export type CreateSubscriptionRequest = z.infer<typeof createSubscriptionSchema>;

export function newWebhookSecret(): string {
  return "whsec_" + randomBytes(32).toString("base64url");
}

export function webhookSignature(secret: string, body: string | Buffer): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

/** What a receiver runs: does this header sign exactly this body with our secret? */
export function verifyWebhookSignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(webhookSignature(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** Consecutive failed attempts of one delivery after which the subscription is disabled. */
  maxAttempts: number;
}

/** Wait before attempt `attempts + 1`, after `attempts` consecutive failures: base · 2^(attempts-1), capped. */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
}
