// Exact statistics over every recorded sample (no histogram buckets): a load test here records at most a few
// thousand requests, and exact values let results from several runners be merged without error.

export interface TrendStats {
  count: number;
  min: number;
  max: number;
  avg: number;
  med: number;
  p90: number;
  p95: number;
  p99: number;
}

/** Percentile `p` (0-100) of ascending `sorted` values, interpolated linearly between closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const lo = sorted[lower] as number;
  const hi = sorted[upper] as number;
  return lo + (hi - lo) * (rank - lower);
}

export function trendStats(values: readonly number[]): TrendStats {
  const sorted = [...values].sort((a, b) => a - b);
  const count = sorted.length;
  if (count === 0) {
    return {
      count: 0,
      min: Number.NaN,
      max: Number.NaN,
      avg: Number.NaN,
      med: Number.NaN,
      p90: Number.NaN,
      p95: Number.NaN,
      p99: Number.NaN,
    };
  }
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count,
    min: sorted[0] as number,
    max: sorted[count - 1] as number,
    avg: sum / count,
    med: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/** Value of a trend aggregation named as in a threshold: avg, min, max, med, p(N). */
export function trendAggregate(values: readonly number[], aggregation: string): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (aggregation === "count") return sorted.length;
  if (sorted.length === 0) return Number.NaN;
  switch (aggregation) {
    case "avg":
      return sorted.reduce((a, b) => a + b, 0) / sorted.length;
    case "min":
      return sorted[0] as number;
    case "max":
      return sorted[sorted.length - 1] as number;
    case "med":
      return percentile(sorted, 50);
  }
  const match = /^p\((\d+(?:\.\d+)?)\)$/.exec(aggregation);
  if (!match) throw new Error(`unknown trend aggregation "${aggregation}" (avg, min, max, med, count, p(N))`);
  return percentile(sorted, Number(match[1]));
}

/** Round for display and JSON: durations to 0.01 ms are plenty. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
