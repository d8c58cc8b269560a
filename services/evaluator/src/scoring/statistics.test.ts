import { describe, expect, it } from "vitest";
import { mcnemarExact, minDiscordantForSignificance, percentile, wilsonInterval } from "./statistics.js";

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
