/**
 * Small SVG bar charts for drill reports: horizontal bars with their values written on them, an optional target
 * line, and a title, readable at a glance on a phone or printed. Pure: data in, SVG text out.
 */

export interface Bar {
  label: string;
  value: number;
  /** Drawn in the warning colour (over target, say). */
  alarm?: boolean;
  /** A second, lighter bar behind the first (a maximum behind a median). */
  behind?: number;
}

export interface BarChart {
  title: string;
  unit: string;
  bars: Bar[];
  target?: { value: number; label: string };
}

const WIDTH = 760;
const LABEL_WIDTH = 230;
const ROW = 34;
const TOP = 56;
const RIGHT = 200;

export function barChartSvg(chart: BarChart): string {
  const max = Math.max(1e-9, chart.target?.value ?? 0, ...chart.bars.map((b) => Math.max(b.value, b.behind ?? 0)));
  const plot = WIDTH - LABEL_WIDTH - RIGHT;
  const x = (v: number) => LABEL_WIDTH + (v / max) * plot;
  const height = TOP + Math.max(1, chart.bars.length) * ROW + 40;
  const rows = chart.bars
    .map((b, i) => {
      const y = TOP + i * ROW;
      const behind =
        b.behind !== undefined
          ? `<rect x="${LABEL_WIDTH}" y="${y + 6}" width="${(x(b.behind) - LABEL_WIDTH).toFixed(1)}" height="20" fill="#c9d7e8"/>`
          : "";
      const colour = b.alarm ? "#c0392b" : "#2e6da4";
      return `${behind}
  <rect x="${LABEL_WIDTH}" y="${y + 6}" width="${Math.max(1, x(b.value) - LABEL_WIDTH).toFixed(1)}" height="20" fill="${colour}"/>
  <text x="${LABEL_WIDTH - 8}" y="${y + 21}" text-anchor="end">${escape(b.label)}</text>
  <text x="${(Math.max(x(b.value), x(b.behind ?? 0)) + 6).toFixed(1)}" y="${y + 21}" paint-order="stroke" stroke="#fff" stroke-width="5">${format(b.value)}${b.behind !== undefined ? ` (max ${format(b.behind)})` : ""} ${escape(unitFor(chart.unit, b.value))}</text>`;
    })
    .join("");
  const target = chart.target
    ? `<line x1="${x(chart.target.value).toFixed(1)}" x2="${x(chart.target.value).toFixed(1)}" y1="${TOP - 6}" y2="${height - 34}" stroke="#222" stroke-dasharray="6 4" stroke-width="2"/>
  <text x="${x(chart.target.value).toFixed(1)}" y="${height - 16}" text-anchor="middle">${escape(chart.target.label)}</text>`
    : "";
  const empty = chart.bars.length === 0 ? `<text x="${LABEL_WIDTH}" y="${TOP + 21}">none</text>` : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="14" role="img" aria-label="${escape(chart.title)}">
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="16" y="30" font-size="18" font-weight="bold">${escape(chart.title)}</text>
  <line x1="${LABEL_WIDTH}" x2="${LABEL_WIDTH}" y1="${TOP}" y2="${height - 34}" stroke="#888"/>
  ${target}${rows}${empty}
</svg>
`;
}

/** "1 alert", "4 alerts". */
function unitFor(unit: string, value: number): string {
  return value === 1 && unit.endsWith("s") && unit.length > 1 ? unit.slice(0, -1) : unit;
}

function format(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
