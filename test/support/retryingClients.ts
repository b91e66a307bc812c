/**
 * Clients that behave like a customs or aid system in the field: each sends its own planned requests one after the
 * other and retries a request (same eventId, same body) until the node gives a final answer. A final answer is 202
 * (acknowledged) or a 4xx other than 429 (refused). Connection errors, 429 and 503 are retried. The tally keeps, by
 * payload hash, what was acknowledged and what was refused, so a test can hold the chain against it.
 */
import { consignmentIdOfReference } from "../../server/domain/consignmentId";
import { payloadHashOf } from "../../server/domain/payloadHash";
import type { JsonValue } from "../../server/domain/payloadHash";

export interface PlannedRequest {
  path: string;
  body: {
    eventId?: string;
    payload?: JsonValue;
    milestones?: Array<{ eventId: string; payload: JsonValue; [field: string]: unknown }>;
    [field: string]: unknown;
  };
  /** What the node should answer; a refusal the test plans on purpose must never reach the chain. */
  expect: "accept" | "refuse";
}

export interface Acknowledgement {
  eventId: string;
  consignmentId: string;
  organizationId: number;
}

export class RequestTally {
  /** payloadHash -> the event the node acknowledged with 202. */
  readonly acknowledged = new Map<string, Acknowledgement>();
  /** payloadHash -> the refusal (status and code) of a body that must not be recorded. */
  readonly refused = new Map<string, { status: number; code: string }>();
  readonly statuses = new Map<string, number>();
  /** Answers that contradict the plan (a planned refusal accepted, or the reverse). */
  readonly surprises: string[] = [];
  retries = 0;

  count(status: string): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  statusCounts(): Record<string, number> {
    return Object.fromEntries([...this.statuses].sort());
  }
}

export interface RetryingClient {
  organizationId: number;
  token: string;
  plan: PlannedRequest[];
}

/** Sends every planned request of one client, retrying each until it gets a final answer. */
export async function runRetryingClient(
  baseUrl: () => string,
  client: RetryingClient,
  tally: RequestTally,
  options: { pauseMs?: () => number; deadline: number; stopWhen?: () => boolean },
): Promise<void> {
  for (const request of client.plan) {
    // Checked only between requests: one under way always gets its final answer.
    if (options.stopWhen?.()) return;
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > options.deadline) throw new Error(`gave up on ${request.path} ${JSON.stringify(request.body)}`);
      if (attempt > 0) {
        tally.retries++;
        await sleep(Math.min(100 * attempt, 1_000));
      }
      let status: number;
      let text: string;
      try {
        const response = await fetch(baseUrl() + request.path, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${client.token}` },
          body: JSON.stringify(request.body),
          signal: AbortSignal.timeout(15_000),
        });
        status = response.status;
        text = await response.text();
      } catch {
        tally.count("connection error");
        continue;
      }
      const code = (parse(text) as { error?: { code?: string } })?.error?.code;
      tally.count(code ? `${status} ${code}` : String(status));
      if (status === 429 || status >= 500) continue;
      recordAnswer(client, request, status, text, code, tally);
      break;
    }
    await sleep(options.pauseMs?.() ?? 0);
  }
}

function recordAnswer(
  client: RetryingClient,
  request: PlannedRequest,
  status: number,
  text: string,
  code: string | undefined,
  tally: RequestTally,
): void {
  const documents = request.body.milestones
    ? request.body.milestones.map((m) => ({ eventId: m.eventId, payload: m.payload }))
    : [{ eventId: request.body.eventId!, payload: request.body.payload ?? {} }];
  if (status === 202) {
    if (request.expect === "refuse") tally.surprises.push(`accepted ${request.path}: ${text}`);
    const body = parse(text) as { milestones?: Acknowledgement[] } & Acknowledgement;
    for (const accepted of body.milestones ?? [body]) {
      const document = documents.find((d) => d.eventId === accepted.eventId)!;
      tally.acknowledged.set(payloadHashOf(document).toLowerCase(), {
        eventId: accepted.eventId,
        consignmentId: accepted.consignmentId,
        organizationId: client.organizationId,
      });
    }
    return;
  }
  if (request.expect === "accept") tally.surprises.push(`${status} for ${request.path}: ${text}`);
  for (const document of documents) {
    tally.refused.set(payloadHashOf(document).toLowerCase(), { status, code: code ?? "none" });
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A carrier's traffic at a border post: it registers its consignments, then reports incidents on them, mostly one
 * per request and every tenth request a batch of five. Every twentieth request is one the node must refuse (a
 * carrier may not clear customs; an eventId reused with another body), so the test can check refusals never land.
 */
export function planCarrierTraffic(
  carrier: { organizationId: number; token: string },
  options: { prefix: string; consignments: number; requests: number; occurredAt: string },
): RetryingClient {
  const ids = Array.from({ length: options.consignments }, (_, i) =>
    consignmentIdOfReference(carrier.organizationId, `${options.prefix}-UCR-${i}`),
  );
  const plan: PlannedRequest[] = ids.map((_, i) => ({
    path: "/v1/consignments",
    body: {
      eventId: `${options.prefix}-registration-${i}`,
      reference: `${options.prefix}-UCR-${i}`,
      originCountry: "KE",
      destinationCountry: "UG",
      location: "KEMBA",
      occurredAt: options.occurredAt,
      payload: { prefix: options.prefix, consignment: i },
    },
    expect: "accept",
  }));
  const incident = (n: number) => ({
    eventId: `${options.prefix}-incident-${n}`,
    consignmentId: ids[n % ids.length],
    kind: "Incident",
    location: "KEMBA",
    occurredAt: options.occurredAt,
    payload: { prefix: options.prefix, n, temperatureC: 4 + (n % 5) / 10 },
  });
  for (let n = 0; n < options.requests; n++) {
    if (n % 20 === 19) {
      plan.push(
        n % 40 === 19
          ? {
              path: "/v1/milestones:batch",
              body: { milestones: [{ ...incident(n), kind: "ExportCleared" }] },
              expect: "refuse",
            }
          : {
              path: "/v1/milestones:batch",
              body: { milestones: [{ ...incident(n - 1), payload: { prefix: options.prefix, n, reused: true } }] },
              expect: "refuse",
            },
      );
    } else if (n % 10 === 9) {
      plan.push({
        path: "/v1/milestones:batch",
        body: { milestones: [0, 1, 2, 3, 4].map((k) => incident(n * 10 + 100_000 + k)) },
        expect: "accept",
      });
    } else {
      const { consignmentId, ...body } = incident(n);
      plan.push({ path: `/v1/consignments/${consignmentId}/milestones`, body, expect: "accept" });
    }
  }
  return { ...carrier, plan };
}
