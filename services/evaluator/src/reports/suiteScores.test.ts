// Per-suite scores and published references: which suite an item belongs to, pass@1/pass@k and intervals
// recomputed by hand, the GGUF-name matching, and every renderer showing measured beside published.

import { describe, expect, it } from "vitest";
import { passAtK, wilsonInterval } from "../scoring/statistics.js";
import type { ModelSnapshot, RunItemResult } from "../runs/types.js";
import type { SuiteItem } from "../suites/types.js";
import { normaliseModelName, referenceScoresFor } from "../suites/standard/referenceScores.js";
import { buildReport, renderReport } from "./index.js";
import { FIXTURE_MODELS } from "./reportFixtures.js";
import { itemSuites, suiteScores } from "./suiteScores.js";
import { suiteTable, verdictWithSampleSize } from "./suiteTable.js";

const item = (id: string): SuiteItem => ({
  id,
  dimension: "code",
  messages: [{ role: "user", content: id }],
  checks: [{ type: "contains", value: "x" }],
});
const fakeSuites: Record<string, { items: SuiteItem[] }> = {
  humaneval: { items: Array.from({ length: 164 }, (_, i) => item(`HumanEval/${i}`)) },
  "seed-50": { items: [item("if-01"), item("math-01")] },
};
const lookup = (id: string) => fakeSuites[id];

describe("reference score matching on the GGUF name", () => {
  it("matches the seed models' GGUF names however they are spelled", () => {
    expect(normaliseModelName("Qwen2.5 7B Instruct")).toBe("qwen257binstruct");
    expect(referenceScoresFor("humaneval", "Qwen2.5-7B-Instruct").map((r) => r.value)).toEqual([84.8]);
    expect(referenceScoresFor("humaneval", "qwen2.5-7b-instruct")[0]?.value).toBe(84.8);
    expect(referenceScoresFor("gsm8k", "Qwen2.5 7B Instruct")[0]?.value).toBe(91.6);
    expect(referenceScoresFor("humaneval", "Phi 3 Mini 4k Instruct")[0]?.value).toBe(58.5);
    expect(referenceScoresFor("gsm8k", "Phi-3-mini-4k-instruct")[0]?.value).toBe(82.5);
    // IFEval strict-prompt, on the ifeval suite only (ifeval-loose has no published figure here).
    expect(referenceScoresFor("ifeval", "Qwen2.5-7B-Instruct").map((r) => [r.value, r.setting])).toEqual([
      [71.2, "IFEval strict-prompt accuracy, all 541 prompts"],
    ]);
    expect(referenceScoresFor("ifeval-loose", "Qwen2.5-7B-Instruct")).toEqual([]);
  });

  it("does not match other models, other sizes or other suites", () => {
    expect(referenceScoresFor("humaneval", "Qwen2.5 1.5B Instruct")).toEqual([]);
    expect(referenceScoresFor("humaneval", "Qwen2.5 7B")).toEqual([]);
    expect(referenceScoresFor("humaneval", "Smollm2 135M 8k Lc100K Mix1 Ep2")).toEqual([]);
    expect(referenceScoresFor("seed-50", "Qwen2.5-7B-Instruct")).toEqual([]);
    expect(referenceScoresFor("humaneval", "")).toEqual([]);
  });
});

describe("itemSuites", () => {
  it("knows built-in suites by their item ids and gives the rest to the run's uploaded suite", () => {
    const owner = itemSuites("seed-50,humaneval,mine", ["if-01", "HumanEval/3", "custom-1"], lookup);
    expect(Object.fromEntries(owner)).toEqual({ "if-01": "seed-50", "HumanEval/3": "humaneval", "custom-1": "mine" });
    expect(itemSuites("mine", ["a"], lookup).get("a")).toBe("mine");
  });
});

describe("suiteScores", () => {
  const snapshots = new Map<string, ModelSnapshot>([
    ["qwen", { ...(FIXTURE_MODELS[0] as ModelSnapshot), model_name: "Qwen2.5 7B Instruct" }],
    ["phi3", FIXTURE_MODELS[1] as ModelSnapshot],
  ]);
  // 4 HumanEval items x 5 samples for qwen; phi3 passes nothing; two seed-50 items.
  const qwenPasses = [
    [1, 1, 1, 1, 1],
    [1, 0, 0, 0, 0],
    [0, 0, 0, 0, 0],
    [1, 1, 0, 1, 0],
  ];
  const outcomes = [
    ...qwenPasses.map((passes, i) => ({ item_id: `HumanEval/${i}`, model: "qwen", passes })),
    ...qwenPasses.map((_, i) => ({ item_id: `HumanEval/${i}`, model: "phi3", passes: [0, 0, 0, 0, 0] })),
    { item_id: "if-01", model: "qwen", passes: [1, 0, 1, 1, 1] },
    { item_id: "if-01", model: "phi3", passes: [0, 0, 0, 0, 0] },
  ];
  const reports = suiteScores("seed-50,humaneval", ["qwen", "phi3"], snapshots, outcomes, lookup);

  it("one entry per suite of the run, in the order named, with the subset visible", () => {
    expect(reports.map((r) => [r.suite, r.items, r.suite_items])).toEqual([
      ["seed-50", 1, 2],
      ["humaneval", 4, 164],
    ]);
  });

  it("pass@1 is the mean item pass rate with a Wilson interval; pass@k the mean of the unbiased estimator", () => {
    const he = reports[1]!.per_model[0]!;
    const rates = qwenPasses.map((p) => p.reduce((a, b) => a + b, 0) / 5);
    const mean = rates.reduce((a, b) => a + b, 0) / 4;
    expect(he.pass_at_1).toBeCloseTo(mean, 4);
    const ci = wilsonInterval(mean * 4, 4);
    expect(he.interval.low).toBeCloseTo(ci.low, 4);
    expect(he.interval.high).toBeCloseTo(ci.high, 4);
    expect(he.samples_per_item).toBe(5);
    expect(he.pass_at_k.map((p) => p.k)).toEqual([2, 5]);
    const pass2 =
      qwenPasses
        .map((p) =>
          passAtK(
            5,
            p.reduce((a, b) => a + b, 0),
            2,
          ),
        )
        .reduce((a, b) => a + b, 0) / 4;
    expect(he.pass_at_k[0]!.value).toBeCloseTo(pass2, 4);
    expect(he.pass_at_k[1]!.value).toBeCloseTo(3 / 4, 4); // pass@5 with 5 samples: any pass
  });

  it("attaches the published scores of the model as loaded, and a harness note only then", () => {
    expect(reports[1]!.per_model[0]!.references).toEqual([expect.objectContaining({ model: "Qwen2.5-7B-Instruct", value: 84.8 })]);
    expect(reports[1]!.per_model[1]!.references).toEqual([]);
    expect(reports[1]!.harness_note).toMatch(/zero-shot chat prompt/);
    expect(reports[0]!.harness_note).toBeNull();
  });
});

describe("reports show measured beside published", () => {
  const ids = Array.from({ length: 40 }, (_, i) => `HumanEval/${i * 4}`);
  const reply = (itemId: string, model: string, passed: boolean): RunItemResult => ({
    run_id: "run_x",
    item_id: itemId,
    model,
    repeat: 0,
    dimension: "code",
    status: "completed",
    reply: passed ? "ok" : "no",
    finish_reason: "STOP",
    prompt_tokens: 10,
    completion_tokens: 10,
    timings: { queue_ms: 0, ttft_ms: 100, decode_ms: 200, total_ms: 300, tokens_per_second: 50 },
    score: { passed, score: passed ? 1 : 0, checks: [{ type: "code", passed, detail: passed ? "tests passed" : "exit 1" }] },
    error: null,
    attempts: 1,
    completed_at: "2026-01-01T00:00:00.000Z",
  });
  const report = buildReport({
    run: {
      id: "run_x",
      suite_id: "humaneval",
      status: "completed",
      models: ["qwen", "phi3"],
      repeats: 1,
      created_at: "2026-01-01T00:00:00.000Z",
      completed_at: null,
    },
    models: [
      { ...(FIXTURE_MODELS[0] as ModelSnapshot), model_name: "Qwen2.5 7B Instruct" },
      { ...(FIXTURE_MODELS[1] as ModelSnapshot), model_name: "Phi3 Mini 4k Instruct" },
    ],
    // qwen passes 30 of 40, phi3 passes 27 of the same (24 shared): A ahead on 6, B on 3.
    items: ids.flatMap((id, i) => [reply(id, "qwen", i < 30), reply(id, "phi3", i < 24 || (i >= 30 && i < 33))]),
    prompts: {},
  });

  it("the report carries the suite with both published scores and notes what differs", () => {
    if (!report.suites[0]) throw new Error("no suite entry");
    expect(report.suites[0].suite).toBe("humaneval");
    expect(report.suites[0].per_model.map((m) => [m.pass_at_1, m.references.map((r) => r.value)])).toEqual([
      [0.75, [84.8]],
      [0.675, [58.5]],
    ]);
    const rows = suiteTable(report);
    expect(rows[0]).toMatchObject({ measured: "75.0 [59.8–85.8]", published: "84.8 (Qwen2.5-7B-Instruct)" });
    expect(rows[1]!.published).toBe("58.5 (Phi-3-mini-4k-instruct)");
    // The built-in suite's size is known only when the data is cached; then the subset is noted.
    expect(report.notes.join("\n")).toMatch(/humaneval: harness settings differ from the published scores'/);
  });

  it("the comparison says how many items a difference of this size needs", () => {
    const c = report.dimensions.find((d) => d.dimension === "code")!.comparisons[0]!;
    expect([c.a_better_items, c.b_better_items, c.verdict]).toEqual([6, 3, "no_significant_difference"]);
    // pA = 6/40, pB = 3/40 -> Connor: (1.96 sqrt(0.225) + 0.8416 sqrt(0.225 - 0.075^2))^2 / 0.075^2 = 311.6 -> 312.
    expect(c.items_needed).toBe(312);
    expect(c.summary).toMatch(/needs about 312 paired items to reach p < 0.05 with 80% power: run about 312 items/);
    expect(verdictWithSampleSize(c)).toBe("no significant difference (run ~312 items)");
  });

  it("a single non-standard suite gets no suites table (its dimension table says it all)", () => {
    const seedOnly = { ...report, suites: report.suites.map((s) => ({ ...s, suite: "seed-50" })) };
    expect(suiteTable(seedOnly)).toEqual([]);
    expect(suiteTable({ ...seedOnly, suites: [...seedOnly.suites, { ...seedOnly.suites[0]!, suite: "mine" }] })).toHaveLength(4);
  });

  it("markdown, html and the terminal show measured beside published", () => {
    for (const text of [renderReport(report, "md").body, renderReport(report, "html").body]) {
      expect(text).toContain("75.0 [59.8–85.8]");
      expect(text).toContain("84.8 (Qwen2.5-7B-Instruct)");
      expect(text).toContain("run ~312 items");
    }
    expect(renderReport(report, "md").body).toContain("Qwen2.5 Technical Report");
  });
});
