/**
 * The drill's report: Markdown for people (what happened, clearance per border against its target, every alert and
 * how long it took from its cause, what was delivered, anything lost or unverifiable) and SVG charts beside it.
 * Pure: a drill result in, files' contents out.
 */
import type { DrillResult } from "./drillRunner";
import { barChartSvg } from "./svgCharts";

export interface ReportFiles {
  "report.md": string;
  "clearance.svg": string;
  "alert-latency.svg": string;
  "alerts-by-factor.svg": string;
  "result.json": string;
}

const FACTOR_TEXT: Record<string, string> = {
  DWELL_OVER_TARGET: "held at a border past its release target",
  DWELL_ANOMALY: "far longer than usual at this border post",
  STALLED: "no milestone for longer than expected",
  OFF_ROUTE: "recorded outside the declared route",
  QUANTITY_MISMATCH: "received quantity differs from dispatched",
  TEMPERATURE_EXCURSION: "cold-chain temperature out of range",
  COMPROMISED_SIGNER: "signed by a key declared compromised",
  HOLD_HISTORY: "held or rejected at a border",
  WARNING_ON_ROUTE: "agency warning over its route",
};

export function drillReport(result: DrillResult): ReportFiles {
  const s = result.scenario;
  const clearanceChart = barChartSvg({
    title: "Clearance per border post: median, maximum behind (scenario hours)",
    unit: "h",
    bars: result.clearance.map((c) => ({
      label: `${c.place} (${c.direction})`,
      value: c.medianHours,
      behind: c.maxHours,
      alarm: c.maxHours > c.targetHours,
    })),
    target: {
      value: s.targets.emergencyReleaseHours,
      label: `entry target, priority lane: ${s.targets.emergencyReleaseHours} h`,
    },
  });
  const byFactor = new Map<string, DrillResult["alerts"]>();
  for (const a of result.alerts) byFactor.set(a.factor, [...(byFactor.get(a.factor) ?? []), a]);
  const latencyBars = [...byFactor.entries()]
    .map(([factor, alerts]) => {
      const seconds = alerts
        .map((a) => a.secondsFromCause)
        .filter((x): x is number => x !== null)
        .sort((x, y) => x - y);
      return seconds.length
        ? { label: factor, value: seconds[Math.floor((seconds.length - 1) / 2)], behind: seconds[seconds.length - 1] }
        : undefined;
    })
    .filter((b): b is NonNullable<typeof b> => b !== undefined);
  const latencyChart = barChartSvg({
    title: "Time from cause to alert: median, maximum behind (real seconds)",
    unit: "s",
    bars: latencyBars,
  });
  const factorChart = barChartSvg({
    title: "Alerts raised, by factor",
    unit: "alerts",
    bars: [...byFactor.entries()].map(([factor, alerts]) => ({ label: factor, value: alerts.length })),
  });

  const lostOrUnverifiable = result.events.lost + result.events.duplicates + result.audit.unverifiable;
  const md: string[] = [];
  md.push(`# Drill report: ${s.title}`);
  md.push("");
  md.push(s.description);
  md.push("");
  md.push(
    `Scenario \`${s.name}\`, run ${result.startedAt} to ${result.finishedAt} (${result.seconds} s of real time; ` +
      `1 scenario hour = ${s.secondsPerHour} s). Two nodes on one fresh chain; every party drove its node's API.`,
  );
  md.push("");
  md.push("## Outcome");
  md.push("");
  md.push("| | |");
  md.push("|---|---|");
  md.push(`| Relief consignments delivered | **${result.consignments.delivered} of ${result.consignments.total}** |`);
  md.push(
    `| Events acknowledged / recorded on chain exactly once | ${result.events.acknowledged} / ${result.events.recorded} |`,
  );
  md.push(
    `| Lost, duplicated or unverifiable | **${lostOrUnverifiable}** (lost ${result.events.lost}, duplicated ${result.events.duplicates}, unverifiable ${result.audit.unverifiable}) |`,
  );
  md.push(
    `| Audit from the chain alone | ${result.audit.consignments} consignments, ${result.audit.milestones} milestones; ${result.audit.signedAfterCompromise} flagged as signed after a declared key compromise |`,
  );
  md.push(`| Alerts raised | ${result.alerts.length} |`);
  md.push("");
  const unverifiable = result.audit.failures.filter((f) => f.code !== "SIGNER_COMPROMISED");
  if (unverifiable.length) {
    md.push("Unverifiable:");
    md.push("");
    for (const f of unverifiable)
      md.push(`- consignment ${f.consignment ?? "?"}, milestone ${f.index ?? "-"}: ${f.code}: ${f.message}`);
    md.push("");
  }
  md.push("## Clearance per border post");
  md.push("");
  md.push("![Clearance time per border post](clearance.svg)");
  md.push("");
  md.push("| Post | Direction | Passages | Median (h) | Max (h) | Target (h) | Within target |");
  md.push("|---|---|---:|---:|---:|---:|---:|");
  for (const c of result.clearance) {
    md.push(
      `| ${c.place} | ${c.direction} | ${c.passages} | ${c.medianHours} | ${c.maxHours} | ${c.targetHours} | ${c.withinTarget} of ${c.passages} |`,
    );
  }
  md.push("");
  md.push(
    "Exit: arrival to export clearance. Entry: arrival to release; relief under a declared emergency gets the priority lane's target.",
  );
  md.push("");
  md.push("## Alerts");
  md.push("");
  md.push("![Alerts by factor](alerts-by-factor.svg)");
  md.push("");
  md.push("![Time from cause to alert](alert-latency.svg)");
  md.push("");
  md.push("| Consignment | Factor | What | Raised at | Cause to alert (s) |");
  md.push("|---:|---|---|---|---:|");
  for (const a of [...result.alerts].sort((x, y) => (x.raisedAt < y.raisedAt ? -1 : 1))) {
    md.push(
      `| ${a.consignment ?? "-"} | ${a.factor} | ${FACTOR_TEXT[a.factor] ?? ""}${a.detail ? `: ${a.detail.replace(/\|/g, "/")}` : ""} | ${a.raisedAt} | ${a.secondsFromCause ?? "-"} |`,
    );
  }
  md.push("");
  md.push(
    "Cause times: a border wait's is the moment it passed its target; a warning's, an excursion's or a short delivery's is when it was posted; a compromised key's is when governance revoked it.",
  );
  md.push("");
  md.push("## Timeline");
  md.push("");
  md.push("| Hour | What |");
  md.push("|---:|---|");
  for (const t of result.timeline) md.push(`| ${t.hour} | ${t.what} |`);
  md.push("");
  return {
    "report.md": md.join("\n"),
    "clearance.svg": clearanceChart,
    "alert-latency.svg": latencyChart,
    "alerts-by-factor.svg": factorChart,
    "result.json": JSON.stringify(result, null, 2) + "\n",
  };
}
