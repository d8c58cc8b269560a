// Where the two shapes of a reply's timings meet: the contract's (camelCase, from the model service's final
// chunk) becomes the evaluator's wire shape (snake_case: the HTTP API, the store, reports, CSV). Every
// conversion goes through here, so a field added to the proto is added to the wire in one place.
import type { Timings as ContractTimings } from "@evalstack/contract";

/**
 * A reply's timings as the evaluator's API, store and reports carry them (snake_case); made from the
 * contract's camelCase Timings by wireTimings() below only.
 */
export interface WireTimings {
  queue_ms: number;
  ttft_ms: number;
  decode_ms: number;
  total_ms: number;
  tokens_per_second: number;
}

/** The wire timings of a final chunk; zeros when the model service sent none. */
export function wireTimings(timings: ContractTimings | undefined): WireTimings {
  return {
    queue_ms: timings?.queueMs ?? 0,
    ttft_ms: timings?.ttftMs ?? 0,
    decode_ms: timings?.decodeMs ?? 0,
    total_ms: timings?.totalMs ?? 0,
    tokens_per_second: timings?.tokensPerSecond ?? 0,
  };
}
