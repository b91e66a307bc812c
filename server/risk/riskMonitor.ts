/**
 * Keeps every consignment's risk assessed and raises alerts: a consignment is assessed again when the index records
 * one of its milestones, and every consignment still open on a timer (dwell and stall grow with the clock) and
 * whenever a warning or emergency changes. Dwell distributions are learned again on each timed pass. Each factor's
 * cause becomes an alert once; the alert store refuses the same cause twice.
 */
import type { Logger } from "pino";
import { BackgroundWork } from "../backgroundWork";
import { alertOf } from "../domain/alerts";
import type { Alert } from "../domain/alerts";
import type { IndexedConsignment, IndexedMilestone } from "../domain/consignmentIndex";
import { kindOf } from "../domain/consignmentIndex";
import { dwellsOf, learnDwellDistributions } from "../domain/dwellStatistics";
import type { DwellDistribution } from "../domain/dwellStatistics";
import { isAdvisoryEntry } from "../domain/feedEntries";
import { OrganizationKind } from "../domain/milestoneKinds";
import type { JsonValue } from "../domain/payloadHash";
import { assessRisk } from "../domain/riskAssessment";
import type { RiskAssessment, RiskMilestone, RiskThresholds } from "../domain/riskAssessment";
import type { AlertStore } from "../storage/alertStore";
import type { LedgerIndex } from "../storage/ledgerIndex";
import type { LedgerMetrics } from "../telemetry/metrics";

export interface RiskMonitorOptions {
  index: LedgerIndex;
  alerts: AlertStore;
  documentOf(payloadHash: string): Promise<JsonValue | undefined>;
  thresholds: RiskThresholds;
  /** How often every open consignment is assessed again. */
  intervalMs: number;
  logger: Logger;
  metrics: LedgerMetrics;
  /** The clock, in seconds. */
  now?: () => number;
}

export class RiskMonitor {
  private readonly work: BackgroundWork;
  private readonly dirty = new Set<string>();
  private fullPassDue = true;
  private lastFullPass = 0;
  private distributions = new Map<string, DwellDistribution>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: RiskMonitorOptions) {
    this.work = new BackgroundWork({
      run: () => this.pass(),
      nextWakeMs: async () => Math.max(0, this.lastFullPass + options.intervalMs - Date.now()),
      failed: (error) => options.logger.warn({ err: error }, "assessing risk failed; retrying"),
    });
    this.unsubscribe = options.index.onAppended((entries) => {
      for (const entry of entries) {
        if (entry.type === "milestone.recorded") this.dirty.add(entry.milestone.milestone.consignmentId.toLowerCase());
        if (isAdvisoryEntry(entry)) this.fullPassDue = true;
      }
      if (this.dirty.size || this.fullPassDue) this.work.wake();
    });
  }

  start(): void {
    this.work.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.work.stop();
  }

  /** One pass now (tests, and the drill's report). */
  runOnce(): Promise<void> {
    this.fullPassDue = true;
    return this.work.runOnce();
  }

  /** A consignment's risk as of now, with the distributions last learned. */
  async assess(consignmentId: string): Promise<RiskAssessment | undefined> {
    const consignment = await this.options.index.consignment(consignmentId);
    if (!consignment) return undefined;
    return (await this.assessed(consignment)).assessment;
  }

  learnedDistributions(): DwellDistribution[] {
    return [...this.distributions.values()];
  }

  private async pass(): Promise<void> {
    const full = this.fullPassDue || Date.now() - this.lastFullPass >= this.options.intervalMs;
    const ids = [...this.dirty];
    this.dirty.clear();
    let consignments: IndexedConsignment[];
    if (full) {
      this.fullPassDue = false;
      this.lastFullPass = Date.now();
      const all = await this.options.index.consignmentList();
      await this.learn(all);
      const touched = new Set(ids);
      consignments = all.filter((c) => !c.closed || touched.has(c.consignmentId));
    } else {
      consignments = (await Promise.all(ids.map((id) => this.options.index.consignment(id)))).filter(
        (c): c is IndexedConsignment => c !== undefined,
      );
    }
    const raised: Alert[] = [];
    for (const consignment of consignments) {
      const { assessment, milestones } = await this.assessed(consignment);
      const audience = this.audienceOf(consignment, milestones);
      const alerts = assessment.factors
        .map((factor) => alertOf(consignment.consignmentId, factor, audience, new Date()))
        .filter((alert) => !this.options.alerts.has(alert.alertId));
      if (alerts.length) raised.push(...(await this.options.alerts.raise(alerts)));
    }
    for (const alert of raised) this.options.metrics.alertsRaised.inc({ factor: alert.factor });
    if (raised.length) this.options.logger.info({ raised: raised.length }, "raised alerts");
  }

  private async assessed(consignment: IndexedConsignment) {
    const indexed = await this.options.index.milestonesOf(consignment.consignmentId);
    const milestones = await Promise.all(indexed.map((m) => this.riskMilestoneOf(m)));
    const assessment = assessRisk({
      consignment,
      milestones,
      now: this.options.now?.() ?? Math.floor(Date.now() / 1000),
      keyOf: (signer) => this.options.index.keyOf(signer),
      emergencies: this.options.index.emergencyList,
      warnings: this.options.index.warningList,
      dwellDistribution: (location) => this.distributions.get(location),
      thresholds: this.options.thresholds,
    });
    return { assessment, milestones: indexed };
  }

  private async riskMilestoneOf(entry: IndexedMilestone): Promise<RiskMilestone> {
    const m = entry.milestone;
    const document = await this.options.documentOf(m.payloadHash);
    return {
      id: entry.position,
      kind: kindOf(m),
      location: m.location,
      country: entry.country,
      occurredAt: m.occurredAt,
      signer: m.signer,
      ...(document !== undefined ? { document } : {}),
    };
  }

  /** The parties, every organization that signed one of its milestones, and customs of the route's countries. */
  private audienceOf(consignment: IndexedConsignment, milestones: IndexedMilestone[]): number[] {
    const countries = new Set([consignment.originCountry, consignment.destinationCountry, ...consignment.countries]);
    const customs = [...this.options.index.directory.organizations.values()]
      .filter((o) => o.kind === OrganizationKind.Customs && countries.has(o.country))
      .map((o) => o.id);
    return [
      consignment.consignor,
      consignment.consignee,
      ...consignment.organizations,
      ...milestones.map((m) => m.organizationId),
      ...customs,
    ].filter((id) => id > 0);
  }

  private async learn(consignments: IndexedConsignment[]): Promise<void> {
    const dwells = [];
    for (const c of consignments) {
      const milestones = await this.options.index.milestonesOf(c.consignmentId);
      dwells.push(
        ...dwellsOf(
          c.consignmentId,
          milestones.map((m) => ({
            id: m.position,
            kind: kindOf(m.milestone),
            location: m.milestone.location,
            occurredAt: m.milestone.occurredAt,
          })),
        ),
      );
    }
    this.distributions = learnDwellDistributions(dwells, this.options.thresholds.minSamples);
  }
}
