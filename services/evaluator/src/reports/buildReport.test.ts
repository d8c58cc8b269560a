// The report's tables recomputed independently from the stored items (plain loops, no shared helpers except
// the already-tested Wilson/McNemar functions), and each renderer's output checked against them.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scoreLatency } from "../scoring/latencyScore.js";
import { mcnemarExact, wilsonInterval } from "../scoring/statistics.js";
import { DIMENSIONS } from "../suites/types.js";
import type { RunItemResult } from "../runs/types.js";
import { buildReport, type ReportInput, renderReport } from "./index.js";
import { performanceTable } from "./performanceTable.js";
import { syntheticRun } from "./reportFixtures.js";
import { parseCsvRows } from "@evalstack/testing";

const fixtures = JSON.parse(readFileSync(new URL("../suites/builtin/seed-50.replies.json", import.meta.url), "utf8"));
const input = syntheticRun(fixtures, 3);
const report = buildReport(input);

function passOf(r: RunItemResult): number {
  if (r.status !== "completed") return 0;
  if (r.dimension === "latency") return r.timings.ttft_ms <= 200 && r.timings.tokens_per_second >= 30 ? 1 : 0;
  return r.score?.passed ? 1 : 0;
}

/** item id -> mean pass over repeats, for one model and dimension. */
function rates(model: string, dimension: string, from: ReportInput = input): Map<string, number> {
  const sums = new Map<string, { s: number; n: number }>();
  for (const r of from.items) {
    if (r.model !== model || r.dimension !== dimension) continue;
    const e = sums.get(r.item_id) ?? { s: 0, n: 0 };
    e.s += passOf(r);
    e.n += 1;
    sums.set(r.item_id, e);
  }
  return new Map([...sums].map(([k, v]) => [k, v.s / v.n]));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

describe("buildReport recomputed from the stored items", () => {
  it("has every dimension with 10 items and both models", () => {
    expect(report.dimensions.map((d) => d.dimension)).toEqual([...DIMENSIONS]);
    for (const d of report.dimensions) {
      expect(d.items).toBe(10);
      expect(d.per_model.map((s) => s.model)).toEqual(["qwen", "phi3"]);
    }
  });

  it("scores each dimension as 10 x the mean per-item pass rate, with the Wilson interval", () => {
    for (const d of report.dimensions) {
      for (const s of d.per_model) {
        const r = [...rates(s.model, d.dimension).values()];
        const passed = r.reduce((a, b) => a + b, 0);
        expect(s.items).toBe(r.length);
        expect(s.score).toBeCloseTo((10 * passed) / r.length, 2);
        const w = wilsonInterval(passed, r.length);
        expect(s.interval.low).toBeCloseTo(10 * w.low, 2);
        expect(s.interval.high).toBeCloseTo(10 * w.high, 2);
        expect(s.replies).toBe(input.items.filter((x) => x.model === s.model && x.dimension === d.dimension).length);
      }
    }
  });

  it("counts the error reply as a failure and says so", () => {
    const s = report.dimensions.find((d) => d.dimension === "structured")?.per_model.find((x) => x.model === "phi3");
    expect(s?.errors).toBe(1);
    expect(report.notes.join(" ")).toMatch(/1 reply ended in an error/);
  });

  it("compares the models per dimension with McNemar on the paired items", () => {
    for (const d of report.dimensions) {
      const a = rates("qwen", d.dimension);
      const b = rates("phi3", d.dimension);
      let better = 0;
      let worse = 0;
      for (const [id, ra] of a) {
        const rb = b.get(id) as number;
        if (ra > rb) better++;
        if (rb > ra) worse++;
      }
      const c = d.comparisons[0];
      expect(c?.a_better_items).toBe(better);
      expect(c?.b_better_items).toBe(worse);
      expect(c?.p_value).toBeCloseTo(mcnemarExact(better, worse).p, 6);
      const expected =
        better + worse < 6
          ? "sample_too_small"
          : mcnemarExact(better, worse).p < 0.05
            ? better > worse
              ? "a_better"
              : "b_better"
            : "no_significant_difference";
      expect(c?.verdict).toBe(expected);
    }
  });

  it("takes latency percentiles over the latency items' replies", () => {
    for (const l of report.latency) {
      const mine = input.items.filter((r) => r.model === l.model && r.dimension === "latency" && r.status === "completed");
      expect(l.replies).toBe(mine.length);
      expect(l.ttft_ms_p50).toBeCloseTo(median(mine.map((r) => r.timings.ttft_ms)), 2);
      expect(l.tokens_per_second_p50).toBeCloseTo(median(mine.map((r) => r.timings.tokens_per_second)), 2);
      const sorted = mine.map((r) => r.timings.total_ms).sort((x, y) => x - y);
      expect(l.e2e_ms_p95).toBeLessThanOrEqual(sorted.at(-1) as number);
      expect(l.e2e_ms_p95).toBeGreaterThanOrEqual(sorted.at(-3) as number);
    }
  });

  it("fills the performance table from GetModelInfo and the timings", () => {
    const q = report.performance.find((p) => p.model === "qwen");
    expect(q?.model_name).toBe("SmolLM2-135M-Instruct");
    expect(q?.load_ms).toBe(420);
    expect(q?.peak_ram_bytes).toBe(310_000_000);
    expect(q?.ttft_ms_p50).toBe(report.latency.find((l) => l.model === "qwen")?.ttft_ms_p50);
  });

  it("says 'not reported' for what an OpenAI-compatible target does not report, and marks its timings client-side", () => {
    const llama = {
      name: "phi3",
      kind: "openai" as const,
      target: "http://127.0.0.1:8080/v1",
      model_name: "gemma-3-270m",
      architecture: "",
      quantization: "",
      parameter_count: null,
      file_size_bytes: null,
      sha256: "",
      context_size: null,
      slots: null,
      load_ms: null,
      peak_ram_bytes: null,
      vram_bytes: null,
      gpu: "",
    };
    const mixed = buildReport({ ...input, models: input.models.map((m) => (m.name === "phi3" ? llama : m)) });
    const p = mixed.performance.find((r) => r.model === "phi3")!;
    expect(p).toMatchObject({
      kind: "openai",
      timings_measured: "client",
      model_name: "gemma-3-270m",
      file_size_bytes: null,
      load_ms: null,
      peak_ram_bytes: null,
    });
    expect(p.ttft_ms_p50).toBe(mixed.latency.find((l) => l.model === "phi3")?.ttft_ms_p50);
    expect(mixed.performance.find((r) => r.model === "qwen")).toMatchObject({ kind: "grpc", timings_measured: "server", not_reported: [] });
    const rows = new Map(performanceTable(mixed).map((r) => [r.label, r.cells]));
    for (const label of ["Parameters", "Quantization", "Model size (file)", "Load time", "Peak RAM", "GPU memory", "GPU"]) {
      expect(rows.get(label)?.[1], label).toBe("not reported");
      expect(rows.get(label)?.[0], label).not.toBe("not reported");
    }
    expect(rows.get("First-token latency p50")?.[1]).toMatch(/^\d+ ms \(client-side\)$/);
    expect(rows.get("First-token latency p50")?.[0]).toMatch(/^\d+ ms$/);
    expect(rows.get("Generation speed p50 (tokens/s)")?.[1]).toMatch(/^[\d.]+ \(client-side\)$/);
    expect(mixed.notes.join("\n")).toMatch(/phi3 is an OpenAI-compatible server \(http:\/\/127.0.0.1:8080\/v1\)/);
    const md = renderReport(mixed, "md").body;
    expect(md).toContain("| Load time | 420 ms | not reported |");
    expect(md).toContain(
      "- **phi3**: gemma-3-270m (OpenAI-compatible server; size, parameters, load time and memory not reported) at http://127.0.0.1:8080/v1",
    );
  });

  it("gives a passing and a failing example per dimension", () => {
    for (const d of DIMENSIONS) {
      const exs = report.examples.filter((e) => e.dimension === d);
      expect(exs.map((e) => e.kind).sort()).toEqual(["fail", "pass"]);
      for (const e of exs) {
        const stored = input.items.find((r) => r.item_id === e.item_id && r.model === e.model && r.repeat === e.repeat);
        expect(stored).toBeDefined();
        expect(passOf(stored as RunItemResult)).toBe(e.kind === "pass" ? 1 : 0);
      }
    }
  });

  it("derives recommendations from the comparisons", () => {
    expect(report.recommendations.length).toBeGreaterThanOrEqual(5);
    const coding = report.recommendations.find((r) => r.scenario.startsWith("Coding"));
    const code = report.dimensions.find((d) => d.dimension === "code")?.comparisons[0];
    if (code?.verdict === "a_better") expect(coding?.recommendation).toBe("qwen");
    else if (code?.verdict === "b_better") expect(coding?.recommendation).toBe("phi3");
    else expect(coding?.recommendation).toMatch(/no measurable quality difference/);
    expect(coding?.basis).toContain(code?.summary ?? "missing");
  });

  it("has one item row per (item, model) with the averaged pass rate", () => {
    expect(report.items).toHaveLength(100);
    for (const row of report.items) {
      expect(row.pass_rate).toBeCloseTo(rates(row.model, row.dimension).get(row.item_id) as number, 4);
    }
  });

  it("uses the latency targets it is given", () => {
    const strict = buildReport({ ...input, latencyTargets: { ttft_ms: 1, tokens_per_second: 1e6 } });
    const lat = strict.dimensions.find((d) => d.dimension === "latency");
    expect(lat?.per_model.every((s) => s.score === 0)).toBe(true);
    const lenient = buildReport({ ...input, latencyTargets: { ttft_ms: 1e9, tokens_per_second: 0 } });
    expect(lenient.dimensions.find((d) => d.dimension === "latency")?.per_model.every((s) => s.score === 10)).toBe(true);
    expect(scoreLatency(input.items[0]?.timings as never, { ttft_ms: 1e9, tokens_per_second: 0 }).passed).toBe(true);
  });

  it("says when the sample is too small: one item per dimension", () => {
    const tiny = buildReport({
      ...input,
      items: input.items.filter((r) => r.item_id.endsWith("-01-seed-companies") || r.item_id === "math-01-seed-students"),
    });
    for (const d of tiny.dimensions) expect(d.comparisons[0]?.verdict).toBe("sample_too_small");
    // With it, the sample a difference of that size needs (one item, decided: at least 6 for the exact test).
    expect(renderReport(tiny, "md").body).toMatch(/\| sample too small \(run ~\d+ items\) \|/);
    for (const d of tiny.dimensions) expect(d.comparisons[0]?.items_needed ?? 6).toBeGreaterThanOrEqual(6);
  });

  it("handles a single model and an empty run", () => {
    const one = buildReport({ ...input, run: { ...input.run, models: ["qwen"] } });
    expect(one.dimensions.every((d) => d.comparisons.length === 0)).toBe(true);
    expect(one.recommendations[0]?.recommendation).toMatch(/only model/);
    const empty = buildReport({ ...input, items: [], run: { ...input.run, status: "running" } });
    expect(empty.dimensions).toEqual([]);
    for (const f of ["md", "html", "json", "csv"] as const) expect(renderReport(empty, f).body.length).toBeGreaterThan(0);
  });
});

describe("a real run: seed-50 on the two small models (fixtures/seed50-small-models.json)", () => {
  const recorded = JSON.parse(readFileSync(new URL("./fixtures/seed50-small-models.json", import.meta.url), "utf8")) as ReportInput;
  const real = buildReport(recorded);

  it("is the recording of 100 replies with both models' GetModelInfo", () => {
    expect(recorded.items).toHaveLength(100);
    expect(real.performance.map((p) => p.model_name)).toEqual(recorded.models.map((m) => m.model_name));
    expect(real.performance.every((p) => (p.parameter_count ?? 0) > 100_000_000 && (p.load_ms ?? 0) > 0)).toBe(true);
  });

  it("scores, intervals and McNemar counts match a recomputation from the stored replies", () => {
    for (const d of real.dimensions) {
      for (const s of d.per_model) {
        const r = [...rates(s.model, d.dimension, recorded).values()];
        const passed = r.reduce((a, b) => a + b, 0);
        expect(s.score).toBeCloseTo((10 * passed) / r.length, 2);
        expect(s.interval.low).toBeCloseTo(10 * wilsonInterval(passed, r.length).low, 2);
      }
      const a = rates("qwen", d.dimension, recorded);
      const b = rates("phi3", d.dimension, recorded);
      const better = [...a].filter(([id, ra]) => ra > (b.get(id) as number)).length;
      const worse = [...a].filter(([id, ra]) => ra < (b.get(id) as number)).length;
      expect([d.comparisons[0]?.a_better_items, d.comparisons[0]?.b_better_items]).toEqual([better, worse]);
    }
  });

  it("does not call winners the data cannot support", () => {
    // Tiny models fail almost everything: too few discordant items in every dimension but latency.
    for (const d of real.dimensions) {
      const c = d.comparisons[0];
      if ((c?.a_better_items ?? 0) + (c?.b_better_items ?? 0) < 6) expect(c?.verdict).toBe("sample_too_small");
    }
  });
});

describe("renderers", () => {
  it("Markdown: the scores table, the performance table, examples and recommendations", () => {
    const md = renderReport(report, "md");
    expect(md.contentType).toBe("text/markdown; charset=utf-8");
    for (const d of report.dimensions) {
      const q = d.per_model[0];
      const p = d.per_model[1];
      const row = md.body.split("\n").find((l) => l.startsWith(`| ${d.label} |`));
      expect(row).toContain(`${q?.score.toFixed(1)} [${q?.interval.low.toFixed(1)}–${q?.interval.high.toFixed(1)}]`);
      expect(row).toContain(`${p?.score.toFixed(1)} [`);
    }
    for (const h of [
      "## Scores per dimension",
      "## Performance",
      "## Examples",
      "## Recommendations",
      "| Load time |",
      "| First-token latency p50 |",
      "| Peak RAM |",
    ]) {
      expect(md.body).toContain(h);
    }
  });

  it("JSON: round-trips to the same report", () => {
    const j = renderReport(report, "json");
    expect(JSON.parse(j.body)).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it("CSV: a header and one row per (item, model), quoted so that commas and newlines survive", () => {
    const csv = renderReport(report, "csv").body;
    const rows = parseCsvRows(csv);
    expect(rows[0]).toEqual([
      "item_id",
      "dimension",
      "model",
      "replies",
      "errors",
      "pass_rate",
      "instruction_score",
      "ttft_ms",
      "tokens_per_second",
      "total_ms",
      "prompt",
      "reply",
      "checks",
    ]);
    expect(rows).toHaveLength(1 + report.items.length);
    const first = report.items[0];
    expect(rows[1]?.slice(0, 3)).toEqual([first?.item_id, first?.dimension, first?.model]);
    expect(rows[1]?.[11]).toBe(first?.reply);
    expect(Number(rows[1]?.[5])).toBe(first?.pass_rate);
  });

  it("HTML: one self-contained document with SVG charts and the item table", () => {
    const html = renderReport(report, "html").body;
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href)=["']?(?:https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
    expect((html.match(/<svg /g) ?? []).length).toBe(4);
    expect((html.match(/<tr data-dimension=/g) ?? []).length).toBe(report.items.length + report.dimensions.length);
    // Replies are escaped: no markup from a model reaches the page.
    const hostile = buildReport({
      ...input,
      items: input.items.map((r, i) => (i === 0 ? { ...r, reply: "<script>alert(1)</script>" } : r)),
    });
    expect(renderReport(hostile, "html").body).not.toContain("<script>alert(1)</script>");
  });

  it("refuses an unknown format", () => {
    expect(() => renderReport(report, "pdf" as never)).toThrow(/unknown report format/);
  });
});
