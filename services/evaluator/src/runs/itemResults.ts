// What one (item, model, repeat) is sent as and stored as, outside the execution loop.
import type { RunItemResult } from "./types.js";
import type { SuiteItem } from "../suites/types.js";
import type { Sampling } from "../store/types.js";

/** Sampling for one repeat: with a seed, repeat r uses seed + r (repeats differ yet are reproducible). */
export function samplingFor(sampling: Sampling, repeat: number): Sampling {
  return sampling.seed === undefined ? sampling : { ...sampling, seed: (sampling.seed + repeat) >>> 0 };
}

/** The run's max_tokens is a ceiling on every item's own; unset, the item's (or the service default) holds. */
export function maxTokensFor(item: SuiteItem, run: { max_tokens: number | null }): number | undefined {
  if (run.max_tokens === null) return item.max_tokens;
  return Math.min(item.max_tokens ?? run.max_tokens, run.max_tokens);
}

export function errorResult(
  runId: string,
  item: SuiteItem,
  model: string,
  repeat: number,
  reason: string,
  attempts: number,
): RunItemResult {
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
