// One generation against a model under evaluation, as the evaluator needs it: streamed, bounded by the model's
// limiter, with a deadline per attempt, and retried with exponential backoff and jitter while the model is
// unreachable or busy (gRPC: UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, a server-side cancel; OpenAI:
// 429, 5xx, no connection) — until the model or the item has been failing for longer than the retry budget.
// Then the item fails with the reason. The protocol is the ModelClient's business; this file has none.
import type { GenerateRequest } from "@evalstack/contract";
import { abortableSleep, backoffDelay, DEFAULT_BACKOFF, type Backoff } from "./backoff.js";
import { AttemptFailure, type Generation } from "./modelClient.js";
import type { ModelHandle } from "./modelRegistry.js";

export type { Generation } from "./modelClient.js";

export class GenerationFailed extends Error {
  constructor(
    readonly reason: string,
    readonly attempts: number,
    /** gRPC status name of the last failure, e.g. "UNAVAILABLE"; "ERROR" for a model-side error reply. */
    readonly code: string,
  ) {
    super(reason);
    this.name = "GenerationFailed";
  }
}

export interface AttemptReport {
  attempt: number;
  ok: boolean;
  durationMs: number;
  ttftMs?: number;
  promptTokens?: number;
  completionTokens?: number;
  errorType?: string;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Deadline of one attempt. */
  attemptTimeoutMs: number;
  /** How long the model (or this item) may keep failing with retryable errors before the item fails. */
  retryBudgetMs: number;
  /** Called before each attempt is sent (e.g. to record the dispatch durably); what it throws is thrown as is. */
  onAttempt?: (attempt: number) => Promise<void> | void;
  /** Called after each attempt, successful or not (metrics). */
  onAttemptDone?: (report: AttemptReport) => void;
  /** Every text delta as it arrives. */
  onDelta?: (delta: string) => void;
  backoff?: Backoff;
}

/** onAttempt failed (e.g. the store could not record the dispatch): not the model's fault, not an item error. */
class AttemptHookFailed extends Error {
  constructor(readonly error: unknown) {
    super((error as Error)?.message ?? String(error));
  }
}

export async function generateWithRetries(
  handle: ModelHandle,
  request: Partial<GenerateRequest>,
  options: GenerateOptions,
): Promise<{ generation: Generation; attempts: number }> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let itemFailingSince: number | undefined;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    let failure: { retryable: boolean; code: string; message: string };
    await handle.limiter.acquire(options.signal);
    const started = performance.now();
    try {
      // A slot may be granted just as the run aborts: send nothing then.
      throwIfAborted(options.signal);
      try {
        await options.onAttempt?.(attempt);
      } catch (error) {
        throw new AttemptHookFailed(error);
      }
      const generation = await handle.client.generate(request, {
        timeoutMs: options.attemptTimeoutMs,
        signal: options.signal,
        onDelta: options.onDelta,
      });
      handle.noteSuccess();
      options.onAttemptDone?.({
        attempt,
        ok: true,
        durationMs: generation.client_total_ms,
        ttftMs: generation.client_ttft_ms,
        promptTokens: generation.prompt_tokens,
        completionTokens: generation.completion_tokens,
      });
      return { generation, attempts: attempt };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof AttemptHookFailed) throw error.error;
      failure = classify(error);
      options.onAttemptDone?.({ attempt, ok: false, durationMs: performance.now() - started, errorType: failure.code });
    } finally {
      handle.limiter.release();
    }

    if (!failure.retryable) throw new GenerationFailed(`${failure.code}: ${failure.message}`, attempt, failure.code);
    const now = Date.now();
    handle.noteRetryableFailure(`${failure.code}: ${failure.message}`, now);
    itemFailingSince ??= now;
    const failingFor = Math.max(handle.failingForMs(now), now - itemFailingSince);
    if (failingFor >= options.retryBudgetMs) {
      throw new GenerationFailed(
        `${failure.code}: ${failure.message} (gave up after ${attempt} attempts: ${handle.name} failing for ${Math.round(failingFor / 1000)} s, retry budget ${Math.round(options.retryBudgetMs / 1000)} s)`,
        attempt,
        failure.code,
      );
    }
    const delay = Math.min(backoffDelay(attempt, backoff), options.retryBudgetMs - failingFor);
    await abortableSleep(Math.max(0, delay), options.signal);
  }
}

/** Whether a failed attempt is worth repeating, and its reason. */
export function classify(error: unknown): { retryable: boolean; code: string; message: string } {
  if (error instanceof AttemptFailure) return { retryable: error.retryable, code: error.code, message: error.message };
  return { retryable: false, code: "INTERNAL", message: (error as Error)?.message ?? String(error) };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** Contract request from the API's messages, sampling and max_tokens. */
export function toGenerateRequest(
  requestId: string,
  messages: { role: string; content: string }[],
  sampling: { temperature?: number; top_p?: number; top_k?: number; min_p?: number; repeat_penalty?: number; seed?: number },
  maxTokens: number | undefined,
): Partial<GenerateRequest> {
  return {
    requestId,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    sampling: {
      temperature: sampling.temperature,
      topP: sampling.top_p,
      topK: sampling.top_k,
      minP: sampling.min_p,
      repeatPenalty: sampling.repeat_penalty,
      seed: sampling.seed,
    },
    maxTokens,
  };
}
