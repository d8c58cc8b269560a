// The statistics behind every number in a report: Wilson intervals, the exact McNemar test, percentiles.

export interface Interval {
  /** The point estimate (successes / n). */
  estimate: number;
  low: number;
  high: number;
}

/**
 * Wilson score interval for a proportion. `successes` may be fractional (items averaged over repeats).
 * z defaults to 1.959964 (95%). n = 0 gives the uninformative [0, 1].
 */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): Interval {
  if (!(n >= 0) || !(successes >= 0) || successes > n + 1e-9) throw new RangeError(`need 0 <= successes <= n, got ${successes}/${n}`);
  if (n === 0) return { estimate: 0, low: 0, high: 1 };
  const p = Math.min(1, successes / n);
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At p = 0 or 1 the bound is exactly 0 or 1 (avoid 0.9999999999999999 from rounding).
  return { estimate: p, low: p === 0 ? 0 : Math.max(0, centre - half), high: p === 1 ? 1 : Math.min(1, centre + half) };
}

/** log(n choose k), exact enough for n in the thousands. */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

export interface McNemarResult {
  /** Discordant pairs: A passed where B failed (b), B passed where A failed (c). */
  b: number;
  c: number;
  /** Two-sided exact p-value: 2 x P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1. */
  p: number;
}

/** Exact (binomial) McNemar test on the discordant pair counts b and c. b + c = 0 gives p = 1. */
export function mcnemarExact(b: number, c: number): McNemarResult {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) throw new RangeError(`b and c must be non-negative integers, got ${b}, ${c}`);
  const n = b + c;
  if (n === 0) return { b, c, p: 1 };
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return { b, c, p: Math.min(1, 2 * tail) };
}

/** Fewest discordant pairs with which an exact two-sided test at `alpha` can reject at all (6 for 0.05). */
export function minDiscordantForSignificance(alpha = 0.05): number {
  let n = 1;
  while (2 * 0.5 ** n >= alpha) n++;
  return n;
}

/** Linear-interpolated percentile (the "R-7"/NumPy default), q in [0, 100]; NaN for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}
