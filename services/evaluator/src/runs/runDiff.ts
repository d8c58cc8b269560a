// Run-to-run comparison (GET /v1/runs/{a}/diff/{b}): what changed between two runs of one suite, after
// swapping a model, a quantization, a prompt or a setting. Nothing here is new statistics: each model pair
// (model X in run A, model Y in run B) is handed to the report builder as if it were two models of one run,
// so the scores, their 95% Wilson intervals and the exact McNemar test on the paired items are the report's
// own; per-item pass rates come from the report's aggregation (errors count as failures, latency items pass
// on the latency targets).
//
// An item passes in a run when at least half of its repeats passed (with one repeat: when it passed).
// `newly_passed`: failed in A, passes in B; `newly_failed`: the reverse. With repeats, a pass rate can also
// move without crossing that line (`improved`, `regressed`).

import { aggregateItems, buildReport, type DimensionReport, type Verdict } from "../reports/index.js";
import { scoreLatency, type LatencyTargets } from "../scoring/latencyScore.js";
import { percentile } from "../scoring/statistics.js";
import { DIMENSIONS, type Dimension } from "../suites/types.js";
import type { ModelSnapshot, RunItemResult } from "./types.js";

export interface DiffRun {
  id: string;
  suite_id: string;
  status: string;
  models: string[];
  repeats: number;
  created_at: string;
  completed_at: string | null;
  model_snapshots: ModelSnapshot[];
  /** Every stored reply of the run. */
  items: RunItemResult[];
}

export interface ModelPair {
  model_a: string;
  model_b: string;
}

export type DiffVerdict = "improved" | "regressed" | "no_significant_difference" | "sample_too_small";

export type ItemChange =
  | "newly_passed"
  | "newly_failed"
  | "improved"
  | "regressed"
  | "still_passing"
  | "still_failing"
  | "only_in_a"
  | "only_in_b";
export const ITEM_CHANGES: readonly ItemChange[] = [
  "newly_passed",
  "newly_failed",
  "improved",
  "regressed",
  "still_passing",
  "still_failing",
  "only_in_a",
  "only_in_b",
];

/** One row per (model pair, dimension). Deltas are B − A. */
export type DimensionDiffRow = {
  run_a: string;
  run_b: string;
  suite_id: string;
  status_a: string;
  status_b: string;
  model_a: string;
  model_b: string;
  model_name_a: string | null;
  model_name_b: string | null;
  /** The two runs loaded the same GGUF (sha256); null when a snapshot is missing. */
  same_weights: boolean | null;
  dimension: Dimension;
  /** Items with replies in both runs. */
  paired_items: number;
  items_a: number;
  items_b: number;
  /** 0-10 (pass rate × 10); null when the run has no reply in this dimension. */
  score_a: number | null;
  score_b: number | null;
  score_delta: number | null;
  ci_low_a: number | null;
  ci_high_a: number | null;
  ci_low_b: number | null;
  ci_high_b: number | null;
  instruction_score_a: number | null;
  instruction_score_b: number | null;
  instruction_score_delta: number | null;
  /** Paired items whose pass rate is higher in B (improved) or in A (regressed): McNemar's discordant pairs. */
  improved_items: number;
  regressed_items: number;
  /** Exact two-sided McNemar p-value on the paired items. */
  p_value: number;
  /** p < 0.05 with enough discordant pairs to tell. */
  significant: boolean;
  verdict: DiffVerdict;
  newly_passed: number;
  newly_failed: number;
  /** Item ids, comma-separated (the items view has one row each). */
  newly_passed_items: string;
  newly_failed_items: string;
  /** One sentence for people. */
  summary: string;
};

export const DIMENSION_DIFF_COLUMNS = [
  "run_a",
  "run_b",
  "suite_id",
  "status_a",
  "status_b",
  "model_a",
  "model_b",
  "model_name_a",
  "model_name_b",
  "same_weights",
  "dimension",
  "paired_items",
  "items_a",
  "items_b",
  "score_a",
  "score_b",
  "score_delta",
  "ci_low_a",
  "ci_high_a",
  "ci_low_b",
  "ci_high_b",
  "instruction_score_a",
  "instruction_score_b",
  "instruction_score_delta",
  "improved_items",
  "regressed_items",
  "p_value",
  "significant",
  "verdict",
  "newly_passed",
  "newly_failed",
  "newly_passed_items",
  "newly_failed_items",
  "summary",
] as const satisfies readonly (keyof DimensionDiffRow)[];

/** One row per (model pair, item). */
export type ItemDiffRow = {
  run_a: string;
  run_b: string;
  model_a: string;
  model_b: string;
  item_id: string;
  dimension: Dimension;
  change: ItemChange;
  passed_a: boolean | null;
  passed_b: boolean | null;
  /** Mean over repeats, 0-1; null when the run has no reply for the item. */
  pass_rate_a: number | null;
  pass_rate_b: number | null;
  pass_rate_delta: number | null;
  instruction_score_a: number | null;
  instruction_score_b: number | null;
  replies_a: number;
  replies_b: number;
  errors_a: number;
  errors_b: number;
  /** Medians over the completed repeats. */
  ttft_ms_a: number | null;
  ttft_ms_b: number | null;
  tokens_per_second_a: number | null;
  tokens_per_second_b: number | null;
  /** The first repeat's reply (or its error). */
  reply_a: string | null;
  reply_b: string | null;
  /** The first repeat's failed checks, "type: detail" joined with " | ". */
  failed_checks_a: string | null;
  failed_checks_b: string | null;
};

export const ITEM_DIFF_COLUMNS = [
  "run_a",
  "run_b",
  "model_a",
  "model_b",
  "item_id",
  "dimension",
  "change",
  "passed_a",
  "passed_b",
  "pass_rate_a",
  "pass_rate_b",
  "pass_rate_delta",
  "instruction_score_a",
  "instruction_score_b",
  "replies_a",
  "replies_b",
  "errors_a",
  "errors_b",
  "ttft_ms_a",
  "ttft_ms_b",
  "tokens_per_second_a",
  "tokens_per_second_b",
  "reply_a",
  "reply_b",
  "failed_checks_a",
  "failed_checks_b",
] as const satisfies readonly (keyof ItemDiffRow)[];

export interface RunDiff {
  pairs: ModelPair[];
  dimensions: DimensionDiffRow[];
  items: ItemDiffRow[];
}

/** Why two runs cannot be diffed as asked: `path` names the parameter at fault. */
export class RunDiffError extends Error {
  constructor(
    readonly status: 404 | 422,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "RunDiffError";
  }
}

/**
 * Which model of run A is compared with which of run B: the explicit pair when given, otherwise every
 * model both runs share (by name, in A's order), otherwise the only model of each when both have one.
 */
export function pairModels(
  a: Pick<DiffRun, "id" | "models">,
  b: Pick<DiffRun, "id" | "models">,
  asked: { model_a?: string; model_b?: string } = {},
): ModelPair[] {
  if (asked.model_a !== undefined || asked.model_b !== undefined) {
    const ma = asked.model_a ?? asked.model_b!;
    const mb = asked.model_b ?? asked.model_a!;
    if (!a.models.includes(ma))
      throw new RunDiffError(422, `run ${a.id} has no model "${ma}" (it ran ${a.models.join(", ")})`, "query.model_a");
    if (!b.models.includes(mb))
      throw new RunDiffError(422, `run ${b.id} has no model "${mb}" (it ran ${b.models.join(", ")})`, "query.model_b");
    return [{ model_a: ma, model_b: mb }];
  }
  const shared = a.models.filter((m) => b.models.includes(m));
  if (shared.length > 0) return shared.map((m) => ({ model_a: m, model_b: m }));
  if (a.models.length === 1 && b.models.length === 1) return [{ model_a: a.models[0]!, model_b: b.models[0]! }];
  throw new RunDiffError(
    422,
    `runs ${a.id} (${a.models.join(", ")}) and ${b.id} (${b.models.join(", ")}) share no model: name the pair with ?model_a=&model_b=`,
    "query.model_a",
  );
}

const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]): number | null => (xs.length ? round(percentile(xs, 50), 2) : null);
const delta = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : round(b - a));
const VERDICTS: Record<Verdict, DiffVerdict> = {
  a_better: "regressed",
  b_better: "improved",
  no_significant_difference: "no_significant_difference",
  sample_too_small: "sample_too_small",
};

type Aggregate = ReturnType<typeof aggregateItems>[number];

function passes(rate: number): boolean {
  return rate >= 0.5;
}

function changeOf(a: Aggregate | undefined, b: Aggregate | undefined): ItemChange {
  if (!a) return "only_in_b";
  if (!b) return "only_in_a";
  const pa = passes(a.pass_rate);
  const pb = passes(b.pass_rate);
  if (!pa && pb) return "newly_passed";
  if (pa && !pb) return "newly_failed";
  if (b.pass_rate > a.pass_rate) return "improved";
  if (b.pass_rate < a.pass_rate) return "regressed";
  return pa ? "still_passing" : "still_failing";
}

function firstReply(g: Aggregate | undefined, targets: LatencyTargets): { reply: string | null; failed: string | null } {
  const first = g?.outcomes[0]?.result;
  if (!first) return { reply: null, failed: null };
  if (first.status !== "completed") return { reply: null, failed: `error: ${first.error ?? "error"}` };
  // Latency items are checked against the targets, not by checks of their own.
  const checks = first.dimension === "latency" ? scoreLatency(first.timings, targets).checks : (first.score?.checks ?? []);
  const failed = checks.filter((c) => !c.passed).map((c) => `${c.type}: ${c.error ?? c.detail}`);
  return { reply: first.reply, failed: failed.length ? failed.join(" | ") : null };
}

function itemRow(
  a: DiffRun,
  b: DiffRun,
  pair: ModelPair,
  itemId: string,
  ga: Aggregate | undefined,
  gb: Aggregate | undefined,
  targets: LatencyTargets,
): ItemDiffRow {
  const side = (g: Aggregate | undefined) => {
    const done = g ? g.outcomes.filter((o) => o.result.status === "completed").map((o) => o.result) : [];
    const first = firstReply(g, targets);
    return {
      passed: g ? passes(g.pass_rate) : null,
      pass_rate: g ? round(g.pass_rate) : null,
      instruction_score: g ? round(g.instruction_score) : null,
      replies: g ? g.outcomes.length : 0,
      errors: g ? g.errors : 0,
      ttft_ms: median(done.map((r) => r.timings.ttft_ms)),
      tokens_per_second: median(done.map((r) => r.timings.tokens_per_second)),
      ...first,
    };
  };
  const sa = side(ga);
  const sb = side(gb);
  return {
    run_a: a.id,
    run_b: b.id,
    model_a: pair.model_a,
    model_b: pair.model_b,
    item_id: itemId,
    dimension: (ga ?? gb)!.dimension,
    change: changeOf(ga, gb),
    passed_a: sa.passed,
    passed_b: sb.passed,
    pass_rate_a: sa.pass_rate,
    pass_rate_b: sb.pass_rate,
    pass_rate_delta: delta(sa.pass_rate, sb.pass_rate),
    instruction_score_a: sa.instruction_score,
    instruction_score_b: sb.instruction_score,
    replies_a: sa.replies,
    replies_b: sb.replies,
    errors_a: sa.errors,
    errors_b: sb.errors,
    ttft_ms_a: sa.ttft_ms,
    ttft_ms_b: sb.ttft_ms,
    tokens_per_second_a: sa.tokens_per_second,
    tokens_per_second_b: sb.tokens_per_second,
    reply_a: sa.reply,
    reply_b: sb.reply,
    failed_checks_a: sa.failed,
    failed_checks_b: sb.failed,
  };
}

/** Labels for the report builder: the model and its run ("qwen in run_x"), distinct even for a run diffed with itself. */
function labels(a: DiffRun, b: DiffRun, pair: ModelPair): [string, string] {
  const la = `${pair.model_a} in ${a.id}`;
  const lb = `${pair.model_b} in ${b.id}`;
  return la === lb ? [`${la} (A)`, `${lb} (B)`] : [la, lb];
}

function dimensionRow(a: DiffRun, b: DiffRun, pair: ModelPair, d: DimensionReport, items: ItemDiffRow[]): DimensionDiffRow {
  const [sa, sb] = d.per_model as [DimensionReport["per_model"][number], DimensionReport["per_model"][number]];
  const c = d.comparisons[0]!;
  const snapA = a.model_snapshots.find((s) => s.name === pair.model_a);
  const snapB = b.model_snapshots.find((s) => s.name === pair.model_b);
  const has = (s: typeof sa) => s.items > 0;
  const score = (s: typeof sa) => (has(s) ? s.score : null);
  const instr = (s: typeof sa) => (has(s) ? s.instruction_score : null);
  const newlyPassed = items.filter((i) => i.change === "newly_passed").map((i) => i.item_id);
  const newlyFailed = items.filter((i) => i.change === "newly_failed").map((i) => i.item_id);
  const verdict = VERDICTS[c.verdict];
  return {
    run_a: a.id,
    run_b: b.id,
    suite_id: a.suite_id,
    status_a: a.status,
    status_b: b.status,
    model_a: pair.model_a,
    model_b: pair.model_b,
    model_name_a: snapA?.model_name ?? null,
    model_name_b: snapB?.model_name ?? null,
    same_weights: snapA?.sha256 && snapB?.sha256 ? snapA.sha256 === snapB.sha256 : null,
    dimension: d.dimension,
    paired_items: c.paired_items,
    items_a: sa.items,
    items_b: sb.items,
    score_a: score(sa),
    score_b: score(sb),
    score_delta: delta(score(sa), score(sb)),
    ci_low_a: has(sa) ? sa.interval.low : null,
    ci_high_a: has(sa) ? sa.interval.high : null,
    ci_low_b: has(sb) ? sb.interval.low : null,
    ci_high_b: has(sb) ? sb.interval.high : null,
    instruction_score_a: instr(sa),
    instruction_score_b: instr(sb),
    instruction_score_delta: delta(instr(sa), instr(sb)),
    improved_items: c.b_better_items,
    regressed_items: c.a_better_items,
    p_value: c.p_value,
    significant: verdict === "improved" || verdict === "regressed",
    verdict,
    newly_passed: newlyPassed.length,
    newly_failed: newlyFailed.length,
    newly_passed_items: newlyPassed.join(","),
    newly_failed_items: newlyFailed.join(","),
    summary: c.summary,
  };
}

/** The diff of two runs of one suite: one dimension row per (model pair, dimension), one item row per (model pair, item). */
export function diffRuns(a: DiffRun, b: DiffRun, options: { pairs?: ModelPair[]; latencyTargets?: LatencyTargets } = {}): RunDiff {
  if (a.suite_id !== b.suite_id) {
    throw new RunDiffError(
      422,
      `run ${a.id} is over suite "${a.suite_id}" and run ${b.id} over "${b.suite_id}": a diff pairs the items of one suite`,
      "path.other",
    );
  }
  const pairs = options.pairs ?? pairModels(a, b);
  const dimensions: DimensionDiffRow[] = [];
  const items: ItemDiffRow[] = [];
  for (const pair of pairs) {
    const [la, lb] = labels(a, b, pair);
    const mine = (run: DiffRun, model: string, label: string) =>
      run.items.filter((r) => r.model === model).map((r) => ({ ...r, model: label }));
    const resultsA = mine(a, pair.model_a, la);
    const resultsB = mine(b, pair.model_b, lb);
    const report = buildReport({
      run: {
        id: `${a.id}..${b.id}`,
        suite_id: a.suite_id,
        status: a.status === "completed" && b.status === "completed" ? "completed" : "partial",
        models: [la, lb],
        repeats: Math.max(a.repeats, b.repeats),
        created_at: a.created_at,
        completed_at: b.completed_at,
      },
      models: [],
      items: [...resultsA, ...resultsB],
      prompts: {},
      ...(options.latencyTargets ? { latencyTargets: options.latencyTargets } : {}),
    });
    const targets = report.latency_targets;
    const byItem = (results: RunItemResult[]) => new Map(aggregateItems(results, targets).map((g) => [g.item_id, g]));
    const aggA = byItem(resultsA);
    const aggB = byItem(resultsB);
    const ids = [...new Set([...aggA.keys(), ...aggB.keys()])];
    const rows = ids.map((id) => itemRow(a, b, pair, id, aggA.get(id), aggB.get(id), targets));
    rows.sort((x, y) => DIMENSIONS.indexOf(x.dimension) - DIMENSIONS.indexOf(y.dimension) || x.item_id.localeCompare(y.item_id));
    items.push(...rows);
    for (const d of report.dimensions)
      dimensions.push(
        dimensionRow(
          a,
          b,
          pair,
          d,
          rows.filter((r) => r.dimension === d.dimension),
        ),
      );
  }
  return { pairs, dimensions, items };
}
