// From stored replies to the report's numbers. Every figure here can be recomputed from the CSV.
//
// Per (item, model): the pass rate is the mean over repeats of "all checks passed" (latency items: "met both
// latency targets"); a reply that ended in an error counts as a failure. Per dimension and model: score =
// 10 x mean item pass rate, with a 95% Wilson interval over the items. Two models: an exact two-sided
// McNemar test on the paired items (with repeats, a sign test on the per-item pass rates).

import { capacityRecommendation, capacityRows } from "./capacitySection.js";
import { summarizeSandbox } from "./sandboxSummary.js";
import { DEFAULT_LATENCY_TARGETS, type LatencyTargets, scoreLatency } from "../scoring/latencyScore.js";
import { mcnemarExact, mcnemarItemsNeeded, minDiscordantForSignificance, percentile, wilsonInterval } from "../scoring/statistics.js";
import { DIMENSIONS, type Dimension } from "../suites/types.js";
import type { ModelSnapshot, RunItemResult } from "../runs/types.js";
import { builtinSuite } from "../suites/builtinSuites.js";
import { suiteIds } from "../suites/selectItems.js";
import { suiteScores } from "./suiteScores.js";
import type {
  Comparison,
  DimensionModelScore,
  DimensionReport,
  ItemRow,
  LatencyStats,
  PerformanceRow,
  Recommendation,
  Report,
  ReportExample,
  ReportInput,
  UnreportedFigure,
} from "./reportTypes.js";

/** What the OpenAI API has no place for: an OpenAI-compatible target's row leaves these null. */
const OPENAI_UNREPORTED: readonly UnreportedFigure[] = [
  "parameter_count",
  "quantization",
  "file_size_bytes",
  "load_ms",
  "peak_ram_bytes",
  "vram_bytes",
  "gpu",
];

export const DIMENSION_LABELS: Record<Dimension, string> = {
  instruction_following: "Instruction following",
  math: "Math reasoning",
  code: "Code generation",
  structured: "Structured data",
  latency: "Inference latency",
};

export const ALPHA = 0.05;
const EXAMPLE_REPLY_CHARS = 600;
const TABLE_REPLY_CHARS = 300;

interface ReplyOutcome {
  result: RunItemResult;
  /** 1 passed, 0 failed (errors are failures). */
  pass: number;
  /** Share of checks passed. */
  instruction: number;
  error: boolean;
}

interface ItemModelAggregate {
  item_id: string;
  dimension: Dimension;
  model: string;
  outcomes: ReplyOutcome[];
  pass_rate: number;
  instruction_score: number;
  errors: number;
}

export function outcomeOf(r: RunItemResult, targets: LatencyTargets): ReplyOutcome {
  if (r.status !== "completed") return { result: r, pass: 0, instruction: 0, error: true };
  if (r.dimension === "latency") {
    const s = scoreLatency(r.timings, targets);
    return { result: r, pass: s.passed ? 1 : 0, instruction: s.score, error: false };
  }
  if (!r.score || r.score.error !== undefined) return { result: r, pass: 0, instruction: 0, error: true };
  return { result: r, pass: r.score.passed ? 1 : 0, instruction: r.score.score, error: false };
}

export const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
export const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
const orNull = (x: number): number | null => (Number.isFinite(x) ? round(x, 2) : null);
const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(0)}%`;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function aggregateItems(results: RunItemResult[], targets: LatencyTargets): ItemModelAggregate[] {
  const groups = new Map<string, ItemModelAggregate>();
  for (const r of results) {
    const key = `${r.model}\u0000${r.item_id}`;
    let g = groups.get(key);
    if (!g) {
      g = { item_id: r.item_id, dimension: r.dimension, model: r.model, outcomes: [], pass_rate: 0, instruction_score: 0, errors: 0 };
      groups.set(key, g);
    }
    g.outcomes.push(outcomeOf(r, targets));
  }
  for (const g of groups.values()) {
    g.outcomes.sort((a, b) => a.result.repeat - b.result.repeat);
    g.pass_rate = mean(g.outcomes.map((o) => o.pass));
    g.instruction_score = mean(g.outcomes.map((o) => o.instruction));
    g.errors = g.outcomes.filter((o) => o.error).length;
  }
  return [...groups.values()];
}

function compare(a: string, b: string, byItemA: Map<string, number>, byItemB: Map<string, number>, what: string): Comparison {
  let better = 0;
  let worse = 0;
  let paired = 0;
  for (const [item, rateA] of byItemA) {
    const rateB = byItemB.get(item);
    if (rateB === undefined) continue;
    paired++;
    if (rateA > rateB) better++;
    else if (rateB > rateA) worse++;
  }
  return comparisonFromCounts(a, b, { paired, better, worse }, what);
}

/** The paired comparison of a and b from its counts: items paired, a ahead, b ahead. */
export function comparisonFromCounts(
  a: string,
  b: string,
  counts: { paired: number; better: number; worse: number },
  what: string,
): Comparison {
  const { paired, better, worse } = counts;
  const { p } = mcnemarExact(better, worse);
  const discordant = better + worse;
  const itemsNeeded = paired > 0 ? mcnemarItemsNeeded(better / paired, worse / paired, ALPHA) : null;
  const runAbout =
    itemsNeeded === null
      ? ""
      : ` A difference of this size (${a} ahead on ${pct(better, paired)} of paired items, ${b} on ${pct(worse, paired)}) needs about ${itemsNeeded} paired items to reach p < ${ALPHA} with 80% power: run about ${itemsNeeded} items.`;
  const needed = minDiscordantForSignificance(ALPHA);
  let verdict: Comparison["verdict"];
  let summary: string;
  const pText = `p = ${p < 0.001 ? p.toExponential(1) : p.toFixed(3)}`;
  if (discordant < needed) {
    verdict = "sample_too_small";
    summary = `Sample too small to call a winner on ${what}: the models differ on ${discordant} of ${paired} paired items, and at least ${needed} are needed before any split can reach p < ${ALPHA}.${runAbout}`;
  } else if (p < ALPHA) {
    verdict = better > worse ? "a_better" : "b_better";
    const [w, l, wn, ln] = better > worse ? [a, b, better, worse] : [b, a, worse, better];
    summary = `${w} is better than ${l} on ${what}: ahead on ${wn} items, behind on ${ln} (${pText}).`;
  } else {
    verdict = "no_significant_difference";
    summary = `No significant difference on ${what}: ${a} ahead on ${better} items, ${b} on ${worse} (${pText}).${runAbout}`;
  }
  return {
    model_a: a,
    model_b: b,
    paired_items: paired,
    a_better_items: better,
    b_better_items: worse,
    p_value: p,
    verdict,
    items_needed: itemsNeeded,
    summary,
  };
}

function latencyStats(model: string, results: RunItemResult[]): LatencyStats {
  const mine = results.filter((r) => r.model === model && r.status === "completed");
  const latencyOnes = mine.filter((r) => r.dimension === "latency");
  const source: LatencyStats["source"] = latencyOnes.length > 0 ? "latency items" : "all items";
  const used = latencyOnes.length > 0 ? latencyOnes : mine;
  const ttft = used.map((r) => r.timings.ttft_ms);
  const tps = used.map((r) => r.timings.tokens_per_second);
  const e2e = used.map((r) => r.timings.total_ms);
  return {
    model,
    replies: used.length,
    source,
    ttft_ms_p50: orNull(percentile(ttft, 50)),
    ttft_ms_p95: orNull(percentile(ttft, 95)),
    tokens_per_second_p50: orNull(percentile(tps, 50)),
    e2e_ms_p50: orNull(percentile(e2e, 50)),
    e2e_ms_p95: orNull(percentile(e2e, 95)),
  };
}

function pickExamples(
  dimension: Dimension,
  aggs: ItemModelAggregate[],
  prompts: Record<string, string>,
  targets: LatencyTargets,
): ReportExample[] {
  const mine = aggs.filter((g) => g.dimension === dimension);
  const toExample = (g: ItemModelAggregate, kind: "pass" | "fail"): ReportExample | null => {
    const o =
      g.outcomes.find((x) => (kind === "pass" ? x.pass === 1 : x.pass === 0 && !x.error)) ??
      (kind === "fail" ? g.outcomes.find((x) => x.pass === 0) : undefined);
    if (!o) return null;
    const r = o.result;
    const checks =
      r.dimension === "latency" && r.status === "completed"
        ? scoreLatency(r.timings, targets).checks
        : (r.score?.checks ?? [{ type: "error", passed: false, detail: r.error ?? "error" }]);
    return {
      dimension,
      kind,
      item_id: g.item_id,
      model: g.model,
      repeat: r.repeat,
      prompt: prompts[g.item_id] ?? null,
      reply: truncate(r.status === "completed" ? r.reply : `(error) ${r.error ?? ""}`, EXAMPLE_REPLY_CHARS),
      checks,
    };
  };
  // Prefer an item the models disagree on: the passing and the failing reply to the same prompt.
  const byItem = new Map<string, ItemModelAggregate[]>();
  for (const g of mine) byItem.set(g.item_id, [...(byItem.get(g.item_id) ?? []), g]);
  for (const group of byItem.values()) {
    const winner = group.find((g) => g.pass_rate === 1);
    const loser = group.find((g) => g.pass_rate === 0 && g.errors < g.outcomes.length);
    if (winner && loser) {
      const p = toExample(winner, "pass");
      const f = toExample(loser, "fail");
      if (p && f) return [p, f];
    }
  }
  const out: ReportExample[] = [];
  const passing = mine.find((g) => g.outcomes.some((o) => o.pass === 1));
  const failing =
    mine.find((g) => g.outcomes.some((o) => o.pass === 0 && !o.error)) ?? mine.find((g) => g.outcomes.some((o) => o.pass === 0));
  const p = passing ? toExample(passing, "pass") : null;
  const f = failing ? toExample(failing, "fail") : null;
  if (p) out.push(p);
  if (f) out.push(f);
  return out;
}

function fmtScore(s: DimensionModelScore | undefined): string {
  return s ? `${s.score.toFixed(1)}/10` : "n/a";
}

/** Recommendations per scenario (the seed's section 4.3), each derived from the numbers above it. */
function recommend(models: string[], dims: DimensionReport[], perf: PerformanceRow[], aggs: ItemModelAggregate[]): Recommendation[] {
  if (models.length === 0) return [];
  if (models.length === 1) {
    return [
      {
        scenario: "All scenarios",
        recommendation: `${models[0]} (the only model in this run)`,
        basis: "No comparison is possible with one model.",
      },
    ];
  }
  const [a, b] = models as [string, string];
  const perfOf = (m: string) => perf.find((p) => p.model === m);
  const cheaper = (): string => {
    const pa = perfOf(a);
    const pb = perfOf(b);
    const size = (p: PerformanceRow | undefined) => p?.peak_ram_bytes ?? p?.file_size_bytes ?? Number.POSITIVE_INFINITY;
    if (size(pa) !== size(pb)) return size(pa) < size(pb) ? a : b;
    const speed = (p: PerformanceRow | undefined) => p?.tokens_per_second_p50 ?? 0;
    return speed(pa) >= speed(pb) ? a : b;
  };
  const pooled = (ds: Dimension[]): Comparison => {
    const rates = (m: string) =>
      new Map(aggs.filter((g) => g.model === m && ds.includes(g.dimension)).map((g) => [`${g.dimension}/${g.item_id}`, g.pass_rate]));
    return compare(a, b, rates(a), rates(b), ds.map((d) => DIMENSION_LABELS[d].toLowerCase()).join(" + "));
  };
  const scoreText = (ds: Dimension[]) =>
    ds
      .map((d) => {
        const dr = dims.find((x) => x.dimension === d);
        return `${DIMENSION_LABELS[d]}: ${a} ${fmtScore(dr?.per_model.find((s) => s.model === a))}, ${b} ${fmtScore(dr?.per_model.find((s) => s.model === b))}`;
      })
      .join("; ");
  const byQuality = (scenario: string, ds: Dimension[]): Recommendation => {
    const c = pooled(ds);
    const cheap = cheaper();
    if (c.verdict === "a_better" || c.verdict === "b_better") {
      const winner = c.verdict === "a_better" ? a : b;
      return { scenario, recommendation: winner, basis: `${scoreText(ds)}. ${c.summary}` };
    }
    return {
      scenario,
      recommendation: `${cheap} (no measurable quality difference, so the cheaper one)`,
      basis: `${scoreText(ds)}. ${c.summary} ${cheap} has the smaller memory footprint / faster decoding.`,
    };
  };
  const recs: Recommendation[] = [
    byQuality("Customer-service bot (follows instructions and formats)", ["instruction_following", "structured"]),
    byQuality("Math and data-analysis assistant", ["math", "structured"]),
    byQuality("Coding assistant", ["code"]),
  ];
  // Latency-driven scenarios: the latency dimension's comparison, then the raw percentiles.
  const lat = dims.find((d) => d.dimension === "latency")?.comparisons[0];
  const pa = perfOf(a);
  const pb = perfOf(b);
  const ttftA = pa?.ttft_ms_p50 ?? Number.POSITIVE_INFINITY;
  const ttftB = pb?.ttft_ms_p50 ?? Number.POSITIVE_INFINITY;
  const faster = ttftA <= ttftB ? a : b;
  const latencyBasis = `TTFT p50 ${a} ${pa?.ttft_ms_p50 ?? "n/a"} ms vs ${b} ${pb?.ttft_ms_p50 ?? "n/a"} ms; tokens/s p50 ${pa?.tokens_per_second_p50 ?? "n/a"} vs ${pb?.tokens_per_second_p50 ?? "n/a"}.${lat ? ` ${lat.summary}` : ""}`;
  recs.push({
    scenario: "Real-time chat and local development (latency first)",
    recommendation: lat && (lat.verdict === "a_better" || lat.verdict === "b_better") ? (lat.verdict === "a_better" ? a : b) : faster,
    basis: latencyBasis,
  });
  const cheap = cheaper();
  const mem = (p: PerformanceRow | undefined) =>
    p?.peak_ram_bytes
      ? `${(p.peak_ram_bytes / 1024 ** 3).toFixed(2)} GiB peak RAM`
      : p?.file_size_bytes
        ? `${(p.file_size_bytes / 1024 ** 3).toFixed(2)} GiB file`
        : "size unknown";
  recs.push({
    scenario: "Edge / memory-constrained deployment",
    recommendation: cheap,
    basis: `${a}: ${mem(pa)}; ${b}: ${mem(pb)}.`,
  });
  return recs;
}

/** Passes summed per reply count: [passes, replies] per item → replies → total passes. */
export function passesByReplies(groups: [passes: number, replies: number][]): Map<number, number> {
  const out = new Map<number, number>();
  for (const [passes, replies] of groups) out.set(replies, (out.get(replies) ?? 0) + passes);
  return out;
}

/**
 * The sum of the items' pass rates (passes / replies), computed as one division per reply count over exact
 * integer sums: the same figure however the items are grouped or in whatever order they arrived (the
 * incremental summary computes it from counters; a float running sum would drift across a rounding boundary).
 */
export function sumOfRates(byReplies: Map<number, number>): number {
  let sum = 0;
  for (const replies of [...byReplies.keys()].sort((a, b) => a - b)) sum += byReplies.get(replies)! / replies;
  return sum;
}

/** One model's score on one dimension from its sums over items (pass rates and instruction scores). */
export function modelScoreFromSums(
  model: string,
  sums: { items: number; replies: number; errors: number; passed: number; instruction: number },
): DimensionModelScore {
  const { items, passed } = sums;
  const ci = wilsonInterval(passed, items);
  return {
    model,
    items,
    replies: sums.replies,
    errors: sums.errors,
    passed: round(passed),
    pass_rate: round(items ? passed / items : 0),
    score: round(items ? (10 * passed) / items : 0, 2),
    interval: { low: round(10 * ci.low, 2), high: round(10 * ci.high, 2) },
    instruction_score: round(items ? sums.instruction / items : 0),
  };
}

export function buildReport(input: ReportInput): Report {
  const targets = input.latencyTargets ?? DEFAULT_LATENCY_TARGETS;
  const results = input.items.filter((r) => input.run.models.includes(r.model) || input.run.models.length === 0);
  const models = input.run.models.length > 0 ? input.run.models : [...new Set(results.map((r) => r.model))];
  const prompts =
    input.prompts ??
    Object.fromEntries(
      suiteIds(input.run.suite_id).flatMap((id) => (builtinSuite(id)?.items ?? []).map((i) => [i.id, i.messages.at(-1)?.content ?? ""])),
    );
  const aggs = aggregateItems(results, targets);
  const notes: string[] = [];

  const dimensions: DimensionReport[] = [];
  for (const dimension of DIMENSIONS) {
    const mine = aggs.filter((g) => g.dimension === dimension);
    if (mine.length === 0) continue;
    const perModel: DimensionModelScore[] = models.map((model) => {
      const gs = mine.filter((g) => g.model === model);
      return modelScoreFromSums(model, {
        items: gs.length,
        replies: gs.reduce((s, g) => s + g.outcomes.length, 0),
        errors: gs.reduce((s, g) => s + g.errors, 0),
        passed: sumOfRates(passesByReplies(gs.map((g) => [g.outcomes.reduce((n, o) => n + o.pass, 0), g.outcomes.length]))),
        instruction: gs.reduce((s, g) => s + g.instruction_score, 0),
      });
    });
    const comparisons: Comparison[] = [];
    for (let i = 0; i < models.length; i++) {
      for (let j = i + 1; j < models.length; j++) {
        const ma = models[i] as string;
        const mb = models[j] as string;
        const rate = (m: string) => new Map(mine.filter((g) => g.model === m).map((g) => [g.item_id, g.pass_rate]));
        comparisons.push(compare(ma, mb, rate(ma), rate(mb), DIMENSION_LABELS[dimension].toLowerCase()));
      }
    }
    dimensions.push({
      dimension,
      label: DIMENSION_LABELS[dimension],
      items: new Set(mine.map((g) => g.item_id)).size,
      per_model: perModel,
      comparisons,
    });
  }

  const latency = models.map((m) => latencyStats(m, results));
  if (latency.some((l) => l.source === "all items"))
    notes.push("This run has no latency items: latency percentiles are taken over all completed replies.");
  const snapshots = new Map<string, ModelSnapshot>(input.models.map((s) => [s.name, s]));
  const performance: PerformanceRow[] = models.map((m) => {
    const s = snapshots.get(m);
    const l = latency.find((x) => x.model === m);
    const kind = s?.kind ?? "grpc";
    return {
      model: m,
      kind,
      timings_measured: kind === "openai" ? ("client" as const) : ("server" as const),
      not_reported: kind === "openai" ? [...OPENAI_UNREPORTED] : [],
      model_name: s?.model_name ?? m,
      architecture: s?.architecture ?? "",
      quantization: s?.quantization ?? "",
      parameter_count: s?.parameter_count ?? null,
      file_size_bytes: s?.file_size_bytes ?? null,
      load_ms: s?.load_ms ?? null,
      ttft_ms_p50: l?.ttft_ms_p50 ?? null,
      ttft_ms_p95: l?.ttft_ms_p95 ?? null,
      tokens_per_second_p50: l?.tokens_per_second_p50 ?? null,
      e2e_ms_p50: l?.e2e_ms_p50 ?? null,
      peak_ram_bytes: s?.peak_ram_bytes ?? null,
      vram_bytes: s?.vram_bytes ?? null,
      gpu: s?.gpu ?? "",
      sha256: s?.sha256 ?? "",
    };
  });
  for (const m of models)
    if (!snapshots.has(m)) notes.push(`No GetModelInfo snapshot was stored for ${m}: size, load time and memory are unknown.`);
  for (const p of performance) {
    if (p.kind === "openai") {
      notes.push(
        `${p.model} is an OpenAI-compatible server (${snapshots.get(p.model)?.target ?? "?"}): its first-token latency, tokens/s and end-to-end times are measured by the evaluator (client-side, network and the server's queue included); it does not report model size, parameters, load time or memory.`,
      );
    }
  }

  const suites = suiteScores(
    input.run.suite_id,
    models,
    snapshots,
    aggs.map((g) => ({ item_id: g.item_id, model: g.model, passes: g.outcomes.map((o) => o.pass) })),
  );
  for (const s of suites) {
    if (s.suite_items !== null && s.items < s.suite_items)
      notes.push(
        `${s.suite}: a subset of ${s.items} of the suite's ${s.suite_items} items (limit / shuffle seed); published scores are on the whole benchmark.`,
      );
    if (s.harness_note) notes.push(`${s.suite}: harness settings differ from the published scores': ${s.harness_note}.`);
  }

  const examples = dimensions.flatMap((d) => pickExamples(d.dimension, aggs, prompts, targets));
  const items: ItemRow[] = aggs
    .map((g) => {
      const done = g.outcomes.filter((o) => o.result.status === "completed").map((o) => o.result);
      const first = g.outcomes[0]?.result;
      const checks =
        g.dimension === "latency" ? (done[0] ? scoreLatency(done[0].timings, targets).checks : []) : (first?.score?.checks ?? []);
      return {
        item_id: g.item_id,
        dimension: g.dimension,
        model: g.model,
        replies: g.outcomes.length,
        errors: g.errors,
        pass_rate: round(g.pass_rate),
        instruction_score: round(g.instruction_score),
        ttft_ms: done.length
          ? orNull(
              percentile(
                done.map((r) => r.timings.ttft_ms),
                50,
              ),
            )
          : null,
        tokens_per_second: done.length
          ? orNull(
              percentile(
                done.map((r) => r.timings.tokens_per_second),
                50,
              ),
            )
          : null,
        total_ms: done.length
          ? orNull(
              percentile(
                done.map((r) => r.timings.total_ms),
                50,
              ),
            )
          : null,
        prompt: prompts[g.item_id] !== undefined ? truncate(prompts[g.item_id] as string, TABLE_REPLY_CHARS) : null,
        reply: first ? truncate(first.status === "completed" ? first.reply : `(error) ${first.error ?? ""}`, TABLE_REPLY_CHARS) : "",
        checks: checks.map((c) => `${c.passed ? "✓" : "✗"} ${c.type}: ${c.detail}`).join("\n"),
      };
    })
    .sort(
      (x, y) =>
        DIMENSIONS.indexOf(x.dimension) - DIMENSIONS.indexOf(y.dimension) ||
        x.item_id.localeCompare(y.item_id) ||
        models.indexOf(x.model) - models.indexOf(y.model),
    );

  const errorCount = results.filter((r) => r.status !== "completed").length;
  if (errorCount > 0) notes.push(`${errorCount} repl${errorCount === 1 ? "y" : "ies"} ended in an error and count as failures.`);
  if (input.run.status !== "completed")
    notes.push(`The run is ${input.run.status}: figures cover the ${results.length} replies stored so far.`);

  const capacity = capacityRows((input.capacity ?? []).filter((a) => models.includes(a.model)));
  return {
    schema_version: 1,
    generated_at: new Date().toISOString(),
    run: input.run,
    latency_targets: targets,
    models: models.map((m) => ({
      name: m,
      snapshot: snapshots.get(m) ?? null,
      replies: results.filter((r) => r.model === m).length,
      errors: results.filter((r) => r.model === m && r.status !== "completed").length,
    })),
    dimensions,
    suites,
    latency,
    performance,
    examples,
    recommendations: [
      ...recommend(models, dimensions, performance, aggs),
      ...[capacityRecommendation(capacity, dimensions)].filter((r) => r !== null),
    ],
    capacity,
    sandbox: summarizeSandbox(results),
    items,
    notes,
  };
}
