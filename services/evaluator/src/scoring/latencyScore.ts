// The latency dimension: measured, not checked. A reply meets the targets when its time to first token is at
// most the TTFT target and its decode speed at least the tokens/s target.

import type { ItemScore } from "./types.js";
import type { WireTimings } from "../models/wireTimings.js";

export interface LatencyTargets {
  ttft_ms: number;
  tokens_per_second: number;
}

export const DEFAULT_LATENCY_TARGETS: LatencyTargets = { ttft_ms: 200, tokens_per_second: 30 };

/** One reply's latency score: two pseudo-checks (ttft, tokens_per_second); it passes when both hold. */
export function scoreLatency(timings: WireTimings, targets: LatencyTargets = DEFAULT_LATENCY_TARGETS): ItemScore {
  const ttftOk = timings.ttft_ms <= targets.ttft_ms;
  const tpsOk = timings.tokens_per_second >= targets.tokens_per_second;
  const checks = [
    { type: "ttft", passed: ttftOk, detail: `TTFT ${timings.ttft_ms.toFixed(0)} ms, target <= ${targets.ttft_ms} ms` },
    {
      type: "tokens_per_second",
      passed: tpsOk,
      detail: `${timings.tokens_per_second.toFixed(1)} tokens/s, target >= ${targets.tokens_per_second}`,
    },
  ];
  return { passed: ttftOk && tpsOk, score: (Number(ttftOk) + Number(tpsOk)) / 2, checks };
}
