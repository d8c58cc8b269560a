// The TTFT metric is real: against a model service that delays every first token (a test-only option of
// the model server), the load test's p50 TTFT rises by the delay.
//
// How it is asserted, and why not simply p50(delayed) - p50(plain) >= delay: with the delay, a request's
// TTFT is delay + the model's own prompt time, so that difference is the delay plus the difference of two
// samples of prompt time, zero on average: a coin toss on any machine, and prompt time varies by hundreds
// of ms on a shared one. So: every delayed request's TTFT is at least the delay (a hard lower bound); the
// delayed p50 exceeds the fastest plain TTFT by at least the delay; and the p50 moves by most of the delay.
import { startLocalStack, type LocalStack } from "@evalstack/local-stack";
import { describe, expect, it } from "vitest";
import { optionsFromEnv, runGrpcGenerate } from "@evalstack/loadtests/generate";
import type { LlmSummary } from "@evalstack/loadtests/lib/llmSummary";
import { trendStats } from "@evalstack/loadtests/lib/stats";

const DELAY_MS = 2_000;
const ROUNDS = 3;

function smoke(target: string, duration: string): Promise<LlmSummary> {
  return runGrpcGenerate(
    optionsFromEnv({
      TARGET: target,
      SCENARIO: "smoke",
      SMOKE_VUS: "1",
      SMOKE_DURATION: duration,
      MAX_TOKENS: "8",
      // Each request finds the service idle, as the delayed ones do after their delay.
      THINK_TIME: "200ms",
      THRESHOLD_ERROR_RATE: "0",
      THRESHOLD_TTFT_P95_MS: "off",
      THRESHOLD_TPOT_P95_MS: "off",
    }),
  );
}

const median = (values: number[]) => trendStats(values).med;

/** qwen alone on free ports, one thread, no evaluator. */
function startQwen(firstTokenDelayMs: number): Promise<LocalStack> {
  return startLocalStack({
    models: ["qwen"],
    freePorts: true,
    evaluator: false,
    modelEnv: { MODEL_THREADS: "1", MODEL_TEST_FIRST_TOKEN_DELAY_MS: String(firstTokenDelayMs) },
  });
}

describe("llm_ttft measures the time to the first token", () => {
  it(`rises by MODEL_TEST_FIRST_TOKEN_DELAY_MS=${DELAY_MS}`, { timeout: 300_000 }, async () => {
    // Two services of the same model, one delaying its first tokens. The load test alternates between
    // them in short rounds (one request at a time), so that whatever else the machine does weighs on both.
    const plainStack = await startQwen(0);
    const slowStack = await startQwen(DELAY_MS).catch(async (error: unknown) => {
      await plainStack.stop();
      throw error;
    });
    const plain = plainStack.models[0]!;
    const slow = slowStack.models[0]!;
    const baseline: LlmSummary[] = [];
    const delayed: LlmSummary[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        baseline.push(await smoke(plain.target, "3s"));
        delayed.push(await smoke(slow.target, "5s"));
      }
    } finally {
      await Promise.all([plainStack.stop(), slowStack.stop()]);
    }
    for (const summary of [...baseline, ...delayed]) expect(summary.thresholdsOk).toBe(true);
    const ttfts = (runs: LlmSummary[]) => runs.flatMap((s) => s.requests.map((r) => r.ttftMs!));
    const before = ttfts(baseline);
    const after = ttfts(delayed);
    expect(before.length).toBeGreaterThan(3);
    expect(after.length).toBeGreaterThan(3);
    const rise = median(after) - median(before);
    const detail = `p50 TTFT ${median(before).toFixed(0)} -> ${median(after).toFixed(0)} ms, fastest plain ${Math.min(...before).toFixed(0)} ms`;
    for (const summary of delayed) {
      for (const r of summary.requests) {
        expect(r.ttftMs!).toBeGreaterThanOrEqual(DELAY_MS);
        // The client's TTFT contains the service's own (which counts from the request's arrival).
        expect(r.ttftMs!).toBeGreaterThanOrEqual(r.server!.ttftMs);
      }
    }
    expect(median(after) - Math.min(...before), detail).toBeGreaterThanOrEqual(DELAY_MS);
    expect(rise, detail).toBeGreaterThanOrEqual(DELAY_MS / 2);
    // The delay is before the first token only: the time per output token does not absorb it.
    expect(median(delayed.flatMap((s) => s.requests.map((r) => r.tpotMs ?? 0)))).toBeLessThan(DELAY_MS / 4);
    console.log(`first-token delay ${DELAY_MS} ms: ${detail}, p50 rise ${rise.toFixed(0)} ms`);
  });
});
