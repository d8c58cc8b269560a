// The run diff on hand-made runs: which items newly pass or fail (repeats, errors, missing replies, latency
// items against the targets), the per-dimension deltas and their significance (checked against the
// statistics module directly), model pairing, and the refusals.
import { describe, expect, it } from "vitest";
import { mcnemarExact, wilsonInterval } from "../scoring/statistics.js";
import type { Dimension } from "../suites/types.js";
import type { ModelSnapshot, RunItemResult } from "./types.js";
import { DIMENSION_DIFF_COLUMNS, ITEM_DIFF_COLUMNS, RunDiffError, diffRuns, pairModels, type DiffRun } from "./runDiff.js";

const timings = { queue_ms: 1, ttft_ms: 100, decode_ms: 200, total_ms: 301, tokens_per_second: 40 };

function reply(
  runId: string,
  model: string,
  itemId: string,
  passed: boolean | "error",
  options: { repeat?: number; dimension?: Dimension; ttft?: number } = {},
): RunItemResult {
  const dimension = options.dimension ?? "math";
  const base = {
    run_id: runId,
    item_id: itemId,
    model,
    repeat: options.repeat ?? 0,
    dimension,
    finish_reason: "stop",
    prompt_tokens: 10,
    completion_tokens: 5,
    timings: { ...timings, ttft_ms: options.ttft ?? timings.ttft_ms },
    attempts: 1,
    completed_at: "2026-01-01T00:00:00.000Z",
  };
  if (passed === "error") return { ...base, status: "error", reply: "", score: null, error: "UNAVAILABLE: gone" };
  if (dimension === "latency") return { ...base, status: "completed", reply: "hi", score: null, error: null };
  return {
    ...base,
    status: "completed",
    reply: passed ? "42" : "41",
    score: {
      passed,
      score: passed ? 1 : 0.5,
      checks: [
        { type: "numeric_answer", passed, detail: passed ? "42 = 42" : "41 != 42" },
        { type: "word_count", passed: true, detail: "1 word" },
      ],
    },
    error: null,
  };
}

function snapshot(name: string, sha256: string): ModelSnapshot {
  return {
    name,
    target: "x:1",
    model_name: `${name}-gguf`,
    architecture: "llama",
    quantization: "Q4",
    parameter_count: 1,
    file_size_bytes: 1,
    sha256,
    context_size: 1,
    slots: 1,
    load_ms: 1,
    peak_ram_bytes: 1,
    vram_bytes: 0,
    gpu: "",
  };
}

function run(id: string, models: string[], items: RunItemResult[], extra: Partial<DiffRun> = {}): DiffRun {
  return {
    id,
    suite_id: "s",
    status: "completed",
    models,
    repeats: 1,
    created_at: "2026-01-01T00:00:00.000Z",
    completed_at: "2026-01-01T00:01:00.000Z",
    model_snapshots: models.map((m) => snapshot(m, `sha-${m}`)),
    items,
    ...extra,
  };
}

/** 10 math items; A passes m0-m4, B passes m2-m9: m5-m9 newly pass, m0-m1 newly fail. */
function tenItems(runId: string, model: string, passing: (i: number) => boolean): RunItemResult[] {
  return Array.from({ length: 10 }, (_, i) => reply(runId, model, `m${i}`, passing(i)));
}

describe("diffRuns", () => {
  it("lists the items that newly pass and newly fail, and the score delta with the exact McNemar test", () => {
    const a = run(
      "run_a",
      ["qwen"],
      tenItems("run_a", "qwen", (i) => i < 5),
    );
    const b = run(
      "run_b",
      ["qwen"],
      tenItems("run_b", "qwen", (i) => i >= 2),
    );
    const diff = diffRuns(a, b);
    expect(diff.pairs).toEqual([{ model_a: "qwen", model_b: "qwen" }]);
    expect(diff.items.map((i) => [i.item_id, i.change])).toEqual([
      ["m0", "newly_failed"],
      ["m1", "newly_failed"],
      ["m2", "still_passing"],
      ["m3", "still_passing"],
      ["m4", "still_passing"],
      ["m5", "newly_passed"],
      ["m6", "newly_passed"],
      ["m7", "newly_passed"],
      ["m8", "newly_passed"],
      ["m9", "newly_passed"],
    ]);
    const m0 = diff.items[0]!;
    expect(m0).toMatchObject({
      passed_a: true,
      passed_b: false,
      pass_rate_a: 1,
      pass_rate_b: 0,
      pass_rate_delta: -1,
      reply_a: "42",
      reply_b: "41",
      failed_checks_a: null,
      failed_checks_b: "numeric_answer: 41 != 42",
    });
    expect(m0).toMatchObject({
      instruction_score_a: 1,
      instruction_score_b: 0.5,
      ttft_ms_a: 100,
      tokens_per_second_b: 40,
      replies_a: 1,
      errors_b: 0,
    });

    expect(diff.dimensions).toHaveLength(1);
    const d = diff.dimensions[0]!;
    const ci = (passed: number) => wilsonInterval(passed, 10);
    expect(d).toMatchObject({
      run_a: "run_a",
      run_b: "run_b",
      model_name_a: "qwen-gguf",
      same_weights: true,
      dimension: "math",
      paired_items: 10,
      score_a: 5,
      score_b: 8,
      score_delta: 3,
      ci_low_a: Math.round(1000 * ci(5).low) / 100,
      ci_high_b: Math.round(1000 * ci(8).high) / 100,
      improved_items: 5,
      regressed_items: 2,
      p_value: mcnemarExact(2, 5).p,
      significant: false,
      newly_passed: 5,
      newly_failed: 2,
      newly_passed_items: "m5,m6,m7,m8,m9",
      newly_failed_items: "m0,m1",
    });
    expect(d.verdict).toBe("no_significant_difference");
    expect(d.summary).toContain("qwen in run_a");
    // Every declared column is present and nothing else.
    expect(Object.keys(d).sort()).toEqual([...DIMENSION_DIFF_COLUMNS].sort());
    expect(Object.keys(m0).sort()).toEqual([...ITEM_DIFF_COLUMNS].sort());
  });

  it("calls an improvement significant when enough items moved one way", () => {
    const a = run(
      "run_a",
      ["qwen"],
      tenItems("run_a", "qwen", () => false),
    );
    const b = run(
      "run_b",
      ["qwen"],
      tenItems("run_b", "qwen", (i) => i < 8),
    );
    const d = diffRuns(a, b).dimensions[0]!;
    expect(d).toMatchObject({
      improved_items: 8,
      regressed_items: 0,
      p_value: mcnemarExact(8, 0).p,
      significant: true,
      verdict: "improved",
      score_delta: 8,
    });
    const back = diffRuns(b, a).dimensions[0]!;
    expect(back).toMatchObject({ verdict: "regressed", significant: true, score_delta: -8, newly_failed: 8, newly_passed: 0 });
    // Too few discordant items for any split to be significant.
    const few = diffRuns(
      a,
      run(
        "run_c",
        ["qwen"],
        tenItems("run_c", "qwen", (i) => i < 3),
      ),
    ).dimensions[0]!;
    expect(few).toMatchObject({ verdict: "sample_too_small", significant: false, improved_items: 3 });
  });

  it("with repeats: an item passes on at least half its repeats; rates can move without crossing that line", () => {
    const reps = (runId: string, itemId: string, outcomes: boolean[]) =>
      outcomes.map((p, repeat) => reply(runId, "qwen", itemId, p, { repeat }));
    const a = run(
      "run_a",
      ["qwen"],
      [
        ...reps("run_a", "x", [true, false, false, false]),
        ...reps("run_a", "y", [true, true, false, false]),
        ...reps("run_a", "z", [true, true, true, false]),
      ],
      { repeats: 4 },
    );
    const b = run(
      "run_b",
      ["qwen"],
      [
        ...reps("run_b", "x", [true, true, false, false]),
        ...reps("run_b", "y", [true, false, false, false]),
        ...reps("run_b", "z", [true, true, true, true]),
      ],
      { repeats: 4 },
    );
    const items = diffRuns(a, b).items;
    expect(items.map((i) => [i.item_id, i.change, i.pass_rate_a, i.pass_rate_b])).toEqual([
      ["x", "newly_passed", 0.25, 0.5],
      ["y", "newly_failed", 0.5, 0.25],
      ["z", "improved", 0.75, 1],
    ]);
    expect(items[0]!.replies_a).toBe(4);
  });

  it("counts an error as a failure and names items only one run has", () => {
    const a = run("run_a", ["qwen"], [reply("run_a", "qwen", "e", true), reply("run_a", "qwen", "gone", true)]);
    const b = run("run_b", ["qwen"], [reply("run_b", "qwen", "e", "error"), reply("run_b", "qwen", "new", false)], { status: "partial" });
    const items = diffRuns(a, b).items;
    expect(items.find((i) => i.item_id === "e")).toMatchObject({
      change: "newly_failed",
      errors_b: 1,
      reply_b: null,
      failed_checks_b: "error: UNAVAILABLE: gone",
      ttft_ms_b: null,
    });
    expect(items.find((i) => i.item_id === "gone")).toMatchObject({ change: "only_in_a", pass_rate_b: null, passed_b: null, replies_b: 0 });
    expect(items.find((i) => i.item_id === "new")).toMatchObject({ change: "only_in_b", pass_rate_a: null });
    const d = diffRuns(a, b).dimensions[0]!;
    expect(d).toMatchObject({ status_b: "partial", paired_items: 1, items_a: 2, items_b: 2, regressed_items: 1 });
  });

  it("scores latency items against the targets it is given", () => {
    const lat = (runId: string, ttft: number) => reply(runId, "qwen", "lat", true, { dimension: "latency", ttft });
    const a = run("run_a", ["qwen"], [lat("run_a", 500)]);
    const b = run("run_b", ["qwen"], [lat("run_b", 150)]);
    expect(diffRuns(a, b).items[0]).toMatchObject({
      change: "newly_passed",
      ttft_ms_a: 500,
      ttft_ms_b: 150,
      failed_checks_a: "ttft: TTFT 500 ms, target <= 200 ms",
      failed_checks_b: null,
    });
    expect(diffRuns(a, b, { latencyTargets: { ttft_ms: 1000, tokens_per_second: 1 } }).items[0]).toMatchObject({ change: "still_passing" });
    expect(diffRuns(a, b).dimensions[0]).toMatchObject({ dimension: "latency", score_a: 0, score_b: 10 });
  });

  it("diffs each shared model with itself, one row per model and dimension; a run with itself changes nothing", () => {
    const items = (runId: string) => [
      ...tenItems(runId, "qwen", (i) => i % 2 === 0),
      ...tenItems(runId, "phi3", (i) => i % 3 === 0),
      reply(runId, "qwen", "if1", true, { dimension: "instruction_following" }),
      reply(runId, "phi3", "if1", false, { dimension: "instruction_following" }),
    ];
    const a = run("run_a", ["qwen", "phi3"], items("run_a"));
    const same = diffRuns(a, a);
    expect(same.dimensions.map((d) => [d.model_a, d.dimension])).toEqual([
      ["qwen", "instruction_following"],
      ["qwen", "math"],
      ["phi3", "instruction_following"],
      ["phi3", "math"],
    ]);
    for (const d of same.dimensions)
      expect(d).toMatchObject({ score_delta: 0, improved_items: 0, regressed_items: 0, p_value: 1, newly_passed: 0, newly_failed: 0 });
    expect(same.items.every((i) => i.change === "still_passing" || i.change === "still_failing")).toBe(true);
    expect(same.items).toHaveLength(22);

    // B swapped phi3's weights: same_weights says so.
    const b = run("run_b", ["qwen", "phi3"], items("run_b"), {
      model_snapshots: [snapshot("qwen", "sha-qwen"), snapshot("phi3", "sha-other")],
    });
    const diff = diffRuns(a, b);
    expect(diff.dimensions.filter((d) => d.model_a === "phi3").every((d) => d.same_weights === false)).toBe(true);
    expect(diff.dimensions.filter((d) => d.model_a === "qwen").every((d) => d.same_weights === true)).toBe(true);
    expect(diffRuns(a, run("run_c", ["qwen", "phi3"], items("run_c"), { model_snapshots: [] })).dimensions[0]!.same_weights).toBeNull();
  });

  it("refuses runs over different suites", () => {
    const a = run("run_a", ["qwen"], []);
    const b = run("run_b", ["qwen"], [], { suite_id: "other" });
    expect(() => diffRuns(a, b)).toThrow(RunDiffError);
    try {
      diffRuns(a, b);
    } catch (error) {
      expect(error).toMatchObject({ status: 422, path: "path.other" });
      expect((error as Error).message).toMatch(/suite "s".*"other"/);
    }
  });
});

describe("pairModels", () => {
  const r = (id: string, models: string[]) => ({ id, models });
  it("pairs shared models by name, or the only model of each, or the pair asked for", () => {
    expect(pairModels(r("a", ["qwen", "phi3"]), r("b", ["phi3", "qwen", "x"]))).toEqual([
      { model_a: "qwen", model_b: "qwen" },
      { model_a: "phi3", model_b: "phi3" },
    ]);
    expect(pairModels(r("a", ["qwen"]), r("b", ["qwen-q8"]))).toEqual([{ model_a: "qwen", model_b: "qwen-q8" }]);
    expect(pairModels(r("a", ["qwen", "phi3"]), r("b", ["qwen-q8", "phi3"]), { model_a: "qwen", model_b: "qwen-q8" })).toEqual([
      { model_a: "qwen", model_b: "qwen-q8" },
    ]);
    expect(pairModels(r("a", ["qwen", "phi3"]), r("b", ["qwen", "phi3"]), { model_a: "phi3" })).toEqual([
      { model_a: "phi3", model_b: "phi3" },
    ]);
  });

  it("names the parameter at fault when it cannot pair", () => {
    expect(() => pairModels(r("a", ["qwen", "phi3"]), r("b", ["x", "y"]))).toThrow(/share no model.*model_a=&model_b=/);
    expect(() => pairModels(r("a", ["qwen"]), r("b", ["qwen"]), { model_a: "nope" })).toThrow(
      expect.objectContaining({ status: 422, path: "query.model_a" }),
    );
    expect(() => pairModels(r("a", ["qwen"]), r("b", ["phi3"]), { model_a: "qwen", model_b: "qwen" })).toThrow(
      expect.objectContaining({ status: 422, path: "query.model_b" }),
    );
  });
});
