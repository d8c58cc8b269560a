// The evaluator's one retry schedule: exponential backoff with jitter (half fixed, half random, so replicas
// and items retrying the same model spread out), sleeps that end at once when the work is aborted, and a
// retry loop bounded by a time budget. Used by model generation, GetModelInfo and durable dispatch records.

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 200, maxMs: 5_000 };

/** The delay before retry number `attempt` (1 = the first retry): base x 2^(attempt-1), capped, jittered. */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return exp / 2 + Math.random() * (exp / 2);
}

/** Sleeps `ms`; rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryOptions {
  signal?: AbortSignal;
  /** Give up once the work has been failing for this long (the last error is thrown). */
  budgetMs: number;
  backoff?: Backoff;
  /** How long the work has been failing by some other measure (e.g. the model's own failure streak). */
  failingForMs?: (sinceFirstFailure: number) => number;
  /** Called on each failure before the wait; throw from it to stop retrying (e.g. a non-retryable error). */
  onFailure?: (error: unknown, attempt: number) => void;
}

/** Runs `fn` until it succeeds, the budget is spent (throws the last error) or the signal aborts. */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  let firstFailure: number | undefined;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw options.signal.reason;
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      options.onFailure?.(error, attempt);
      const now = Date.now();
      firstFailure ??= now;
      const failingFor = Math.max(now - firstFailure, options.failingForMs?.(now - firstFailure) ?? 0);
      if (failingFor >= options.budgetMs) throw error;
      await abortableSleep(Math.min(backoffDelay(attempt, options.backoff), options.budgetMs - failingFor), options.signal);
    }
  }
}
