// Executors: how iterations are scheduled. The same models as k6's executors, for the same reasons:
// - closed model (constant VUs): N virtual users each start their next request when the previous one ends,
//   so the offered load adapts to the service (concurrency sweeps, soaks);
// - open model (constant arrival rate): requests start on a fixed clock whatever the service does; when
//   every VU is busy the iteration is dropped and counted, which is how an overloaded service shows.
// At the end of a stage the requests in flight get `gracefulStopMs` to finish; after that they are aborted
// (the gRPC call is cancelled) and counted as interrupted, not as errors.
import { setTimeout as delay } from "node:timers/promises";
import { performance } from "node:perf_hooks";

export interface IterationContext {
  /** Index of the virtual user (0-based), stable for the VU's life: scripts keep one connection per VU. */
  vu: number;
  /** Iteration number across the whole stage. */
  iteration: number;
  /** Aborted when the stage's graceful stop runs out. */
  signal: AbortSignal;
}

export type IterationFn = (ctx: IterationContext) => Promise<void>;

export interface StageRun {
  startedAt: number;
  endedAt: number;
  /** Iterations that ran to completion (success or failure). */
  iterations: number;
  /** Iterations aborted by the graceful stop. */
  interrupted: number;
  /** Arrival-rate only: iterations that could not start because every VU was busy. */
  dropped: number;
  /** The most iterations in flight at once. */
  maxInFlight: number;
}

export interface ConstantVusOptions {
  vus: number;
  durationMs: number;
  gracefulStopMs: number;
}

export interface ArrivalRateOptions {
  /** Iterations started per second. */
  rate: number;
  durationMs: number;
  /** Most iterations in flight at once; beyond it iterations are dropped. */
  maxVUs: number;
  gracefulStopMs: number;
}

class Tracker {
  readonly controller = new AbortController();
  iterations = 0;
  interrupted = 0;
  dropped = 0;
  inFlight = 0;
  maxInFlight = 0;
  private counter = 0;

  async run(fn: IterationFn, vu: number): Promise<void> {
    const iteration = this.counter++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await fn({ vu, iteration, signal: this.controller.signal });
    } catch (error) {
      // Scripts record their own failures; an exception escaping one is a bug worth seeing, not a hang.
      if (!this.controller.signal.aborted) console.error(`iteration ${iteration} threw:`, error);
    } finally {
      this.inFlight--;
      if (this.controller.signal.aborted) this.interrupted++;
      else this.iterations++;
    }
  }

  /** Waits for `pending` up to `gracefulStopMs`, then aborts what is still running and waits for it. */
  async drain(pending: Promise<unknown>, gracefulStopMs: number): Promise<void> {
    const timer = new AbortController();
    const finished = await Promise.race([
      pending.then(() => true),
      delay(gracefulStopMs, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (!finished) {
      this.controller.abort();
      await pending;
    }
  }

  result(startedAt: number): StageRun {
    return {
      startedAt,
      endedAt: performance.now(),
      iterations: this.iterations,
      interrupted: this.interrupted,
      dropped: this.dropped,
      maxInFlight: this.maxInFlight,
    };
  }
}

/** Closed model: `vus` loops, each running iterations back to back until `durationMs` has passed. */
export async function runConstantVus(options: ConstantVusOptions, fn: IterationFn): Promise<StageRun> {
  const tracker = new Tracker();
  const startedAt = performance.now();
  const endAt = startedAt + options.durationMs;
  const loops: Promise<void>[] = [];
  for (let vu = 0; vu < options.vus; vu++) {
    loops.push(
      (async () => {
        while (performance.now() < endAt && !tracker.controller.signal.aborted) await tracker.run(fn, vu);
      })(),
    );
  }
  const all = Promise.all(loops);
  const remaining = endAt - performance.now();
  const timer = new AbortController();
  // Wait for the stage's duration (or for every loop to end early, which only an abort can cause).
  await Promise.race([all, delay(Math.max(0, remaining), undefined, { signal: timer.signal }).catch(() => undefined)]);
  timer.abort();
  await tracker.drain(all, options.gracefulStopMs);
  return tracker.result(startedAt);
}

/**
 * Open model: one iteration every 1/rate seconds for `durationMs`, dropped when `maxVUs` are busy.
 * `onDrop` hears the planned start (ms since the stage began) of each dropped iteration.
 */
export async function runConstantArrivalRate(
  options: ArrivalRateOptions,
  fn: IterationFn,
  onDrop: (plannedAtMs: number) => void = () => {},
): Promise<StageRun> {
  if (!(options.rate > 0)) throw new Error(`arrival rate must be > 0, got ${options.rate}`);
  const tracker = new Tracker();
  const startedAt = performance.now();
  const endAt = startedAt + options.durationMs;
  const intervalMs = 1000 / options.rate;
  const freeVus = Array.from({ length: options.maxVUs }, (_, i) => options.maxVUs - 1 - i);
  const running = new Set<Promise<void>>();
  let next = startedAt;
  while (next < endAt) {
    const wait = next - performance.now();
    if (wait > 0) await delay(wait);
    const now = performance.now();
    // Start every iteration that is due (several when the event loop was late), on the planned clock.
    while (next <= now && next < endAt) {
      const plannedAt = next;
      next += intervalMs;
      const vu = freeVus.pop();
      if (vu === undefined) {
        tracker.dropped++;
        onDrop(plannedAt - startedAt);
        continue;
      }
      const task: Promise<void> = tracker.run(fn, vu).finally(() => {
        freeVus.push(vu);
        running.delete(task);
      });
      running.add(task);
    }
  }
  await tracker.drain(Promise.all([...running]), options.gracefulStopMs);
  return tracker.result(startedAt);
}
