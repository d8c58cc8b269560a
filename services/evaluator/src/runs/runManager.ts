// Runs: create them, cancel them, and execute them on this replica. Execution is lease-based so that a run
// outlives the process that started it: a replica claims unfinished runs from the store (leases.ts), renews
// its leases while it works, and another replica (or this one after a restart) claims a run whose lease
// lapsed and sends only the items not yet stored (runExecution.ts). A failed execution releases its lease
// and the run is claimed again after a backoff.
import type { EvaluatorMetrics, Tracer } from "@evalstack/telemetry";
import type { Logger } from "pino";
import type { LatencyTargets, SandboxOptions } from "../scoring/index.js";
import type { ItemScore } from "../scoring/types.js";
import type { SuiteItem } from "../suites/types.js";
import type { NewRun, RunRecord, Store } from "../store/types.js";
import { backoffDelay, type Backoff } from "../models/backoff.js";
import type { ModelRegistry } from "../models/modelRegistry.js";
import { leaseRound, Stopped } from "./leases.js";
import { PendingRequests } from "./pendingRequests.js";
import { RunEvents } from "./runEvents.js";
import { RunExecution } from "./runExecution.js";

export interface RunManagerOptions {
  store: Store;
  models: ModelRegistry;
  log: Logger;
  metrics: EvaluatorMetrics;
  tracer: Tracer;
  instanceId: string;
  leaseMs: number;
  retryBudgetMs: number;
  itemTimeoutMs: number;
  maxActiveRuns: number;
  latencyTargets: LatencyTargets;
  sandbox?: SandboxOptions;
  /** Scores one reply (default: the scoring module's scoreReply). */
  scorer?: (item: SuiteItem, reply: string) => Promise<ItemScore>;
  backoff?: Backoff;
}

export type RunSpec = Omit<NewRun, "created_at" | "items" | "id"> & { items: SuiteItem[] };

export class RunManager {
  readonly events = new RunEvents();
  readonly pending: PendingRequests;
  private readonly active = new Map<string, RunExecution>();
  /** Consecutive failed executions per run: the next claim waits longer each time. */
  private readonly failures = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private tickAgain = false;
  private stopped = false;

  constructor(readonly options: RunManagerOptions) {
    this.pending = new PendingRequests((model, delta) => options.metrics.addPending(model, delta));
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** Starts claiming and executing runs (and renewing leases) every third of the lease. */
  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.poke(), Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.poke();
  }

  /** Runs a claim/renew round now (coalesced with one already in progress). */
  poke(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = this.tick()
      .catch((error: Error) => this.options.log.error({ err: error.message }, "lease round failed"))
      .finally(() => {
        this.ticking = undefined;
        if (this.tickAgain) {
          this.tickAgain = false;
          this.poke();
        }
      });
  }

  private async tick(): Promise<void> {
    const { store, instanceId, leaseMs } = this.options;
    const claimed = await leaseRound(store, instanceId, leaseMs, {
      held: () => [...this.active.keys()],
      lost: (id, reason) => this.active.get(id)?.abort(reason),
      capacity: () => this.options.maxActiveRuns - this.active.size,
      accepting: () => !this.stopped,
    });
    for (const id of claimed) {
      if (this.active.has(id) || this.stopped) continue;
      const execution = new RunExecution(this, id);
      this.active.set(id, execution);
      void execution.done.finally(() => {
        this.active.delete(id);
        if (this.stopped) return;
        if (!execution.failure) {
          this.failures.delete(id);
          this.poke();
          return;
        }
        // Resume after a backoff, so a store that keeps failing is not hammered in a tight loop.
        const n = (this.failures.get(id) ?? 0) + 1;
        this.failures.set(id, n);
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.poke(), backoffDelay(n, this.options.backoff));
      });
    }
  }

  async createRun(spec: RunSpec): Promise<RunRecord> {
    const run = await this.options.store.createRun({
      ...spec,
      id: newRunId(),
      created_at: new Date().toISOString(),
    });
    this.options.metrics.runStatus("queued");
    this.options.log.info({ run_id: run.id, suite: run.suite_id, models: run.models, total_items: run.total_items }, "run created");
    this.poke();
    return run;
  }

  async cancelRun(id: string): Promise<RunRecord | null> {
    const before = await this.options.store.getRun(id);
    if (!before) return null;
    const run = await this.options.store.cancelRun(id, new Date().toISOString());
    if (run && before.status !== "cancelled" && run.status === "cancelled") {
      this.options.metrics.runStatus("cancelled");
      this.options.log.info({ run_id: id }, "run cancelled");
      this.events.emit("status", id, "cancelled");
    }
    this.active.get(id)?.abort(new Stopped("cancelled"));
    return run;
  }

  /** Requests per model waiting in this evaluator or in flight (the autoscaling signal). */
  pendingFor(model: string): number {
    return this.pending.count(model);
  }

  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  /**
   * Stops taking new items, lets the items in flight finish for up to `graceMs`, cancels the rest and
   * releases this replica's leases so another replica (or the next start) resumes the runs at once.
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    await this.ticking;
    const executions = [...this.active.values()];
    for (const e of executions) e.drain();
    const all = Promise.all(executions.map((e) => e.done));
    if (graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    for (const e of executions) e.abort(new Stopped("evaluator shutting down"));
    await all;
    const ids = executions.map((e) => e.runId);
    if (ids.length) await this.options.store.releaseLeases(this.options.instanceId, ids).catch(() => {});
  }
}

function newRunId(): string {
  // Sortable by creation time, unique across replicas: base36 time + random.
  const time = Date.now().toString(36).padStart(9, "0");
  const random = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => (b % 36).toString(36)).join("");
  return `run_${time}${random}`;
}
