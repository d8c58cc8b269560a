// The report's data: JSON-serialisable, computed once by buildReport, rendered as md / html / json / csv.

import type { LatencyTargets } from "../scoring/latencyScore.js";
import type { CapacityAttachment } from "../store/types.js";
import type { CapacityRow } from "./capacitySection.js";
import type { CheckResult } from "../scoring/types.js";
import type { Dimension } from "../suites/types.js";
import type { ModelSnapshot, RunItemResult } from "../runs/types.js";
import type { SandboxSummary } from "./sandboxSummary.js";

export interface ReportInput {
  run: {
    id: string;
    suite_id: string;
    status: string;
    models: string[];
    repeats: number;
    created_at: string;
    completed_at: string | null;
  };
  models: ModelSnapshot[];
  /** Every stored reply of the run. */
  items: RunItemResult[];
  /** Defaults: 200 ms TTFT, 30 tokens/s. */
  latencyTargets?: LatencyTargets;
  /** Item prompts (by item id), shown in examples and the item table when given. */
  prompts?: Record<string, string>;
  /** Capacity results attached to the run (already checked against its model snapshots). */
  capacity?: CapacityAttachment[];
}

export interface ScoreInterval {
  low: number;
  high: number;
}

export interface DimensionModelScore {
  model: string;
  /** Items with at least one reply from this model. */
  items: number;
  replies: number;
  /** Replies that ended in an error (counted as failures). */
  errors: number;
  /** Sum over items of the item's pass rate (averaged over repeats). */
  passed: number;
  pass_rate: number;
  /** pass_rate x 10. */
  score: number;
  /** 95% Wilson interval of the score, on the 0-10 scale. */
  interval: ScoreInterval;
  /** Mean share of checks passed (instruction-level), 0-1. */
  instruction_score: number;
}

export type Verdict = "a_better" | "b_better" | "no_significant_difference" | "sample_too_small";

export interface Comparison {
  model_a: string;
  model_b: string;
  /** Items both models answered. */
  paired_items: number;
  /** Items where A's pass rate is higher than B's (b), and the reverse (c). */
  a_better_items: number;
  b_better_items: number;
  /** Exact two-sided McNemar (sign test on paired items) p-value. */
  p_value: number;
  verdict: Verdict;
  /**
   * Paired items a difference of the observed size needs to reach p < 0.05 with 80% power (Connor's normal
   * approximation to McNemar's test, from the observed discordance rates); null when none was observed.
   */
  items_needed: number | null;
  /** One sentence for people. */
  summary: string;
}

export interface DimensionReport {
  dimension: Dimension;
  label: string;
  items: number;
  per_model: DimensionModelScore[];
  comparisons: Comparison[];
}

export interface LatencyStats {
  model: string;
  /** Completed replies the statistics are taken over. */
  replies: number;
  /** "latency items" or "all items" (when the run has no latency items). */
  source: "latency items" | "all items";
  ttft_ms_p50: number | null;
  ttft_ms_p95: number | null;
  tokens_per_second_p50: number | null;
  e2e_ms_p50: number | null;
  e2e_ms_p95: number | null;
}

/** Performance figures an OpenAI-compatible server does not report: null in the row, "not reported" in tables. */
export type UnreportedFigure = "parameter_count" | "file_size_bytes" | "load_ms" | "peak_ram_bytes" | "vram_bytes" | "gpu" | "quantization";

export interface PerformanceRow {
  model: string;
  /** grpc: timings measured inside the model service; openai: TTFT and tokens/s measured by the evaluator (client-side). */
  kind: "grpc" | "openai";
  timings_measured: "server" | "client";
  /** What the target did not report (empty for gRPC targets). */
  not_reported: UnreportedFigure[];
  model_name: string;
  architecture: string;
  quantization: string;
  parameter_count: number | null;
  file_size_bytes: number | null;
  load_ms: number | null;
  ttft_ms_p50: number | null;
  ttft_ms_p95: number | null;
  tokens_per_second_p50: number | null;
  e2e_ms_p50: number | null;
  peak_ram_bytes: number | null;
  vram_bytes: number | null;
  gpu: string;
  sha256: string;
}

export interface ReportExample {
  dimension: Dimension;
  kind: "pass" | "fail";
  item_id: string;
  model: string;
  repeat: number;
  prompt: string | null;
  reply: string;
  checks: CheckResult[];
}

export interface Recommendation {
  scenario: string;
  recommendation: string;
  basis: string;
}

export interface ItemRow {
  item_id: string;
  dimension: Dimension;
  model: string;
  replies: number;
  errors: number;
  pass_rate: number;
  instruction_score: number;
  ttft_ms: number | null;
  tokens_per_second: number | null;
  total_ms: number | null;
  prompt: string | null;
  reply: string;
  checks: string;
}

export interface PublishedScore {
  model: string;
  /** Percent, as published. */
  value: number;
  source: string;
  setting: string;
}

export interface SuiteModelScore {
  model: string;
  /** The GGUF's name (GetModelInfo), which the published scores are matched on. */
  model_name: string;
  items: number;
  /** Replies per item (the run's repeats; the fewest when some are missing). */
  samples_per_item: number;
  /** Mean over items of the item's pass rate (pass@1 with n samples is the mean), 0-1. */
  pass_at_1: number;
  /** 95% Wilson interval of pass@1 over the items, 0-1. */
  interval: ScoreInterval;
  /** pass@k for k <= samples_per_item (k > 1), by the HumanEval paper's unbiased estimator, 0-1. */
  pass_at_k: { k: number; value: number; interval: ScoreInterval }[];
  /** Published scores of this model on this suite (matched on model_name). */
  references: PublishedScore[];
}

export interface SuiteReport {
  suite: string;
  /** Items of this suite in the run. */
  items: number;
  /** Items the whole suite has (built-in suites), so a subset is visible. */
  suite_items: number | null;
  per_model: SuiteModelScore[];
  /** What evalstack's measurement differs in from the published scores' harness, when any is shown. */
  harness_note: string | null;
}

export interface Report {
  schema_version: 1;
  generated_at: string;
  run: ReportInput["run"];
  latency_targets: LatencyTargets;
  models: { name: string; snapshot: ModelSnapshot | null; replies: number; errors: number }[];
  dimensions: DimensionReport[];
  /** Per suite of the run: pass@1 (and pass@k) with intervals, beside published scores. */
  suites: SuiteReport[];
  latency: LatencyStats[];
  performance: PerformanceRow[];
  examples: ReportExample[];
  recommendations: Recommendation[];
  /** One row per model with a capacity result attached; empty when none is. */
  capacity: CapacityRow[];
  /** The sandbox isolation the run's code items ran under. */
  sandbox: SandboxSummary;
  items: ItemRow[];
  notes: string[];
}
