/**
 * What the index serves: the EPCIS-style query, the Server-Sent Events stream, the directory of organizations and
 * their endpoints, documents for users who may see them, and documents for peer nodes that prove (with a key on
 * chain) which organization they ask for.
 */
import { once } from "node:events";
import express from "express";
import type { Response } from "express";
import { z } from "zod";
import { LedgerError } from "../errors";
import { maySeeDocuments } from "../domain/consignmentIndex";
import { FEED_ENTRY_TYPES, entryMatches, feedEntryView, maySeeEntry } from "../domain/feedEntries";
import {
  decodeCursor,
  encodeCursor,
  filterFingerprint,
  indexedMilestoneView,
  matchesFilter,
  milestoneFilterSchema,
  milestoneQuerySchema,
  parseQuery,
  planQuery,
} from "../domain/milestoneQuery";
import { OrganizationKind } from "../domain/milestoneKinds";
import { verifyPeerAuthorization } from "../domain/peerRequests";
import type { LedgerDeployment } from "../domain/eip712";
import { bytes32Schema } from "../domain/milestoneRequests";
import type { FederationStore } from "../storage/federationStore";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { LedgerStore } from "../storage/ledgerStore";
import { authenticate, callerWithRole, OPERATOR_ORGANIZATION } from "./auth";

export interface FederationApi {
  store: LedgerStore;
  index: LedgerIndex;
  documents: FederationStore;
  deployment: LedgerDeployment;
  /** Read-your-writes: waits until the index holds everything this node itself has recorded. */
  caughtUpWithOwnWrites(): Promise<void>;
}

/** Index keys a query may read before it answers with what it found and a cursor to go on. */
const MAX_SCANNED_PER_PAGE = 20_000;
const HEARTBEAT_MS = 15_000;

const streamQuerySchema = milestoneFilterSchema.extend({
  events: z
    .string()
    .transform((s) => s.split(","))
    .pipe(z.array(z.enum(FEED_ENTRY_TYPES)).min(1))
    .optional(),
  after: z
    .string()
    .regex(/^\d{1,15}$/, "must be a feed id")
    .optional(),
});
const documentParams = z.strictObject({ consignmentId: bytes32Schema, payloadHash: bytes32Schema });
const lastEventIdSchema = z.string().regex(/^\d{1,15}$/, "must be a feed id");

export function federationRoutes(api: FederationApi): { router: express.Router; closeStreams(): void } {
  const router = express.Router();
  const auth = authenticate(api.store);
  const streams = new Set<Response>();
  const organizationOf = (id: number) => api.index.organization(id);

  router.get("/v1/milestones", auth, async (req, res) => {
    callerWithRole(req, "reader", "submitter", "admin");
    const { limit, cursor, ...filter } = parseQuery(milestoneQuerySchema, req.query);
    await api.caughtUpWithOwnWrites();
    const fingerprint = filterFingerprint(filter);
    const plan = planQuery(filter);
    const page = await api.index.scan(
      plan,
      cursor ? decodeCursor(cursor, fingerprint) : undefined,
      MAX_SCANNED_PER_PAGE,
      (entry) =>
        // In chain order, block times only grow: past recordedTo nothing more can match.
        plan.index === "position" &&
        filter.recordedTo !== undefined &&
        (entry.milestone.chain?.blockTime ?? 0) > filter.recordedTo
          ? "stop"
          : matchesFilter(entry, filter),
      limit,
    );
    res.json({
      milestones: page.entries.map((e) => indexedMilestoneView(e, organizationOf)),
      next: page.exhausted || !page.lastKey ? null : encodeCursor(fingerprint, page.lastKey),
      indexedThroughBlock: api.index.cursor?.blockNumber ?? null,
    });
  });

  router.get("/v1/stream", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const { events, after, ...filter } = parseQuery(streamQuerySchema, req.query);
    const header = req.get("last-event-id");
    if (header !== undefined && !lastEventIdSchema.safeParse(header).success) {
      throw new LedgerError("INVALID_QUERY", "invalid header Last-Event-ID: must be a feed id");
    }
    const resumeFrom = header ?? after;
    let cursor = resumeFrom !== undefined ? Number(resumeFrom) : api.index.lastFeedSeq;
    const types = events ?? [...FEED_ENTRY_TYPES];

    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(`retry: 2000\n: streaming feed ids after ${cursor}\n\n`);
    streams.add(res);

    let sending = false;
    let wakeAgain = false;
    let closed = false;
    const pump = async (): Promise<void> => {
      if (sending) {
        wakeAgain = true;
        return;
      }
      sending = true;
      try {
        do {
          wakeAgain = false;
          for (;;) {
            const entries = await api.index.feedAfter(cursor, 500);
            if (!entries.length || closed) break;
            for (const entry of entries) {
              cursor = entry.seq;
              const wanted =
                types.includes(entry.type) && maySeeEntry(entry, caller.organizationId) && entryMatches(entry, filter);
              if (!wanted) continue;
              const data = JSON.stringify(feedEntryView(entry, organizationOf));
              // A slow client: wait until it has read, or has gone (then 'drain' would never come).
              if (!res.write(`id: ${entry.seq}\nevent: ${entry.type}\ndata: ${data}\n\n`)) {
                await Promise.race([once(res, "drain"), once(res, "close")]);
                if (closed || res.destroyed) return;
              }
            }
          }
        } while (wakeAgain && !closed);
      } finally {
        sending = false;
      }
    };
    const stop = () => {
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      streams.delete(res);
    };
    const unsubscribe = api.index.onAppended(() => void pump().catch(() => res.end()));
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    req.on("close", stop);
    await pump().catch(() => res.end());
  });

  router.get("/v1/organizations", (_req, res) => {
    res.json({
      organizations: [...api.index.directory.organizations.values()].map((o) => ({
        id: o.id,
        name: o.name,
        kind: OrganizationKind[o.kind],
        country: o.country,
        active: o.active,
        endpoint: o.endpoint ?? null,
      })),
    });
  });

  /** A document, for a user of an organization that may see it (or the operator and auditors). */
  router.get("/v1/consignments/:consignmentId/documents/:payloadHash", auth, async (req, res) => {
    const caller = callerWithRole(req, "reader", "submitter", "admin");
    const { consignmentId, payloadHash } = documentParams.parse(req.params);
    const consignment = await api.index.consignment(consignmentId);
    if (!consignment) throw new LedgerError("CONSIGNMENT_NOT_FOUND", `this node has not indexed ${consignmentId}`);
    const org = organizationOf(caller.organizationId);
    if (caller.organizationId !== OPERATOR_ORGANIZATION && !maySeeDocuments(org, consignment)) {
      throw new LedgerError(
        "FORBIDDEN",
        `organization ${caller.organizationId} is neither a party to this consignment nor on its route`,
      );
    }
    res.json(await documentOfConsignment(api, consignmentId, payloadHash));
  });

  /** The same, for a peer node: its credential is an EIP-712 signature by an active key of the organization. */
  router.get("/v1/peer/consignments/:consignmentId/documents/:payloadHash", async (req, res) => {
    const header = req.get("authorization");
    if (!header) throw new LedgerError("UNAUTHENTICATED", "peer requests carry Authorization: LedgerPeer <credential>");
    const { consignmentId, payloadHash } = documentParams.parse(req.params);
    const peer = verifyPeerAuthorization(header, api.deployment, req.method, req.path, Math.floor(Date.now() / 1000));
    const key = api.index.keyOf(peer.signer);
    if (!key || key.organizationId !== peer.organizationId || key.revokedAt !== 0) {
      throw new LedgerError(
        "UNAUTHENTICATED",
        `${peer.signer} is not an active signer key of organization ${peer.organizationId} on chain`,
      );
    }
    const org = organizationOf(peer.organizationId);
    if (!org?.active) throw new LedgerError("FORBIDDEN", `organization ${peer.organizationId} is not active`);
    const consignment = await api.index.consignment(consignmentId);
    if (!consignment) throw new LedgerError("CONSIGNMENT_NOT_FOUND", `this node has not indexed ${consignmentId}`);
    if (!maySeeDocuments(org, consignment)) {
      throw new LedgerError(
        "FORBIDDEN",
        `organization ${peer.organizationId} is neither a party to this consignment nor on its route`,
      );
    }
    res.json(await documentOfConsignment(api, consignmentId, payloadHash));
  });

  return {
    router,
    closeStreams() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

/** The document of one of the consignment's milestones, if this node holds it; the reference with a registration. */
async function documentOfConsignment(api: FederationApi, consignmentId: string, payloadHash: string) {
  const milestones = await api.index.milestonesOf(consignmentId);
  const entry = milestones.find((e) => e.milestone.payloadHash.toLowerCase() === payloadHash.toLowerCase());
  const document = entry ? await api.documents.documentOf(payloadHash) : undefined;
  if (!entry || document === undefined) {
    throw new LedgerError("DOCUMENT_NOT_AVAILABLE", `this node holds no document ${payloadHash} of ${consignmentId}`);
  }
  const reference =
    entry.milestone.type === "registration" ? await api.documents.referenceOf(consignmentId, payloadHash) : undefined;
  return {
    consignmentId: consignmentId.toLowerCase(),
    payloadHash: payloadHash.toLowerCase(),
    milestone: entry.position,
    document,
    ...(reference !== undefined ? { reference } : {}),
  };
}
