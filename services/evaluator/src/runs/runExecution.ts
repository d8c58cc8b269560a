// One run being executed by this replica: every model in parallel, each with at most its concurrency in
// flight, every reply stored the moment it arrives. One AbortController runs through the whole execution
// (limiter waits, streams, backoff sleeps): a cancel, a lost lease, a shutdown or a failure stops every
// worker of every model at once. A failed execution waits for all its workers to stop before it reports,
// so the replica that resumes the run never overlaps with it.
import { SpanKind, SpanStatusCode, context, trace } from "@evalstack/telemetry";
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { scoreReply } from "../scoring/index.js";
import type { ItemScore } from "../scoring/types.js";
import type { ModelSnapshot, RunItemResult } from "./types.js";
import type { SuiteItem } from "../suites/types.js";
import { type RunRecord, TERMINAL_STATUSES, itemKey } from "../store/types.js";
import { retryWithBackoff } from "../models/backoff.js";
import { GenerationFailed, generateWithRetries, toGenerateRequest, type Generation } from "../models/generation.js";
import { AttemptFailure } from "../models/modelClient.js";
import { snapshotFromDescription, type ModelHandle } from "../models/modelRegistry.js";
import { finalStatus } from "./finalStatus.js";
import { errorResult, maxTokensFor, samplingFor } from "./itemResults.js";
import { Stopped } from "./leases.js";
import type { PendingRequests } from "./pendingRequests.js";
import type { RunEvents } from "./runEvents.js";
import type { RunManagerOptions } from "./runManager.js";

/** What an execution needs from the replica that runs it. */
export interface ExecutionHost {
  readonly options: RunManagerOptions;
  readonly events: RunEvents;
  readonly pending: PendingRequests;
}

type Key = { item: SuiteItem; repeat: number };

/** Waits for every promise; then throws the first rejection, if any. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

export class RunExecution {
  readonly done: Promise<void>;
  /** Set when the execution ended on an error (not a cancel, lease loss or shutdown). */
  failure: Error | undefined;
  private readonly controller = new AbortController();
  private draining = false;

  constructor(
    private readonly host: ExecutionHost,
    readonly runId: string,
  ) {
    // Every item in flight listens for the run's abort (limiter wait, stream, backoff): more than Node's
    // default warning threshold of 10 is normal here.
    setMaxListeners(0, this.controller.signal);
    this.done = this.execute().catch(async (error: Error) => {
      const reason = this.controller.signal.aborted ? (this.controller.signal.reason as Error) : error;
      if (reason instanceof Stopped) {
        this.log.info({ run_id: runId, reason: reason.message }, "run execution stopped");
        return;
      }
      this.failure = reason;
      this.abort(reason);
      this.log.error(
        { run_id: runId, err: reason.message, stack: reason.stack },
        "run execution failed: its workers stopped, its lease is released and the run resumes",
      );
      await this.options.store
        .releaseLeases(this.options.instanceId, [runId])
        .catch((e: Error) => this.log.warn({ run_id: runId, err: e.message }, "could not release the lease; it lapses"));
    });
  }

  private get options(): RunManagerOptions {
    return this.host.options;
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
      this.host.events.emit("status", run.id, "running");
    }
    const stored = await store.storedKeys(run.id);
    this.log.info(
      { run_id: run.id, stored: stored.size, total: run.total_items, resumed: stored.size > 0 || run.status === "running" },
      "executing run",
    );

    await settleAll(run.models.map((model) => this.runModel(run, model, stored)));
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
    if (this.draining) throw new Stopped("drained before the run finished");

    const counts = await store.counts(run.id);
    const { status, error } = finalStatus(counts, run.total_items);
    if (await store.finishRun(run.id, instanceId, status, error, new Date().toISOString())) {
      this.options.metrics.runStatus(status);
      this.log.info({ run_id: run.id, status, completed: counts.completed, errors: counts.errors }, "run finished");
      this.host.events.emit("status", run.id, status);
    }
  }

  private async runModel(run: RunRecord, model: string, stored: Set<string>): Promise<void> {
    const keys: Key[] = [];
    for (let repeat = 0; repeat < run.repeats; repeat++) {
      for (const item of run.items) if (!stored.has(itemKey(item.id, model, repeat))) keys.push({ item, repeat });
    }
    if (keys.length === 0) return;
    const handle = this.options.models.get(model);
    if (!handle) {
      await this.failAll(run, model, keys, `model "${model}" is not configured on this evaluator (EVALSTACK_MODELS)`);
      return;
    }
    const pendingKeys = keys.map((k) => `${run.id}|${itemKey(k.item.id, model, k.repeat)}`);
    this.host.pending.add(model, pendingKeys);
    try {
      const snapshot = await this.snapshot(run, handle);
      if (snapshot instanceof GenerationFailed) {
        await this.failAll(run, model, keys, `cannot reach ${model} for its model info: ${snapshot.reason}`);
        return;
      }
      const concurrency = Math.max(1, run.concurrency[model] ?? handle.defaultConcurrency);
      handle.setRunConcurrency(run.id, concurrency);
      let next = 0;
      const worker = async () => {
        while (next < keys.length && !this.draining && !this.controller.signal.aborted) {
          const index = next++;
          const key = keys[index]!;
          try {
            await this.processItem(run, handle, key.item, key.repeat);
          } catch (error) {
            // Stop every other worker of this execution now, not when they next finish an item.
            this.abort(error as Error);
            throw error;
          } finally {
            this.host.pending.remove(model, [pendingKeys[index]!]);
          }
        }
      };
      await settleAll(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
    } finally {
      handle.setRunConcurrency(run.id, undefined);
      this.host.pending.remove(model, pendingKeys);
    }
  }

  /** The model's snapshot stored with the run, or GetModelInfo now (retried within the budget). */
  private async snapshot(run: RunRecord, handle: ModelHandle): Promise<ModelSnapshot | GenerationFailed> {
    const known = run.model_snapshots.find((s) => s.name === handle.name);
    if (known) {
      // Size the model's limiter to its slots (GetModelInfo), even though the stored snapshot is what counts.
      if (!handle.known) await handle.describe().catch(() => undefined);
      return known;
    }
    const started = Date.now();
    let attempts = 0;
    try {
      return await retryWithBackoff(
        async (attempt) => {
          attempts = attempt;
          const description = await handle.describe();
          handle.noteSuccess();
          const snapshot = snapshotFromDescription(handle.name, handle.target, description);
          await this.options.store.setModelSnapshot(run.id, snapshot);
          return snapshot;
        },
        {
          signal: this.controller.signal,
          budgetMs: this.options.retryBudgetMs,
          backoff: this.options.backoff,
          failingForMs: () => handle.failingForMs(),
          onFailure: (error) => {
            // A target that answers but cannot serve (an OpenAI server without the named model) will not get better.
            if (error instanceof AttemptFailure && !error.retryable) throw error;
            handle.noteRetryableFailure(`${handle.kind === "grpc" ? "GetModelInfo" : "GET /models"}: ${errorText(error)}`);
          },
        },
      );
    } catch (error) {
      if (this.controller.signal.aborted) throw this.controller.signal.reason;
      if (error instanceof AttemptFailure && !error.retryable) return new GenerationFailed(error.message, attempts, error.code);
      const failingFor = Math.max(handle.failingForMs(), Date.now() - started);
      return new GenerationFailed(
        `${errorText(error)} (for ${Math.round(failingFor / 1000)} s, retry budget ${Math.round(this.options.retryBudgetMs / 1000)} s)`,
        attempts,
        "UNAVAILABLE",
      );
    }
  }

  private async failAll(run: RunRecord, model: string, keys: Key[], reason: string): Promise<void> {
    this.log.warn({ run_id: run.id, model, items: keys.length, reason }, "model unusable; its items fail");
    for (const { item, repeat } of keys) {
      if (this.controller.signal.aborted) throw this.controller.signal.reason;
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
        const request = toGenerateRequest(
          `${run.id}/${item.id}/${handle.name}/${repeat}`,
          item.messages,
          samplingFor(run.sampling, repeat),
          maxTokensFor(item, run),
        );
        let result: RunItemResult;
        try {
          const { generation, attempts } = await generateWithRetries(handle, request, {
            signal: this.controller.signal,
            attemptTimeoutMs: this.options.itemTimeoutMs,
            retryBudgetMs: this.options.retryBudgetMs,
            backoff: this.options.backoff,
            // The dispatch log is written before each attempt; a store hiccup there is retried, not an item error.
            onAttempt: (attempt) =>
              retryWithBackoff(
                () =>
                  store.recordDispatch({
                    run_id: run.id,
                    item_id: item.id,
                    model: handle.name,
                    repeat,
                    attempt,
                    instance: instanceId,
                    sent_at: new Date().toISOString(),
                  }),
                {
                  signal: this.controller.signal,
                  budgetMs: this.options.retryBudgetMs,
                  backoff: this.options.backoff,
                  onFailure: (error, n) =>
                    this.log.warn(
                      { run_id: run.id, item_id: item.id, model: handle.name, attempt: n, err: errorText(error) },
                      "recording the dispatch failed; retrying",
                    ),
                },
              ),
            onAttemptDone: (report) =>
              metrics.recordOperation({
                model: handle.name,
                responseModel: handle.known?.modelName,
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

  private async scored(
    runId: string,
    item: SuiteItem,
    model: string,
    repeat: number,
    g: Generation,
    attempts: number,
  ): Promise<RunItemResult> {
    let score: ItemScore | null = null;
    let error: string | null = null;
    if (item.dimension !== "latency") {
      try {
        score = await (this.options.scorer ?? ((i: SuiteItem, reply: string) => scoreReply(i, reply, { sandbox: this.options.sandbox })))(
          item,
          g.text,
        );
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
    this.host.events.emit("item", result.run_id, stored);
  }
}

function errorText(error: unknown): string {
  return (error as { details?: string }).details || (error as Error)?.message || String(error);
}
