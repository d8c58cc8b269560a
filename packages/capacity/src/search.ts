// The capacity search: the highest open-loop request rate one replica sustains while meeting the SLOs.
//
// Method (loadtests/README.md, "Capacity"): each step offers a constant arrival rate for a warm-up plus a
// measurement window; only requests that start inside the window count, so the step is judged in steady
// state. A step meets the SLOs when
//   - p95 TTFT <= the TTFT SLO and p95 TPOT <= the TPOT SLO (successful requests),
//   - the error rate (failed + dropped + cut off by the step's end) <= the error-rate SLO, and
//   - the replica keeps up: requests completed inside the window fall short of those offered by at most
//     one request or 5% of them. Past
//     saturation the backlog grows every second, and a short window can hide that in the percentiles but
//     not in the completion rate.
// The search doubles the rate from a start rate until a step fails (halving instead when the start rate
// already fails), then bisects between the last passing and the first failing rate until they are within
// `precision` of each other. Latency grows monotonically with load in steady state, which is what makes
// bisection valid; a noisy step can still mislead it, so the whole curve is kept and reported.
import { percentile, round } from "./numbers.js";

export interface CapacitySlo {
  ttftP95Ms: number;
  tpotP95Ms: number;
  /** Highest acceptable share of failed requests, 0..1. */
  errorRate: number;
}

/** What one request of a step did, on the load generator's clock (ms since the step began). */
export interface StepRequest {
  startMs: number;
  /** Undefined: cut off by the step's end before it finished. */
  endMs?: number;
  ok: boolean;
  ttftMs: number | null;
  tpotMs: number | null;
  outputTokens: number;
  status: string;
}

/** One step as run: every request it started, and those it could not start (every VU busy). */
export interface StepRun {
  rate: number;
  warmupMs: number;
  windowMs: number;
  requests: StepRequest[];
  /** Requests due inside the window that were not sent because every VU was busy. */
  droppedInWindow: number;
}

export interface CapacityStep {
  rate: number;
  /** Requests that started inside the measurement window (plus the dropped ones: they were offered too). */
  offered: number;
  completed: number;
  failed: number;
  dropped: number;
  cutOff: number;
  errorRate: number;
  ttftP95Ms: number | null;
  tpotP95Ms: number | null;
  /** Completions inside the window per second. */
  throughputRps: number;
  /** Output tokens of the window's completions per second. */
  outputTokensPerSecond: number;
  meanOutputTokens: number | null;
  /** Share of offered requests that succeeded within both latency SLOs. */
  goodput: number;
  /** Mean end-to-end latency of the window's successful requests (Little's law: in flight = rate x e2e). */
  meanE2eMs: number | null;
  meetsSlo: boolean;
  /** The criteria a failing step missed, e.g. "ttft p95 1843 ms > 1000 ms". */
  violations: string[];
}

export interface CapacitySearchOptions {
  startRate: number;
  /** The search stops doubling here. */
  maxRate: number;
  /** Halving stops here: below it the model "meets the SLOs at no rate". */
  minRate: number;
  /** Relative gap between the passing and failing rate at which bisection stops (0.1 = 10%). */
  precision: number;
  maxSteps: number;
  /** The measurement window of a step, stretched at low rates to hold at least `minRequests` requests. */
  windowMs: number;
  minRequests: number;
}

export interface CapacityCurveResult {
  /** The highest rate that met the SLOs (req/s); 0 when none did. */
  sustainableRps: number;
  /** The step at that rate. */
  atSustainable: CapacityStep | null;
  /** The lowest failing rate found above it, if any (the true limit lies between). */
  firstFailingRps: number | null;
  /** When no rate met the SLOs: what the lowest rate tried missed. */
  noRateReason: string | null;
  /** Every step, by rate. */
  curve: CapacityStep[];
  /** True when the search stopped at maxRate while still passing (the limit lies above). */
  limitedByMaxRate: boolean;
}

const BACKLOG_TOLERANCE = 0.05;

export function validateSlo(slo: CapacitySlo): void {
  const positive: [keyof CapacitySlo, string][] = [
    ["ttftP95Ms", "--slo-ttft-p95-ms"],
    ["tpotP95Ms", "--slo-tpot-p95-ms"],
  ];
  for (const [key, flag] of positive) {
    if (!(Number.isFinite(slo[key]) && slo[key] > 0)) throw new Error(`${flag}: must be a number > 0, got ${slo[key]}`);
  }
  if (!(Number.isFinite(slo.errorRate) && slo.errorRate >= 0 && slo.errorRate < 1)) {
    throw new Error(`--slo-error-rate: must be a share from 0 to below 1 (0.01 = 1%), got ${slo.errorRate}`);
  }
}

export function validateSearchOptions(options: CapacitySearchOptions): void {
  const checks: [boolean, string][] = [
    [options.startRate > 0, `--start-rate: must be > 0, got ${options.startRate}`],
    [options.minRate > 0 && options.minRate <= options.startRate, `--min-rate: must be > 0 and <= --start-rate, got ${options.minRate}`],
    [options.maxRate >= options.startRate, `--max-rate: must be >= --start-rate (${options.startRate}), got ${options.maxRate}`],
    [options.precision > 0 && options.precision < 1, `--precision: must be between 0 and 1, got ${options.precision}`],
    [Number.isInteger(options.maxSteps) && options.maxSteps >= 2, `--max-steps: must be an integer >= 2, got ${options.maxSteps}`],
    [options.windowMs > 0, `--step-duration: must be > 0, got ${options.windowMs} ms`],
    [
      Number.isInteger(options.minRequests) && options.minRequests >= 1,
      `--min-requests: must be an integer >= 1, got ${options.minRequests}`,
    ],
  ];
  for (const [ok, message] of checks) if (!ok) throw new Error(message);
}

/** A step's measurement window: the configured one, or longer at low rates so it holds `minRequests`. */
export function stepWindowMs(rate: number, options: Pick<CapacitySearchOptions, "windowMs" | "minRequests">): number {
  return Math.max(options.windowMs, Math.ceil((options.minRequests * 1000) / rate));
}

const p95 = (values: number[]) =>
  values.length
    ? percentile(
        [...values].sort((a, b) => a - b),
        95,
      )
    : null;
const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);

/** Judges one step against the SLOs, from the requests that started inside its measurement window. */
export function judgeStep(run: StepRun, slo: CapacitySlo): CapacityStep {
  const windowEnd = run.warmupMs + run.windowMs;
  const inWindow = run.requests.filter((r) => r.startMs >= run.warmupMs && r.startMs < windowEnd);
  const cutOff = inWindow.filter((r) => r.endMs === undefined).length;
  const finished = inWindow.filter((r) => r.endMs !== undefined);
  const succeeded = finished.filter((r) => r.ok);
  const failed = finished.length - succeeded.length;
  const offered = inWindow.length + run.droppedInWindow;
  // Completions inside the window, whenever they started: the replica's throughput in steady state.
  const completedInWindow = run.requests.filter((r) => r.ok && r.endMs !== undefined && r.endMs >= run.warmupMs && r.endMs < windowEnd);
  const seconds = run.windowMs / 1000;
  const ttftP95 = p95(succeeded.map((r) => r.ttftMs ?? 0));
  const tpotP95 = p95(succeeded.flatMap((r) => (r.tpotMs === null ? [] : [r.tpotMs])));
  const errorRate = offered ? (failed + run.droppedInWindow + cutOff) / offered : 0;
  const withinSlo = succeeded.filter((r) => (r.ttftMs ?? 0) <= slo.ttftP95Ms && (r.tpotMs === null || r.tpotMs <= slo.tpotP95Ms));
  const violations: string[] = [];
  if (offered === 0) violations.push("no request started in the measurement window (lengthen the window)");
  if (ttftP95 !== null && ttftP95 > slo.ttftP95Ms) violations.push(`ttft p95 ${Math.round(ttftP95)} ms > ${slo.ttftP95Ms} ms`);
  if (tpotP95 !== null && tpotP95 > slo.tpotP95Ms) violations.push(`tpot p95 ${round(tpotP95, 1)} ms > ${slo.tpotP95Ms} ms`);
  if (errorRate > slo.errorRate) violations.push(`error rate ${(errorRate * 100).toFixed(1)}% > ${(slo.errorRate * 100).toFixed(1)}%`);
  const expected = run.rate * seconds;
  // Keeping up: the backlog may not grow by more than one request or 5% of the arrivals over the window.
  // With evenly spaced arrivals the completions inside a window are rate x window give or take one,
  // whatever the load; past saturation the shortfall grows with every second.
  if (offered > 0 && completedInWindow.length < expected - Math.max(1, BACKLOG_TOLERANCE * expected)) {
    violations.push(`falls behind: ${completedInWindow.length} completed in the window, ${Math.round(expected)} offered`);
  }
  return {
    rate: run.rate,
    offered,
    completed: succeeded.length,
    failed,
    dropped: run.droppedInWindow,
    cutOff,
    errorRate: round(errorRate, 4),
    ttftP95Ms: ttftP95 === null ? null : round(ttftP95),
    tpotP95Ms: tpotP95 === null ? null : round(tpotP95),
    throughputRps: round(completedInWindow.length / seconds, 3),
    outputTokensPerSecond: round(completedInWindow.reduce((sum, r) => sum + r.outputTokens, 0) / seconds),
    meanOutputTokens: succeeded.length ? round(mean(succeeded.map((r) => r.outputTokens)) as number) : null,
    goodput: offered ? round(withinSlo.length / offered, 4) : 0,
    meanE2eMs: succeeded.length ? round(mean(succeeded.map((r) => (r.endMs as number) - r.startMs)) as number) : null,
    meetsSlo: violations.length === 0,
    violations,
  };
}

/**
 * Runs steps through `measure` (one open-loop step at the given rate, measured over the given window) and returns the sustainable rate and
 * the curve it was found on. `onStep` sees each step as it is judged (progress lines).
 */
export async function searchCapacity(
  measure: (rate: number, windowMs: number) => Promise<StepRun>,
  slo: CapacitySlo,
  options: CapacitySearchOptions,
  onStep: (step: CapacityStep) => void = () => {},
): Promise<CapacityCurveResult> {
  validateSlo(slo);
  validateSearchOptions(options);
  const steps = new Map<number, CapacityStep>();
  const run = async (rate: number) => {
    const rounded = round(rate, 4);
    const step = judgeStep(await measure(rounded, stepWindowMs(rounded, options)), slo);
    steps.set(rounded, step);
    onStep(step);
    return step;
  };
  let pass: CapacityStep | null = null;
  let fail: CapacityStep | null = null;
  let limitedByMaxRate = false;

  // Coarse: double while passing; halve while failing from the start.
  let rate = options.startRate;
  let step = await run(rate);
  if (step.meetsSlo) {
    pass = step;
    while (steps.size < options.maxSteps) {
      if (rate >= options.maxRate) {
        limitedByMaxRate = true;
        break;
      }
      rate = Math.min(rate * 2, options.maxRate);
      step = await run(rate);
      if (!step.meetsSlo) {
        fail = step;
        break;
      }
      pass = step;
    }
  } else {
    fail = step;
    while (steps.size < options.maxSteps && rate / 2 >= options.minRate) {
      rate /= 2;
      step = await run(rate);
      if (step.meetsSlo) {
        pass = step;
        break;
      }
      fail = step;
    }
  }

  // Bisect between the last passing and the first failing rate.
  while (pass && fail && steps.size < options.maxSteps && (fail.rate - pass.rate) / pass.rate > options.precision) {
    step = await run((pass.rate + fail.rate) / 2);
    if (step.meetsSlo) pass = step;
    else fail = step;
  }

  const curve = [...steps.values()].sort((a, b) => a.rate - b.rate);
  const lowest = curve[0];
  return {
    sustainableRps: pass?.rate ?? 0,
    atSustainable: pass,
    firstFailingRps: curve.find((s) => !s.meetsSlo && s.rate > (pass?.rate ?? 0))?.rate ?? null,
    noRateReason: pass || !lowest ? null : `at ${lowest.rate} req/s (the lowest rate tried): ${lowest.violations.join("; ")}`,
    curve,
    limitedByMaxRate,
  };
}
