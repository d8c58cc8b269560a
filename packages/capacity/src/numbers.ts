// The two numeric helpers the search needs. The load generator keeps its own exact statistics
// (loadtests/lib/stats.ts, the same linear interpolation); this package stays free of it.

/** Percentile `p` (0-100) of ascending `sorted` values, interpolated linearly between closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = sorted[Math.floor(rank)] as number;
  const hi = sorted[Math.ceil(rank)] as number;
  return lo + (hi - lo) * (rank - Math.floor(rank));
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
