import { describe, expect, it } from "vitest";
import { judgeStep, searchCapacity, type CapacitySearchOptions, type CapacitySlo, type StepRequest, type StepRun } from "./search.js";

/**
 * A replica with `slots` parallel slots and a fixed service time, fed at a constant arrival rate: each
 * request waits for the earliest free slot (FIFO). TTFT = queue wait + `firstTokenMs`; TPOT constant.
 */
function simulate(
  rate: number,
  {
    slots,
    serviceMs,
    firstTokenMs = 50,
    tokens = 10,
    warmupMs = 5_000,
    windowMs = 20_000,
  }: {
    slots: number;
    serviceMs: number;
    firstTokenMs?: number;
    tokens?: number;
    warmupMs?: number;
    windowMs?: number;
  },
): StepRun {
  const free = Array.from({ length: slots }, () => 0);
  const requests: StepRequest[] = [];
  const end = warmupMs + windowMs;
  for (let t = 0; t < end; t += 1000 / rate) {
    free.sort((a, b) => a - b);
    const startService = Math.max(t, free[0] as number);
    free[0] = startService + serviceMs;
    const wait = startService - t;
    requests.push({
      startMs: t,
      endMs: startService + serviceMs,
      ok: true,
      ttftMs: wait + firstTokenMs,
      tpotMs: (serviceMs - firstTokenMs) / (tokens - 1),
      outputTokens: tokens,
      status: "OK",
    });
  }
  return { rate, warmupMs, windowMs, requests, droppedInWindow: 0 };
}

const slo: CapacitySlo = { ttftP95Ms: 1000, tpotP95Ms: 200, errorRate: 0.01 };
const search: CapacitySearchOptions = {
  startRate: 0.25,
  minRate: 0.03,
  maxRate: 64,
  precision: 0.05,
  maxSteps: 20,
  windowMs: 20_000,
  minRequests: 10,
};
const measureWith =
  (replica: { slots: number; serviceMs: number; firstTokenMs?: number; tokens?: number }) => (rate: number, windowMs: number) =>
    Promise.resolve(simulate(rate, { ...replica, windowMs }));

describe("judgeStep", () => {
  it("counts only requests that start inside the measurement window", () => {
    const run = simulate(2, { slots: 4, serviceMs: 500 });
    const step = judgeStep(run, slo);
    expect(step.offered).toBe(40); // 20 s x 2 req/s; the 10 warm-up requests are left out
    expect(step.meetsSlo).toBe(true);
    expect(step.throughputRps).toBeCloseTo(2, 1);
    expect(step.outputTokensPerSecond).toBeCloseTo(20, 0);
    expect(step.meanE2eMs).toBeCloseTo(500, 0);
  });

  it("fails a step that falls behind even when its percentiles look fine", () => {
    // 1 slot, 1 s service: capacity 1 req/s; at 1.2 req/s the backlog grows, and with a lax TTFT SLO only
    // the completion count shows it.
    const step = judgeStep(simulate(1.2, { slots: 1, serviceMs: 1000 }), { ...slo, ttftP95Ms: 60_000 });
    expect(step.meetsSlo).toBe(false);
    expect(step.violations.join()).toMatch(/falls behind/);
  });

  it("counts dropped and cut-off requests as errors", () => {
    const run = simulate(1, { slots: 4, serviceMs: 200 });
    (run.requests[10] as StepRequest).endMs = undefined;
    const step = judgeStep({ ...run, droppedInWindow: 2 }, slo);
    expect(step.cutOff).toBe(1);
    expect(step.dropped).toBe(2);
    expect(step.errorRate).toBeCloseTo(3 / 22, 3);
    expect(step.violations.join()).toMatch(/error rate 13\.6% > 1\.0%/);
  });
});

describe("searchCapacity", () => {
  it.each([
    { slots: 2, serviceMs: 1000 },
    { slots: 4, serviceMs: 800 },
    { slots: 1, serviceMs: 300 },
  ])("finds the rate that $slots slots x $serviceMs ms imply", async ({ slots, serviceMs }) => {
    const implied = (slots * 1000) / serviceMs;
    const result = await searchCapacity(measureWith({ slots, serviceMs }), slo, search);
    // Just past saturation the backlog grows too slowly to show within one window: the search may land a
    // bisection step (5%) above the limit, never further, and never more than 15% below it.
    expect(result.sustainableRps).toBeLessThanOrEqual(implied * (1 + search.precision));
    expect(result.sustainableRps).toBeGreaterThanOrEqual(implied * 0.85);
    expect(result.firstFailingRps).toBeGreaterThan(result.sustainableRps);
    // The curve is sorted and holds every step, passing below the limit and failing above it.
    expect(result.curve.map((s) => s.rate)).toEqual([...result.curve.map((s) => s.rate)].sort((a, b) => a - b));
    for (const step of result.curve) expect(step.meetsSlo).toBe(step.rate <= result.sustainableRps);
  });

  it("halves from a start rate that already fails", async () => {
    const steps: number[] = [];
    const result = await searchCapacity(
      measureWith({ slots: 1, serviceMs: 4000, tokens: 40 }), // TPOT ~100 ms
      slo,
      { ...search, startRate: 2 },
      (s) => steps.push(s.rate),
    );
    expect(steps.slice(0, 3)).toEqual([2, 1, 0.5]);
    expect(result.sustainableRps).toBeGreaterThanOrEqual(0.25 * 0.85);
    expect(result.sustainableRps).toBeLessThanOrEqual(0.25 * 1.05);
  });

  it("says which SLO fails first when no rate meets them", async () => {
    const result = await searchCapacity(measureWith({ slots: 8, serviceMs: 500, firstTokenMs: 3000 }), slo, search);
    expect(result.sustainableRps).toBe(0);
    expect(result.atSustainable).toBeNull();
    expect(result.noRateReason).toMatch(/^at 0\.0313 req\/s \(the lowest rate tried\): ttft p95 3000 ms > 1000 ms$/);
  });

  it("reports a limit above --max-rate instead of inventing one", async () => {
    const result = await searchCapacity(measureWith({ slots: 64, serviceMs: 100 }), slo, { ...search, maxRate: 4 });
    expect(result.sustainableRps).toBe(4);
    expect(result.limitedByMaxRate).toBe(true);
    expect(result.firstFailingRps).toBeNull();
  });

  it("stops at maxSteps", async () => {
    const result = await searchCapacity(measureWith({ slots: 2, serviceMs: 1000 }), slo, { ...search, maxSteps: 4, precision: 0.001 });
    expect(result.curve).toHaveLength(4);
  });

  it.each([
    [{ ...slo, ttftP95Ms: 0 }, /--slo-ttft-p95-ms: must be a number > 0, got 0/],
    [{ ...slo, tpotP95Ms: -5 }, /--slo-tpot-p95-ms: must be a number > 0, got -5/],
    [{ ...slo, errorRate: 1.5 }, /--slo-error-rate: must be a share from 0 to below 1/],
    [{ ...slo, errorRate: Number.NaN }, /--slo-error-rate/],
  ])("refuses bad SLOs, naming the flag (%o)", async (bad, message) => {
    await expect(searchCapacity(() => Promise.reject(new Error("not reached")), bad, search)).rejects.toThrow(message);
  });

  it("refuses a start rate of 0", async () => {
    await expect(searchCapacity(() => Promise.reject(new Error("not reached")), slo, { ...search, startRate: 0 })).rejects.toThrow(
      /--start-rate: must be > 0/,
    );
  });
});
