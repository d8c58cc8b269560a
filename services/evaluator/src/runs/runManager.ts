// Runs: create them, execute them (all models in parallel, each with bounded concurrency), store every
// reply the moment it arrives, and finish them. Execution is lease-based so that a run outlives the process
// that started it: a replica claims unfinished runs from the store, renews its leases while it works, and
// another replica (or this one after a restart) claims a run whose lease lapsed and sends only the items not
// yet stored.
import { SpanKind, SpanStatusCode, context, trace, type EvaluatorMetrics, type Tracer } from "@evalstack/telemetry";
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { scoreReply, type LatencyTargets, type SandboxOptions } from "../scoring/index.js";
import type { ItemScore, ModelSnapshot, RunItemResult, SuiteItem } from "../scoring/types.js";
import { type NewRun, type RunRecord, type RunStatus, type Sampling, type Store, TERMINAL_STATUSES, itemKey } from "../store/types.js";
import { GenerationFailed, generateWithRetries, toGenerateRequest, type Generation } from "../models/generation.js";
import { snapshotFromInfo, type ModelHandle, type ModelRegistry } from "../models/modelRegistry.js";
import { RunEvents } from "./runEvents.js";

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
  backoff?: { baseMs: number; maxMs: number };
}

export type RunSpec = Omit<NewRun, "created_at" | "items" | "id"> & { items: SuiteItem[] };

class Stopped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "Stopped";
  }
}

export class RunManager {
  readonly events = new RunEvents();
  private readonly active = new Map<string, RunExecution>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private tickAgain = false;
  private stopped = false;
  private readonly pending = new Map<string, number>();

  constructor(readonly options: RunManagerOptions) {}

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
    const mine = [...this.active.keys()];
    if (mine.length) {
      const held = new Set(await store.renewLeases(instanceId, mine, leaseMs));
      for (const id of mine) {
        if (!held.has(id)) this.active.get(id)?.abort(new Stopped("lease lost or run finished elsewhere (cancelled?)"));
      }
    }
    if (this.stopped) return;
    const free = this.options.maxActiveRuns - this.active.size;
    if (free <= 0) return;
    const claimed = await store.claimRuns(instanceId, leaseMs, free);
    for (const id of claimed) {
      if (this.active.has(id) || this.stopped) continue;
      const execution = new RunExecution(this, id);
      this.active.set(id, execution);
      void execution.done.finally(() => {
        this.active.delete(id);
        if (!this.stopped) this.poke();
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
    return this.pending.get(model) ?? 0;
  }

  addPending(model: string, delta: number): void {
    if (delta === 0) return;
    this.pending.set(model, (this.pending.get(model) ?? 0) + delta);
    this.options.metrics.addPending(model, delta);
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

/** One run being executed by this replica. */
class RunExecution {
  readonly done: Promise<void>;
  private readonly controller = new AbortController();
  private draining = false;

  constructor(
    private readonly manager: RunManager,
    readonly runId: string,
  ) {
    // Every item in flight listens for the run's abort (limiter wait, stream, backoff): more than Node's
    // default warning threshold of 10 is normal here.
    setMaxListeners(0, this.controller.signal);
    this.done = this.execute().catch((error: Error) => {
      if (error instanceof Stopped || this.controller.signal.aborted) {
        this.log.info({ run_id: runId, reason: (this.controller.signal.reason as Error)?.message ?? error.message }, "run execution stopped");
      } else {
        this.log.error({ run_id: runId, err: error.message, stack: error.stack }, "run execution failed; its lease lapses and it is retried");
      }
    });
  }

  private get options(): RunManagerOptions {
    return this.manager.options;
  }

  private get log(): Logger {
    return this.options.log;
  }

  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Take no new items (the ones in flight go on). */
  drain(): void {
    this.draining = true;
  }

  private async execute(): Promise<void> {
    const { store, instanceId } = this.options;
    const run = await store.getRun(this.runId);
    if (!run || TERMINAL_STATUSES.has(run.status)) return;
    if (!(await store.markRunning(run.id, instanceId))) return;
    if (run.status === "queued") {
      this.options.metrics.runStatus("running");
      this.manager.events.emit("status", run.id, "running");
    }
    const stored = await store.storedKeys(run.id);
    this.log.info({ run_id: run.id, stored: stored.size, total: run.total_items, resumed: stored.size > 0 || run.status === "running" }, "executing run");

    await Promise.all(run.models.map((model) => this.runModel(run, model, stored)));
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
    if (this.draining) throw new Stopped("drained before the run finished");

    const counts = await store.counts(run.id);
    let status: RunStatus;
    let error: string | null = null;
    if (counts.done < run.total_items) {
      status = "failed";
      error = `${run.total_items - counts.done} items were never stored`;
    } else if (counts.errors === 0) status = "completed";
    else if (counts.errors === counts.done) {
      status = "failed";
      error = `every item failed (${counts.errors})`;
    } else {
      status = "partial";
      error = `${counts.errors} of ${counts.done} items failed`;
    }
    if (await store.finishRun(run.id, instanceId, status, error, new Date().toISOString())) {
      this.options.metrics.runStatus(status);
      this.log.info({ run_id: run.id, status, completed: counts.completed, errors: counts.errors }, "run finished");
      this.manager.events.emit("status", run.id, status);
    }
  }

  private async runModel(run: RunRecord, model: string, stored: Set<string>): Promise<void> {
    const keys: { item: SuiteItem; repeat: number }[] = [];
    for (let repeat = 0; repeat < run.repeats; repeat++) {
      for (const item of run.items) if (!stored.has(itemKey(item.id, model, repeat))) keys.push({ item, repeat });
    }
    if (keys.length === 0) return;
    const handle = this.options.models.get(model);
    if (!handle) {
      await this.failAll(run, model, keys, `model "${model}" is not configured on this evaluator (EVALSTACK_MODELS)`);
      return;
    }
    this.manager.addPending(model, keys.length);
    let remaining = keys.length;
    try {
      const snapshot = await this.snapshot(run, handle);
      if (snapshot instanceof GenerationFailed) {
        await this.failAll(run, model, keys, `cannot reach ${model} for its model info: ${snapshot.reason}`);
        return;
      }
      const concurrency = Math.max(1, run.concurrency[model] ?? snapshot.slots ?? 1);
      handle.setRunConcurrency(run.id, concurrency);
      let next = 0;
      const worker = async () => {
        while (next < keys.length && !this.draining && !this.controller.signal.aborted) {
          const key = keys[next++]!;
          await this.processItem(run, handle, key.item, key.repeat);
          remaining--;
          this.manager.addPending(model, -1);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
    } finally {
      handle.setRunConcurrency(run.id, undefined);
      this.manager.addPending(model, -remaining);
    }
  }

  /** The model's snapshot stored with the run, or GetModelInfo now (retried within the budget). */
  private async snapshot(run: RunRecord, handle: ModelHandle): Promise<ModelSnapshot | GenerationFailed> {
    const known = run.model_snapshots.find((s) => s.name === handle.name);
    if (known) {
      // Size the model's limiter to its slots (GetModelInfo), even though the stored snapshot is what counts.
      if (!handle.knownInfo) await handle.getInfo().catch(() => undefined);
      return known;
    }
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      if (this.controller.signal.aborted) throw this.controller.signal.reason;
      try {
        const info = await handle.getInfo();
        handle.noteSuccess();
        const snapshot = snapshotFromInfo(handle.name, handle.target, info);
        await this.options.store.setModelSnapshot(run.id, snapshot);
        return snapshot;
      } catch (error) {
        const message = (error as { details?: string }).details || (error as Error).message;
        handle.noteRetryableFailure(`GetModelInfo: ${message}`);
        const failingFor = Math.max(handle.failingForMs(), Date.now() - started);
        if (failingFor >= this.options.retryBudgetMs) {
          return new GenerationFailed(`${message} (for ${Math.round(failingFor / 1000)} s, retry budget ${Math.round(this.options.retryBudgetMs / 1000)} s)`, attempt, "UNAVAILABLE");
        }
        await abortableSleep(Math.min(5_000, 200 * 2 ** Math.min(attempt, 5)), this.controller.signal);
      }
    }
  }

  private async failAll(run: RunRecord, model: string, keys: { item: SuiteItem; repeat: number }[], reason: string): Promise<void> {
    this.log.warn({ run_id: run.id, model, items: keys.length, reason }, "model unusable; its items fail");
    for (const { item, repeat } of keys) {
      await this.store(errorResult(run.id, item, model, repeat, reason, 0));
    }
  }

  private async processItem(run: RunRecord, handle: ModelHandle, item: SuiteItem, repeat: number): Promise<void> {
    const { tracer, store, instanceId, metrics } = this.options;
    const span = tracer.startSpan(
      "evalstack.run_item",
      {
        kind: SpanKind.INTERNAL,
        root: true,
        attributes: {
          "evalstack.run.id": run.id,
          "evalstack.item.id": item.id,
          "evalstack.item.dimension": item.dimension,
          "evalstack.item.repeat": repeat,
          "gen_ai.request.model": handle.name,
        },
      },
      trace.deleteSpan(context.active()),
    );
    const spanContext = trace.setSpan(trace.deleteSpan(context.active()), span);
    try {
      await context.with(spanContext, async () => {
        const request = toGenerateRequest(`${run.id}/${item.id}/${handle.name}/${repeat}`, item.messages, samplingFor(run.sampling, repeat), maxTokensFor(item, run));
        let result: RunItemResult;
        try {
          const { generation, attempts } = await generateWithRetries(handle, request, {
            signal: this.controller.signal,
            attemptTimeoutMs: this.options.itemTimeoutMs,
            retryBudgetMs: this.options.retryBudgetMs,
            backoff: this.options.backoff,
            onAttempt: (attempt) =>
              store.recordDispatch({ run_id: run.id, item_id: item.id, model: handle.name, repeat, attempt, instance: instanceId, sent_at: new Date().toISOString() }),
            onAttemptDone: (report) =>
              metrics.recordOperation({
                model: handle.name,
                responseModel: handle.knownInfo?.name,
                durationMs: report.durationMs,
                timeToFirstChunkMs: report.ttftMs,
                inputTokens: report.promptTokens,
                outputTokens: report.completionTokens,
                errorType: report.errorType,
              }),
          });
          result = await this.scored(run.id, item, handle.name, repeat, generation, attempts);
        } catch (error) {
          if (!(error instanceof GenerationFailed)) throw error;
          result = errorResult(run.id, item, handle.name, repeat, error.reason, error.attempts);
        }
        span.setAttribute("evalstack.item.status", result.status);
        if (result.status === "error") span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? "error" });
        await this.store(result);
      });
    } finally {
      span.end();
    }
  }

  private async scored(runId: string, item: SuiteItem, model: string, repeat: number, g: Generation, attempts: number): Promise<RunItemResult> {
    let score: ItemScore | null = null;
    let error: string | null = null;
    if (item.dimension !== "latency") {
      try {
        score = await (this.options.scorer ?? ((i: SuiteItem, reply: string) => scoreReply(i, reply, { sandbox: this.options.sandbox })))(item, g.text);
        if (score.error) error = `scoring: ${score.error}`;
      } catch (e) {
        error = `scoring failed: ${(e as Error).message}`;
      }
    }
    return {
      run_id: runId,
      item_id: item.id,
      model,
      repeat,
      dimension: item.dimension,
      status: error ? "error" : "completed",
      reply: g.text,
      finish_reason: g.finish_reason,
      prompt_tokens: g.prompt_tokens,
      completion_tokens: g.completion_tokens,
      timings: g.timings,
      score,
      error,
      attempts,
      completed_at: new Date().toISOString(),
    };
  }

  private async store(result: RunItemResult): Promise<void> {
    const stored = await this.options.store.insertItem(result);
    if (!stored) return; // already stored (by a replica that held the run before): nothing is counted twice
    const outcome = result.status === "error" ? "error" : result.score === null ? "measured" : result.score.passed ? "passed" : "failed";
    this.options.metrics.itemCompleted({ model: result.model, outcome, dimension: result.dimension });
    this.manager.events.emit("item", result.run_id, stored);
  }
}

function errorResult(runId: string, item: SuiteItem, model: string, repeat: number, reason: string, attempts: number): RunItemResult {
  return {
    run_id: runId,
    item_id: item.id,
    model,
    repeat,
    dimension: item.dimension,
    status: "error",
    reply: "",
    finish_reason: "error",
    prompt_tokens: 0,
    completion_tokens: 0,
    timings: { queue_ms: 0, ttft_ms: 0, decode_ms: 0, total_ms: 0, tokens_per_second: 0 },
    score: null,
    error: reason,
    attempts,
    completed_at: new Date().toISOString(),
  };
}

/** Sampling for one repeat: with a seed, repeat r uses seed + r (repeats differ yet are reproducible). */
export function samplingFor(sampling: Sampling, repeat: number): Sampling {
  return sampling.seed === undefined ? sampling : { ...sampling, seed: (sampling.seed + repeat) >>> 0 };
}

/** The run's max_tokens is a ceiling on every item's own; unset, the item's (or the service default) holds. */
export function maxTokensFor(item: SuiteItem, run: { max_tokens: number | null }): number | undefined {
  if (run.max_tokens === null) return item.max_tokens;
  return Math.min(item.max_tokens ?? run.max_tokens, run.max_tokens);
}

function newRunId(): string {
  // Sortable by creation time, unique across replicas: base36 time + random.
  const time = Date.now().toString(36).padStart(9, "0");
  const random = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => (b % 36).toString(36)).join("");
  return `run_${time}${random}`;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

