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
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0)
    throw new RangeError(`b and c must be non-negative integers, got ${b}, ${c}`);
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

/**
 * The unbiased pass@k estimator of the HumanEval paper (Chen et al. 2021): with n samples of which c pass,
 * 1 - C(n-c, k) / C(n, k), computed as a product so that n = 200 does not overflow. pass@1 is c / n.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`need integers 0 <= c <= n, 1 <= k <= n; got n=${n}, c=${c}, k=${k}`);
  }
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

const Z_975 = 1.959963984540054;
const Z_80 = 0.8416212335729143;

/**
 * Paired items a McNemar test needs to reach p < 0.05 (two-sided) with 80% power when, per item, A is
 * ahead with probability pA and B with probability pB (the observed discordance rates). Connor's (1987)
 * normal approximation: n = (z_a sqrt(pd) + z_b sqrt(pd - d^2))^2 / d^2, pd = pA + pB, d = pA - pB.
 * At least enough items to expect the exact test's minimum of discordant pairs (6 at 0.05). Null when the
 * rates show no difference (no sample size can be named).
 */
export function mcnemarItemsNeeded(pA: number, pB: number, alpha = 0.05, power = 0.8): number | null {
  if (!(pA >= 0 && pB >= 0 && pA + pB <= 1 + 1e-9)) throw new RangeError(`need discordance rates in [0, 1], got ${pA}, ${pB}`);
  const d = Math.abs(pA - pB);
  const pd = pA + pB;
  if (d === 0 || pd === 0) return null;
  const za = alpha === 0.05 ? Z_975 : normalQuantile(1 - alpha / 2);
  const zb = power === 0.8 ? Z_80 : normalQuantile(power);
  const connor = Math.ceil((za * Math.sqrt(pd) + zb * Math.sqrt(Math.max(0, pd - d * d))) ** 2 / (d * d));
  // The approximation undershoots for large differences; the exact test cannot reject at all with fewer
  // than minDiscordantForSignificance discordant pairs, so at least that many are expected.
  return Math.max(connor, Math.ceil(minDiscordantForSignificance(alpha) / pd));
}

/**
 * The exact power of the two-sided exact McNemar test at `alpha` on n paired items with discordance rates
 * pA and pB: the probability, over the trinomial of (A ahead, B ahead, tie) counts, that p < alpha.
 */
export function mcnemarExactPower(n: number, pA: number, pB: number, alpha = 0.05): number {
  const pd = pA + pB;
  if (pd === 0) return 0;
  const q = pA / pd;
  let power = 0;
  for (let D = 0; D <= n; D++) {
    const pD = Math.exp(logChoose(n, D) + logPow(pd, D) + logPow(1 - pd, n - D));
    if (pD === 0) continue;
    // The largest k with 2 P(X <= k) < alpha for X ~ Bin(D, 1/2): reject when b <= k or b >= D - k.
    let k = -1;
    let tail = 0;
    for (let i = 0; i <= D; i++) {
      tail += Math.exp(logChoose(D, i) - D * Math.LN2);
      if (2 * tail < alpha) k = i;
      else break;
    }
    if (k < 0) continue;
    let reject = 0;
    for (let b = 0; b <= D; b++) {
      if (b <= k || b >= D - k) reject += Math.exp(logChoose(D, b) + logPow(q, b) + logPow(1 - q, D - b));
    }
    power += pD * reject;
  }
  return Math.min(1, power);
}

/** log(x^e), with 0^0 = 1. */
function logPow(x: number, e: number): number {
  return e === 0 ? 0 : e * Math.log(x);
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  const poly = (cs: number[], x: number) => cs.reduce((s, v) => s * x + v, 0);
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
