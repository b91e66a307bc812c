/**
 * What the recorded history teaches about how long consignments wait at each border post: per post, the dwell times
 * (arrival to release) of every consignment that passed, summarized with robust statistics (median, MAD, quantiles)
 * that a few extreme waits do not drag. A dwell far outside its post's distribution is an anomaly, with its robust
 * z-score. A post with little history has no distribution; the risk engine then uses its fixed targets alone. Pure.
 */
import { MilestoneKind } from "./milestoneKinds";

/** One passage through a border post: when the consignment arrived and, if it has, when it was released. */
export interface Dwell {
  consignmentId: string;
  location: string;
  arrival: { id: string; at: number };
  release?: { id: string; at: number; kind: MilestoneKind };
}

export interface DwellDistribution {
  location: string;
  samples: number;
  medianSeconds: number;
  /** Median absolute deviation, in seconds. */
  madSeconds: number;
  p90Seconds: number;
}

/** Kinds that end a wait at a border post. */
const DWELL_ENDS = new Set([
  MilestoneKind.Released,
  MilestoneKind.Departed,
  MilestoneKind.Rejected,
  MilestoneKind.Seized,
]);
/** 1.4826 × MAD estimates the standard deviation of normally distributed data. */
const MAD_TO_SIGMA = 1.4826;

/**
 * A consignment's dwells, from its milestones in chain order: each ArrivedAtBorder opens one at its location, and
 * the first later release, departure, rejection or seizure at the same location closes it.
 */
export function dwellsOf(
  consignmentId: string,
  milestones: ReadonlyArray<{ id: string; kind: MilestoneKind; location: string; occurredAt: number }>,
): Dwell[] {
  const dwells: Dwell[] = [];
  for (const m of milestones) {
    if (m.kind === MilestoneKind.ArrivedAtBorder) {
      dwells.push({ consignmentId, location: m.location, arrival: { id: m.id, at: m.occurredAt } });
      continue;
    }
    if (!DWELL_ENDS.has(m.kind)) continue;
    const open = dwells.find((d) => !d.release && d.location === m.location);
    if (open) open.release = { id: m.id, at: m.occurredAt, kind: m.kind };
  }
  return dwells;
}

export function durationOf(dwell: Dwell, now: number): number {
  return (dwell.release?.at ?? now) - dwell.arrival.at;
}

/** Per post, the distribution of completed dwells; posts with fewer than `minSamples` are left out. */
export function learnDwellDistributions(dwells: readonly Dwell[], minSamples: number): Map<string, DwellDistribution> {
  const byLocation = new Map<string, number[]>();
  for (const d of dwells) {
    if (!d.release) continue;
    const list = byLocation.get(d.location) ?? [];
    list.push(d.release.at - d.arrival.at);
    byLocation.set(d.location, list);
  }
  const distributions = new Map<string, DwellDistribution>();
  for (const [location, seconds] of byLocation) {
    if (seconds.length < minSamples) continue;
    const median = quantile(seconds, 0.5);
    distributions.set(location, {
      location,
      samples: seconds.length,
      medianSeconds: median,
      madSeconds: quantile(
        seconds.map((s) => Math.abs(s - median)),
        0.5,
      ),
      p90Seconds: quantile(seconds, 0.9),
    });
  }
  return distributions;
}

/**
 * The robust z-score of a dwell against its post's distribution. A post where every dwell took the same time has a
 * MAD of 0; a tenth of the median (at least a minute) stands in for the spread, so one slow passage still stands out.
 */
export function robustZScore(seconds: number, distribution: DwellDistribution): number {
  const spread = distribution.madSeconds > 0 ? distribution.madSeconds : Math.max(distribution.medianSeconds / 10, 60);
  return (seconds - distribution.medianSeconds) / (MAD_TO_SIGMA * spread);
}

/** The q-quantile (0..1) by linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}
