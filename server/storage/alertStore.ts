/**
 * Alerts in LevelDB, by id (which the consignment and cause determine, so a cause is raised once), with an index by
 * consignment. Raising and acknowledging write the alert and its feed entry in one synced batch: SSE clients and
 * webhooks hear of exactly what is stored.
 */
import type { Alert } from "../domain/alerts";
import type { LedgerStore, Sub } from "./ledgerStore";

export class AlertStore {
  private readonly alerts: Sub<Alert>;
  private readonly byConsignment: Sub<string>;
  /** Alert ids known to exist: the risk monitor asks about every cause on every pass. */
  private readonly known = new Set<string>();

  constructor(private readonly store: LedgerStore) {
    this.alerts = store.sublevel("alerts");
    this.byConsignment = store.sublevel("alerts-by-consignment");
  }

  async load(): Promise<void> {
    for (const id of await this.store.guard("read alerts", () => this.alerts.keys().all())) this.known.add(id);
  }

  has(alertId: string): boolean {
    return this.known.has(alertId);
  }

  get count(): number {
    return this.known.size;
  }

  /** Stores the alerts not raised before, announcing each on the feed; returns those it stored. */
  async raise(alerts: Alert[]): Promise<Alert[]> {
    const fresh = alerts.filter((a) => !this.known.has(a.alertId));
    if (fresh.length === 0) return [];
    const batch = this.store.batch();
    for (const alert of fresh) {
      batch.put(alert.alertId, alert, { sublevel: this.alerts });
      batch.put(`${alert.consignmentId}!${alert.raisedAt}!${alert.alertId}`, alert.alertId, {
        sublevel: this.byConsignment,
      });
    }
    const at = new Date().toISOString();
    await this.store.feed.commit(
      "raise alerts",
      batch,
      fresh.map((alert) => ({ type: "alert.raised" as const, at, alert })),
    );
    for (const alert of fresh) this.known.add(alert.alertId);
    return fresh;
  }

  async acknowledge(alert: Alert, by: NonNullable<Alert["acknowledged"]>): Promise<Alert> {
    const acknowledged: Alert = { ...alert, state: "acknowledged", acknowledged: by };
    const batch = this.store.batch();
    batch.put(alert.alertId, acknowledged, { sublevel: this.alerts });
    await this.store.feed.commit("acknowledge an alert", batch, [
      { type: "alert.acknowledged", at: by.at, alert: acknowledged },
    ]);
    return acknowledged;
  }

  async get(alertId: string): Promise<Alert | undefined> {
    return this.store.guard("read an alert", () => this.alerts.get(alertId));
  }

  async ofConsignment(consignmentId: string): Promise<Alert[]> {
    const id = consignmentId.toLowerCase();
    const ids = await this.store.guard("read alerts", () =>
      this.byConsignment.values({ gte: `${id}!`, lt: `${id}!\uffff` }).all(),
    );
    const alerts = await this.store.guard("read alerts", () => this.alerts.getMany(ids));
    return alerts.filter((a): a is Alert => a !== undefined);
  }

  /** Every alert, newest first, that `keep` accepts, up to `limit`. */
  async list(keep: (alert: Alert) => boolean, limit: number): Promise<Alert[]> {
    const found: Alert[] = [];
    for await (const alert of this.alerts.values()) {
      if (keep(alert)) found.push(alert);
    }
    found.sort((a, b) => (a.raisedAt < b.raisedAt ? 1 : a.raisedAt > b.raisedAt ? -1 : 0));
    return found.slice(0, limit);
  }
}
