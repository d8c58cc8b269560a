// The incremental summary against buildReport, on random runs (2-3 models, repeats, errors, latency items,
// replies arriving in any order): the same per-model scores, intervals and paired comparisons at every step.
import { describe, expect, it } from "vitest";
import { DEFAULT_LATENCY_TARGETS } from "../scoring/latencyScore.js";
import { DIMENSIONS } from "../suites/types.js";
import type { RunItemResult } from "../runs/types.js";
import { buildReport } from "./buildReport.js";
import { RunSummary } from "./runSummary.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function randomRun(seed: number) {
  const random = rng(seed);
  const models = ["qwen", "phi3", "gemma"].slice(0, 2 + Math.floor(random() * 2));
  const repeats = 1 + Math.floor(random() * 3);
  const results: RunItemResult[] = [];
  for (let i = 0; i < 40; i++) {
    const dimension = DIMENSIONS[Math.floor(random() * DIMENSIONS.length)]!;
    for (const model of models) {
      for (let repeat = 0; repeat < repeats; repeat++) {
        const error = random() < 0.1;
        const passed = random() < 0.5;
        results.push({
          run_id: "r",
          item_id: `i${i}`,
          model,
          repeat,
          dimension,
          status: error ? "error" : "completed",
          reply: "x",
          finish_reason: "stop",
          prompt_tokens: 1,
          completion_tokens: 1,
          timings: { queue_ms: 0, ttft_ms: random() * 400, decode_ms: 1, total_ms: 500, tokens_per_second: random() * 60 },
          score: dimension === "latency" || error ? null : { passed, score: passed ? 1 : random(), checks: [] },
          error: error ? "UNAVAILABLE" : null,
          attempts: 1,
          completed_at: "2026-01-01T00:00:00.000Z",
        });
      }
    }
  }
  // Stored in a random order, as concurrent workers would.
  for (let i = results.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [results[i], results[j]] = [results[j]!, results[i]!];
  }
  return { models, results };
}

describe("RunSummary", () => {
  it.each([1, 2, 3, 4, 5, 6])("matches buildReport's dimensions at every step (seed %i)", (seed) => {
    const { models, results } = randomRun(seed);
    const summary = new RunSummary(models, DEFAULT_LATENCY_TARGETS);
    const run = { id: "r", suite_id: "s", status: "running" as const, models, repeats: 1, created_at: "", completed_at: null };
    results.forEach((result, i) => {
      summary.add({ ...result, seq: i + 1 });
      if (i % 17 === 0 || i === results.length - 1) {
        const expected = buildReport({ run, models: [], items: results.slice(0, i + 1) }).dimensions;
        const actual = summary.dimensions();
        // The instruction-level score is a mean of float check scores: equal to 1e-3 (see runSummary.ts).
        const strip = (ds: typeof expected) =>
          ds.map((d) => ({ ...d, per_model: d.per_model.map(({ instruction_score: _s, ...rest }) => rest) }));
        expect(strip(actual)).toEqual(strip(expected));
        for (const [k, d] of actual.entries()) {
          for (const [j, m] of d.per_model.entries())
            expect(m.instruction_score).toBeCloseTo(expected[k]!.per_model[j]!.instruction_score, 3);
        }
      }
    });
  });

  it("ignores an item it has folded already, and replies of models not in the run", () => {
    const { models, results } = randomRun(9);
    const summary = new RunSummary(models, DEFAULT_LATENCY_TARGETS);
    summary.add({ ...results[0]!, seq: 1 });
    const once = summary.dimensions();
    summary.add({ ...results[0]!, seq: 1 });
    summary.add({ ...results[1]!, model: "stranger", seq: 2 });
    expect(summary.dimensions()).toEqual(once);
    expect(summary.lastSeq).toBe(2);
  });
});
