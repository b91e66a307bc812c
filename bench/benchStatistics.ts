/**
 * What every benchmark reports: quantiles, and a summary of repeated runs (median, min, max, each run), with the
 * machine it ran on. A time measured once is not a figure.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

export const summary = (xs: readonly number[]) => ({
  median: round(median(xs)),
  min: round(Math.min(...xs)),
  max: round(Math.max(...xs)),
  runs: xs.map((x) => round(x)),
});

export const machine = () => ({ cpus: cpus().length, node: process.version });

/** Writes bench/results/<name>.json. */
export function writeResult(name: string, result: unknown): string {
  const dir = join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  return file;
}
