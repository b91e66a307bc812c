/**
 * Prometheus metrics (prom-client), served at GET /metrics. One registry per node, so tests can run several.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type LedgerMetrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    accepted: new Counter({
      name: "ledger_events_accepted_total",
      help: "Events durably accepted",
      registers: [registry],
      labelNames: ["type"] as const,
    }),
    recorded: new Counter({
      name: "ledger_events_recorded_total",
      help: "Events recorded on chain",
      registers: [registry],
      labelNames: ["type"] as const,
    }),
    rejected: new Counter({
      name: "ledger_events_rejected_total",
      help: "Events the chain refused",
      registers: [registry],
      labelNames: ["code"] as const,
    }),
    requeuedAfterLostBlocks: new Counter({
      name: "ledger_events_requeued_total",
      help: "Recorded events queued again because the chain lost the blocks that held them",
      registers: [registry],
    }),
    alertsRaised: new Counter({
      name: "ledger_alerts_raised_total",
      help: "Alerts the risk engine raised, by factor",
      registers: [registry],
      labelNames: ["factor"] as const,
    }),
    outboxDepth: new Gauge({
      name: "ledger_outbox_depth",
      help: "Events accepted but not yet recorded or rejected",
      registers: [registry],
    }),
    submitLatency: new Histogram({
      name: "ledger_accept_to_record_seconds",
      help: "Seconds from accepted to recorded",
      registers: [registry],
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300],
    }),
    gasPerMilestone: new Histogram({
      name: "ledger_gas_per_event",
      help: "Gas used per event in a recorded batch",
      registers: [registry],
      buckets: [20_000, 25_000, 30_000, 40_000, 60_000, 100_000, 200_000],
    }),
    batchSize: new Histogram({
      name: "ledger_batch_size",
      help: "Events per submitted transaction",
      registers: [registry],
      buckets: [1, 5, 10, 25, 50, 100, 200, 500],
    }),
    indexedBlock: new Gauge({ name: "ledger_index_block", help: "Last block the index holds", registers: [registry] }),
    indexedMilestones: new Counter({
      name: "ledger_index_milestones_total",
      help: "Milestones of every organization indexed from the chain",
      registers: [registry],
    }),
    reorganisations: new Counter({
      name: "ledger_index_reorganisations_total",
      help: "Times the index rolled back to a fork point",
      registers: [registry],
    }),
    documentFetches: new Counter({
      name: "ledger_peer_document_fetches_total",
      help: "Documents fetched from peer nodes, by outcome",
      registers: [registry],
      labelNames: ["outcome"] as const,
    }),
    webhookDeliveries: new Counter({
      name: "ledger_webhook_deliveries_total",
      help: "Webhook delivery attempts, by outcome",
      registers: [registry],
      labelNames: ["outcome"] as const,
    }),
    httpErrors: new Counter({
      name: "ledger_http_errors_total",
      help: "Error responses by code",
      registers: [registry],
      labelNames: ["code"] as const,
    }),
  };
}
