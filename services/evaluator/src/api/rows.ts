// Stored records → the API's flat rows (one object per table row, no nesting except `checks`).
import type { Report } from "../reports/index.js";
import type { RunCounts, RunHeader, StoredItem } from "../store/types.js";
import type { TargetDescription } from "../models/modelClient.js";
import type { TargetKind } from "../models/targetSpec.js";
import { modelInfoJson } from "../models/modelRegistry.js";

export const ITEM_COLUMNS = [
  "seq",
  "run_id",
  "item_id",
  "model",
  "repeat",
  "dimension",
  "status",
  "passed",
  "score",
  "checks_passed",
  "checks_total",
  "reply",
  "finish_reason",
  "prompt_tokens",
  "completion_tokens",
  "queue_ms",
  "ttft_ms",
  "decode_ms",
  "total_ms",
  "tokens_per_second",
  "attempts",
  "error",
  "completed_at",
  "checks",
] as const;

export function itemRow(item: StoredItem) {
  return {
    seq: item.seq,
    run_id: item.run_id,
    item_id: item.item_id,
    model: item.model,
    repeat: item.repeat,
    dimension: item.dimension,
    status: item.status,
    passed: item.score ? item.score.passed : null,
    score: item.score ? item.score.score : null,
    checks_passed: item.score ? item.score.checks.filter((c) => c.passed).length : null,
    checks_total: item.score ? item.score.checks.length : null,
    reply: item.reply,
    finish_reason: item.finish_reason,
    prompt_tokens: item.prompt_tokens,
    completion_tokens: item.completion_tokens,
    queue_ms: item.timings.queue_ms,
    ttft_ms: item.timings.ttft_ms,
    decode_ms: item.timings.decode_ms,
    total_ms: item.timings.total_ms,
    tokens_per_second: item.timings.tokens_per_second,
    attempts: item.attempts,
    error: item.error,
    completed_at: item.completed_at,
    checks: item.score ? item.score.checks : [],
  };
}

export const RUN_ROW_COLUMNS = [
  "id",
  "suite_id",
  "status",
  "models",
  "repeats",
  "max_tokens",
  "total_items",
  "done",
  "completed",
  "errors",
  "passed",
  "created_at",
  "started_at",
  "completed_at",
  "error",
] as const;

export function runRow(run: RunHeader, counts: RunCounts) {
  return {
    id: run.id,
    suite_id: run.suite_id,
    status: run.status,
    models: run.models.join(","),
    repeats: run.repeats,
    max_tokens: run.max_tokens,
    total_items: run.total_items,
    done: counts.done,
    completed: counts.completed,
    errors: counts.errors,
    passed: counts.passed,
    created_at: run.created_at,
    started_at: run.started_at,
    completed_at: run.completed_at,
    error: run.error,
  };
}

export function progress(run: RunHeader, counts: RunCounts) {
  const perModelTotal = run.total_items / Math.max(1, run.models.length);
  const by_model: Record<string, { total: number; done: number; completed: number; errors: number; passed: number }> = {};
  for (const model of run.models) {
    const m = counts.by_model[model] ?? { done: 0, completed: 0, errors: 0, passed: 0 };
    by_model[model] = { total: perModelTotal, ...m };
  }
  return {
    total: run.total_items,
    done: counts.done,
    completed: counts.completed,
    errors: counts.errors,
    passed: counts.passed,
    fraction: run.total_items === 0 ? 1 : counts.done / run.total_items,
    by_model,
  };
}

export const SUMMARY_COLUMNS = [
  "model",
  "dimension",
  "items",
  "replies",
  "errors",
  "pass_rate",
  "score",
  "ci_low",
  "ci_high",
  "instruction_score",
] as const;

/** The report's per-model per-dimension scores as flat rows. */
export function summaryRows(report: Pick<Report, "dimensions">) {
  return report.dimensions.flatMap((d) =>
    d.per_model.map((m) => ({
      model: m.model,
      dimension: d.dimension,
      items: m.items,
      replies: m.replies,
      errors: m.errors,
      pass_rate: m.pass_rate,
      score: m.score,
      ci_low: m.interval.low,
      ci_high: m.interval.high,
      instruction_score: m.instruction_score,
    })),
  );
}

export function comparisonRows(report: Pick<Report, "dimensions">) {
  return report.dimensions.flatMap((d) => d.comparisons.map((c) => ({ dimension: d.dimension, ...c })));
}

export const MODEL_COLUMNS = [
  "name",
  "kind",
  "target",
  "health",
  "health_error",
  "pending_requests",
  "concurrency",
  "in_flight",
  "service",
  "model_name",
  "architecture",
  "quantization",
  "parameter_count",
  "file_size_bytes",
  "sha256",
  "source",
  "context_size",
  "slots",
  "threads",
  "load_ms",
  "ram_bytes",
  "peak_ram_bytes",
  "vram_bytes",
  "gpu",
  "gpu_layers",
  "queue_limit",
  "info_error",
] as const;

export function modelRow(
  base: {
    name: string;
    kind: TargetKind;
    target: string;
    health: string;
    health_error: string | null;
    pending_requests: number;
    concurrency: number;
    in_flight: number;
  },
  description: TargetDescription | undefined,
  infoError: string | null,
) {
  const info = description?.info;
  const j = info ? modelInfoJson(info) : undefined;
  const s = (k: string) => (j ? String(j[k]) : null);
  const n = (k: string) => (j ? Number(j[k]) : null);
  return {
    ...base,
    service: s("service"),
    model_name: s("name") ?? description?.modelName ?? null,
    architecture: s("architecture"),
    quantization: s("quantization"),
    parameter_count: n("parameter_count"),
    file_size_bytes: n("file_size_bytes"),
    sha256: s("sha256"),
    source: s("source"),
    context_size: n("context_size"),
    slots: n("slots"),
    threads: n("threads"),
    load_ms: n("load_ms"),
    ram_bytes: n("ram_bytes"),
    peak_ram_bytes: n("peak_ram_bytes"),
    vram_bytes: n("vram_bytes"),
    gpu: s("gpu"),
    gpu_layers: n("gpu_layers"),
    queue_limit: n("queue_limit"),
    info_error: infoError,
  };
}
