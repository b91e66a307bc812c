/**
 * GET /c/:id: the page field staff reach by scanning the waybill's QR code. Plain HTML and CSS served by the node
 * (no script, no CDN), readable on a phone, with a verified or failed mark per milestone and the reason.
 */
import type { consignmentSummary, milestoneViews } from "../domain/consignmentView";

const escape = (value: unknown): string =>
  String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const FAILURE_TEXT: Record<string, string> = {
  DOCUMENT_HASH_MISMATCH: "the document does not match what was recorded",
  SIGNATURE_INVALID: "the signature does not match",
  SIGNER_NOT_AUTHORIZED: "the key was not authorized when this was recorded",
  SIGNER_ORGANIZATION_MISMATCH: "the key belongs to another organization",
  SIGNER_COMPROMISED: "signed after the key was declared compromised",
  NOT_ON_CHAIN: "not found on the ledger",
  BROKEN_LINK: "out of order, or a milestone is missing",
  KIND_NOT_ALLOWED: "this organization may not record this",
  OUTSIDE_JURISDICTION: "recorded outside the customs administration's country",
  HEAD_MISMATCH: "the history does not end where the ledger says",
};

/** What the page shows of risk: the priority lane, the emergencies behind it, and open alerts (no details). */
export interface PageRisk {
  score: number;
  priority: "emergency" | "relief" | "standard";
  releaseTargetHours: number;
  emergencies: Array<{ emergencyId: string; countries: string[]; locations: string[] }>;
  alerts: Array<{ alertId: string; factor: string; raisedAt: string; state: string }>;
}

const FACTOR_TEXT: Record<string, string> = {
  DWELL_OVER_TARGET: "waiting at the border past its release target",
  DWELL_ANOMALY: "waiting far longer than usual at this border post",
  STALLED: "no news for longer than expected",
  OFF_ROUTE: "recorded outside its declared route",
  QUANTITY_MISMATCH: "quantity received differs from quantity sent",
  TEMPERATURE_EXCURSION: "cold chain: temperature out of range",
  COMPROMISED_SIGNER: "signed by a key declared compromised",
  HOLD_HISTORY: "held or rejected at a border",
  WARNING_ON_ROUTE: "an agency warning covers its route",
};

function riskSection(risk: PageRisk | undefined): string {
  if (!risk) return "";
  const emergency = risk.emergencies.length
    ? `<p class="emergency" id="emergency">Emergency declared over ${escape(
        risk.emergencies.flatMap((e) => [...e.countries, ...e.locations]).join(", "),
      )}: priority lane, release within ${escape(risk.releaseTargetHours)} h of arrival</p>`
    : "";
  const open = risk.alerts.filter((a) => a.state === "open");
  const alerts = open.length
    ? `<ul id="alerts">${open
        .map(
          (a) =>
            `<li data-factor="${escape(a.factor)}">${escape(FACTOR_TEXT[a.factor] ?? a.factor)} <time datetime="${escape(a.raisedAt)}">${escape(a.raisedAt.replace("T", " ").slice(0, 16))} UTC</time></li>`,
        )
        .join("")}</ul>`
    : "";
  return `<section class="risk" id="risk" data-score="${risk.score}">${emergency}<p>Risk ${risk.score}/100 &middot; ${escape(risk.priority)} lane</p>${alerts}</section>`;
}

export function renderConsignmentPage(input: {
  summary: ReturnType<typeof consignmentSummary>;
  milestones: ReturnType<typeof milestoneViews>;
  pageUrl: string;
  risk?: PageRisk;
}): string {
  const { summary, milestones } = input;
  const ok = summary.verdict === "verified";
  const flags = Object.entries(summary.flags)
    .filter(([, on]) => on)
    .map(([name]) => `<span class="flag">${escape(name)}</span>`)
    .join(" ");
  const rows = milestones
    .map((m) => {
      const failed = m.checks.filter((c) => c.ok === false);
      const reasons = failed
        .map(
          (c) =>
            `<li data-code="${escape(c.code)}">${escape(FAILURE_TEXT[c.code ?? ""] ?? c.code)} <code>${escape(c.code)}</code></li>`,
        )
        .join("");
      const corrected =
        "correctedBy" in m && m.correctedBy
          ? `<p class="note">Corrected by milestone ${escape((m.correctedBy as number[]).join(", "))}</p>`
          : "";
      const corrects =
        m.correctedIndex !== undefined ? `<p class="note">Corrects milestone ${escape(m.correctedIndex)}</p>` : "";
      return `<li class="milestone ${m.verified ? "verified" : "failed"}" data-index="${m.index}">
  <div class="mark" aria-label="${m.verified ? "verified" : "failed"}">${m.verified ? "&#10003; verified" : "&#10007; failed"}</div>
  <h3>${escape(m.kind)}</h3>
  <p>${escape(m.location)} &middot; <time datetime="${escape(m.occurredAt)}">${escape(m.occurredAt.replace("T", " ").slice(0, 16))} UTC</time></p>
  <p>${escape(m.organization?.name ?? m.signer)}${m.organization?.country ? ` (${escape(m.organization.country)})` : ""}</p>
  ${corrects}${corrected}${reasons ? `<ul class="reasons">${reasons}</ul>` : ""}
</li>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consignment ${escape(summary.consignmentId.slice(0, 10))}: ${ok ? "verified" : "check failed"}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; padding: 1rem; max-width: 40rem; margin-inline: auto; color: #1a1a1a; }
  header { border-bottom: 2px solid #ddd; padding-bottom: .5rem; }
  .verdict { font-size: 1.25rem; font-weight: 700; padding: .5rem .75rem; border-radius: .5rem; display: inline-block; }
  .verdict.verified { background: #e3f6e8; color: #0b6b2c; } .verdict.failed { background: #fde8e8; color: #a11; }
  ol { list-style: none; padding: 0; } .milestone { border-left: 4px solid #0b6b2c; padding: .25rem .75rem; margin: .75rem 0; }
  .milestone.failed { border-color: #a11; background: #fff6f6; } .milestone h3 { margin: .25rem 0; font-size: 1.05rem; }
  .milestone p { margin: .15rem 0; } .mark { font-weight: 700; font-size: .9rem; } .failed .mark { color: #a11; } .verified .mark { color: #0b6b2c; }
  .flag { background: #eef; border-radius: .25rem; padding: 0 .35rem; font-size: .85rem; } .note { font-style: italic; }
  code { font-size: .75rem; word-break: break-all; } img { width: 8rem; height: 8rem; }
  .emergency { background: #fff3cd; color: #7a4b00; font-weight: 700; padding: .5rem .75rem; border-radius: .5rem; }
  #alerts li { color: #a11; }
</style>
</head>
<body>
<header>
  <p class="verdict ${ok ? "verified" : "failed"}" id="verdict">${ok ? "&#10003; History verified" : "&#10007; History check failed"}</p>
  <p>${escape(summary.originCountry)} &rarr; ${escape(summary.destinationCountry)} &middot; ${escape(summary.status)} &middot; ${summary.milestoneCount} milestones</p>
  <p>Consignor: ${escape(summary.consignor?.name ?? summary.consignor?.id)}${summary.consignee ? ` &middot; Consignee: ${escape(summary.consignee.name ?? summary.consignee.id)}` : ""}</p>
  <p>${flags}</p>
  ${riskSection(input.risk)}
</header>
<main>
<ol id="timeline">
${rows}
</ol>
</main>
<footer>
  <p><img src="${escape(input.pageUrl)}/qr.svg" alt="QR code of this page"></p>
  <p>Consignment <code>${escape(summary.consignmentId)}</code></p>
  <p>Head on chain <code>${escape(summary.head.chain)}</code></p>
</footer>
</body>
</html>`;
}
