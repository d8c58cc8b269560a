// Row ↔ record conversion shared by both backends. SQLite hands JSON back as text and timestamps as ISO text;
// PostgreSQL hands jsonb back parsed and timestamptz as Date: `json` and `iso` accept either.
import type { ItemScore } from "../scoring/types.js";
import type { ModelSnapshot, RunItemResult } from "../runs/types.js";
import type { SuiteItem } from "../suites/types.js";
import type { CapacityAttachment, Dispatch, RunCounts, RunHeader, RunRecord, RunStatus, Sampling, StoredItem } from "./types.js";
import { emptyCounts } from "./types.js";

export type Row = Record<string, unknown>;

export function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number") return new Date(value).toISOString();
  return String(value);
}

export function isoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : iso(value);
}

export function runHeaderFromRow(row: Row): RunHeader {
  return {
    id: String(row.id),
    suite_id: String(row.suite_id),
    status: row.status as RunStatus,
    models: json<string[]>(row.models),
    repeats: Number(row.repeats),
    sampling: json<Sampling>(row.sampling),
    max_tokens: row.max_tokens === null || row.max_tokens === undefined ? null : Number(row.max_tokens),
    concurrency: json<Record<string, number>>(row.concurrency),
    total_items: Number(row.total_items),
    model_snapshots: json<ModelSnapshot[]>(row.model_snapshots),
    error: (row.error as string | null) ?? null,
    created_at: iso(row.created_at),
    started_at: isoOrNull(row.started_at),
    completed_at: isoOrNull(row.completed_at),
    owner: (row.owner as string | null) ?? null,
    lease_expires_at: isoOrNull(row.lease_expires_at),
  };
}

export function runFromRow(row: Row): RunRecord {
  return { ...runHeaderFromRow(row), items: json<SuiteItem[]>(row.items) };
}

/** The columns of run_items, in insertion order, from a result. */
export function itemColumns(item: RunItemResult): unknown[] {
  return [
    item.run_id,
    item.item_id,
    item.model,
    item.repeat,
    item.dimension,
    item.status,
    item.reply,
    item.finish_reason,
    item.prompt_tokens,
    item.completion_tokens,
    item.timings.queue_ms,
    item.timings.ttft_ms,
    item.timings.decode_ms,
    item.timings.total_ms,
    item.timings.tokens_per_second,
    item.score === null ? null : item.score.passed,
    item.score === null ? null : item.score.score,
    item.score === null ? null : JSON.stringify(item.score.checks),
    item.error,
    item.attempts,
    item.completed_at,
  ];
}

export const ITEM_COLUMN_NAMES = [
  "run_id",
  "item_id",
  "model",
  '"repeat"',
  "dimension",
  "status",
  "reply",
  "finish_reason",
  "prompt_tokens",
  "completion_tokens",
  "queue_ms",
  "ttft_ms",
  "decode_ms",
  "total_ms",
  "tokens_per_second",
  "passed",
  "score",
  "checks",
  "error",
  "attempts",
  "completed_at",
] as const;

export function itemFromRow(row: Row): StoredItem {
  const passed = row.passed === null || row.passed === undefined ? null : Boolean(row.passed);
  const score: ItemScore | null =
    passed === null ? null : { passed, score: Number(row.score), checks: json<ItemScore["checks"]>(row.checks) ?? [] };
  return {
    seq: Number(row.run_seq),
    run_id: String(row.run_id),
    item_id: String(row.item_id),
    model: String(row.model),
    repeat: Number(row.repeat),
    dimension: row.dimension as RunItemResult["dimension"],
    status: row.status as RunItemResult["status"],
    reply: String(row.reply),
    finish_reason: String(row.finish_reason),
    prompt_tokens: Number(row.prompt_tokens),
    completion_tokens: Number(row.completion_tokens),
    timings: {
      queue_ms: Number(row.queue_ms),
      ttft_ms: Number(row.ttft_ms),
      decode_ms: Number(row.decode_ms),
      total_ms: Number(row.total_ms),
      tokens_per_second: Number(row.tokens_per_second),
    },
    score,
    error: (row.error as string | null) ?? null,
    attempts: Number(row.attempts),
    completed_at: iso(row.completed_at),
  };
}

export function dispatchFromRow(row: Row): Dispatch {
  return {
    run_id: String(row.run_id),
    item_id: String(row.item_id),
    model: String(row.model),
    repeat: Number(row.repeat),
    attempt: Number(row.attempt),
    instance: String(row.instance),
    sent_at: iso(row.sent_at),
  };
}

export function capacityFromRow(row: Row): CapacityAttachment {
  return {
    run_id: String(row.run_id),
    model: String(row.model),
    result: json<unknown>(row.result),
    sizing: row.sizing === null || row.sizing === undefined ? null : json<CapacityAttachment["sizing"]>(row.sizing),
    attached_at: iso(row.attached_at),
  };
}

/** Folds counter rows (run_id, model, done, completed, errors, passed) into counts per run. */
export function foldCounts(rows: Row[], runModels: Map<string, string[]>): Map<string, RunCounts> {
  const out = new Map<string, RunCounts>();
  for (const [runId, models] of runModels) out.set(runId, emptyCounts(models));
  for (const row of rows) {
    const runId = String(row.run_id);
    let counts = out.get(runId);
    if (!counts) {
      counts = emptyCounts();
      out.set(runId, counts);
    }
    const perModel = (counts.by_model[String(row.model)] ??= { done: 0, completed: 0, errors: 0, passed: 0 });
    for (const key of ["done", "completed", "errors", "passed"] as const) {
      const n = Number(row[key]);
      counts[key] += n;
      perModel[key] += n;
    }
  }
  return out;
}

/** The counter increments one stored item makes: [done, completed, errors, passed]. */
export function countDeltas(item: RunItemResult): [number, number, number, number] {
  const error = item.status === "error";
  return [1, error ? 0 : 1, error ? 1 : 0, item.score?.passed === true ? 1 : 0];
}
