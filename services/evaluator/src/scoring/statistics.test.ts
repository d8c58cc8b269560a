import { describe, expect, it } from "vitest";
import {
  mcnemarExact,
  mcnemarExactPower,
  mcnemarItemsNeeded,
  minDiscordantForSignificance,
  normalQuantile,
  passAtK,
  percentile,
  wilsonInterval,
} from "./statistics.js";

describe("wilsonInterval", () => {
  it("matches published values", () => {
    // 8/10 at 95%: [0.4902, 0.9433] (Wilson 1927; e.g. statsmodels proportion_confint(method="wilson")).
    const w = wilsonInterval(8, 10);
    expect(w.estimate).toBe(0.8);
    expect(w.low).toBeCloseTo(0.4902, 4);
    expect(w.high).toBeCloseTo(0.9433, 4);
    // 0/10: [0, 0.2775]; 10/10: [0.7225, 1].
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(0, 10).high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10).low).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(10, 10).high).toBe(1);
  });

  it("accepts fractional successes (repeats averaged per item)", () => {
    const w = wilsonInterval(7.5, 10);
    expect(w.estimate).toBe(0.75);
    expect(w.low).toBeLessThan(0.75);
    expect(w.high).toBeGreaterThan(0.75);
  });

  it("is uninformative for n = 0 and refuses impossible input", () => {
    expect(wilsonInterval(0, 0)).toEqual({ estimate: 0, low: 0, high: 1 });
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError);
  });
});

describe("mcnemarExact", () => {
  it("is the two-sided exact binomial test on the discordant pairs", () => {
    expect(mcnemarExact(0, 0).p).toBe(1);
    expect(mcnemarExact(0, 6).p).toBeCloseTo(2 / 64, 12);
    expect(mcnemarExact(6, 0).p).toBeCloseTo(2 / 64, 12);
    expect(mcnemarExact(0, 5).p).toBeCloseTo(2 / 32, 12);
    // b=1, c=9: 2 * (C(10,0) + C(10,1)) / 2^10 = 22/1024.
    expect(mcnemarExact(1, 9).p).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExact(5, 5).p).toBe(1);
    // scipy.stats.binomtest(3, 20).pvalue == 0.0025768280029296875
    expect(mcnemarExact(3, 17).p).toBeCloseTo(0.0025768280029296875, 12);
  });

  it("refuses non-integer or negative counts", () => {
    expect(() => mcnemarExact(1.5, 2)).toThrow(RangeError);
    expect(() => mcnemarExact(-1, 2)).toThrow(RangeError);
  });

  it("needs 6 discordant pairs before p < 0.05 is possible", () => {
    expect(minDiscordantForSignificance(0.05)).toBe(6);
    expect(minDiscordantForSignificance(0.01)).toBe(8);
  });
});

describe("percentile", () => {
  it("interpolates linearly (NumPy's default)", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 95)).toBeCloseTo(48, 10);
    expect(percentile([5], 95)).toBe(5);
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe("passAtK (the HumanEval paper's unbiased estimator)", () => {
  /** Brute force: the share of all k-subsets of the n samples that contain at least one passing sample. */
  function enumerate(n: number, c: number, k: number): number {
    let hit = 0;
    let all = 0;
    for (let mask = 0; mask < 1 << n; mask++) {
      let bits = 0;
      for (let m = mask; m; m &= m - 1) bits++;
      if (bits !== k) continue;
      all++;
      if ((mask & ((1 << c) - 1)) !== 0) hit++; // samples 0..c-1 are the passing ones
    }
    return hit / all;
  }

  it("equals the enumeration of k-subsets for every n <= 10", () => {
    for (let n = 1; n <= 10; n++)
      for (let c = 0; c <= n; c++) for (let k = 1; k <= n; k++) expect(passAtK(n, c, k)).toBeCloseTo(enumerate(n, c, k), 12);
  });

  it("gives the paper's closed forms: pass@1 = c/n, 1 - C(n-c,k)/C(n,k), 1 when n - c < k", () => {
    expect(passAtK(200, 37, 1)).toBeCloseTo(37 / 200, 12);
    // C(5,2)/C(10,2) = 10/45 fails, so 35/45 passes.
    expect(passAtK(10, 5, 2)).toBeCloseTo(35 / 45, 12);
    expect(passAtK(200, 150, 100)).toBe(1);
    // The paper's n = 200, k = 100 stays finite and in [0, 1] (the naive binomial ratio overflows).
    const v = passAtK(200, 3, 100);
    expect(v).toBeGreaterThan(0.87);
    expect(v).toBeLessThan(0.88); // 1 - (100*99*98)/(200*199*198) = 0.8769
    expect(v).toBeCloseTo(1 - (100 * 99 * 98) / (200 * 199 * 198), 12);
  });

  it("refuses impossible counts", () => {
    expect(() => passAtK(5, 6, 1)).toThrow(RangeError);
    expect(() => passAtK(5, 1, 6)).toThrow(RangeError);
    expect(() => passAtK(0, 0, 1)).toThrow(RangeError);
  });
});

describe("McNemar sample size (power)", () => {
  it("names about the sample where the exact test has 80% power", () => {
    for (const [pA, pB] of [
      [0.2, 0.05],
      [0.3, 0.1],
      [0.12, 0.04],
    ] as const) {
      const n = mcnemarItemsNeeded(pA, pB);
      expect(n).not.toBeNull();
      const power = mcnemarExactPower(n as number, pA, pB);
      // Connor's approximation is close to, but not exactly, the exact test's power (discreteness).
      expect(power).toBeGreaterThan(0.72);
      expect(power).toBeLessThan(0.88);
      // A quarter of that sample has clearly less power: the figure is not arbitrary.
      expect(mcnemarExactPower(Math.ceil((n as number) / 4), pA, pB)).toBeLessThan(0.5);
    }
  });

  it("is symmetric, grows as the difference shrinks, and is null without a difference", () => {
    expect(mcnemarItemsNeeded(0.2, 0.05)).toBe(mcnemarItemsNeeded(0.05, 0.2));
    expect(mcnemarItemsNeeded(0.2, 0.1) as number).toBeGreaterThan(mcnemarItemsNeeded(0.2, 0.05) as number);
    expect(mcnemarItemsNeeded(0.1, 0.1)).toBeNull();
    expect(mcnemarItemsNeeded(0, 0)).toBeNull();
    // Connor's formula by hand: pd = 0.25, d = 0.15: (1.96*0.5 + 0.8416*sqrt(0.2275))^2 / 0.0225 = 84.8 -> 85.
    expect(mcnemarItemsNeeded(0.2, 0.05)).toBe(85);
    // One item each way decided: Connor says 4, but the exact test needs 6 discordant pairs.
    expect(mcnemarItemsNeeded(1, 0)).toBe(6);
    expect(mcnemarItemsNeeded(0.5, 0)).toBe(14); // Connor 13.06 -> 14, above 6 / 0.5 = 12
  });

  it("the inverse normal matches known quantiles", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621, 6);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 6);
  });
});
