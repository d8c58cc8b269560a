// Turns the per-request records of a generation load test into the summary: metrics over the whole test,
// one row per stage (concurrency level or arrival rate), thresholds, and a Markdown rendering.
//
// Definitions (client side, from the load generator's clock):
// - llm_ttft: from sending the request to receiving the first chunk that carries text;
// - llm_e2e: from sending the request to the end of the stream;
// - llm_tpot: (e2e - ttft) / (output tokens - 1), for requests with at least 2 output tokens;
// - llm_itl: every gap between two consecutive chunks that carry text;
// - llm_output_tokens: completion tokens per request, from the final chunk's usage;
// - llm_errors: the share of requests that failed (a gRPC status other than OK, or finish_reason ERROR),
//   with counts by status;
// - goodput: the share of requests that succeeded AND met both SLOs (TTFT <= SLO_TTFT_MS, TPOT <= SLO_TPOT_MS).
// Latency trends use successful requests only; iterations aborted at the end of a stage are left out.
import type { StageRun } from "./executors.js";
import type { MachineInfo } from "./machine.js";
import { machineLine } from "./machine.js";
import { markdownTable, ms, num, pct } from "./markdown.js";
import { round, trendStats, type TrendStats } from "./stats.js";
import { evaluateThresholds, type MetricValue, type ThresholdResult, type Thresholds } from "./thresholds.js";

export interface ServerTimings {
  queueMs: number;
  ttftMs: number;
  decodeMs: number;
  totalMs: number;
  promptMs: number;
  tokensPerSecond: number;
}

export interface RequestRecord {
  stage: string;
  /** Tags for threshold filters, e.g. {stage: "c4", concurrency: "4"}. */
  tags: Record<string, string>;
  vu: number;
  promptId: string;
  /** Milliseconds since the test started. */
  startMs: number;
  ok: boolean;
  /** "OK", a gRPC status name (e.g. "RESOURCE_EXHAUSTED") or "FINISH_ERROR". */
  status: string;
  finishReason: string;
  ttftMs: number | null;
  e2eMs: number;
  tpotMs: number | null;
  itlMs: number[];
  outputTokens: number;
  promptTokens: number;
  chunks: number;
  server: ServerTimings | null;
  error?: string;
}

export interface StageSpec {
  name: string;
  executor: "constant-vus" | "constant-arrival-rate";
  concurrency?: number;
  rate?: number;
  maxVUs?: number;
  durationMs: number;
  tags: Record<string, string>;
  /** Shown in the table when set: a soak's time window. */
  label?: string;
}

export interface StageRow {
  stage: string;
  label: string | null;
  executor: StageSpec["executor"];
  concurrency: number | null;
  rate: number | null;
  durationS: number;
  requests: number;
  failed: number;
  interrupted: number;
  dropped: number;
  requestsPerS: number;
  outputTokensPerS: number;
  ttftP50: number | null;
  ttftP95: number | null;
  ttftP99: number | null;
  tpotP50: number | null;
  tpotP95: number | null;
  itlP95: number | null;
  e2eP50: number | null;
  e2eP95: number | null;
  serverQueueP95: number | null;
  errorRate: number;
  goodput: number;
}

export interface Slo {
  ttftMs: number;
  tpotMs: number;
}

export interface LlmSummary {
  schema: "evalstack.loadtest.llm/v1";
  script: string;
  target: string;
  scenario: string;
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  model: Record<string, unknown> | null;
  options: Record<string, unknown>;
  slo: Slo;
  metrics: {
    llm_ttft: TrendStats;
    llm_tpot: TrendStats;
    llm_itl: TrendStats;
    llm_e2e: TrendStats;
    llm_output_tokens: TrendStats & { total: number };
    llm_server_queue: TrendStats;
    llm_requests: { count: number; rate: number };
    llm_errors: { count: number; rate: number; byStatus: Record<string, number> };
    llm_goodput: { count: number; rate: number };
    dropped_iterations: { count: number };
    interrupted_iterations: { count: number };
  };
  stages: StageRow[];
  thresholds: ThresholdResult[];
  thresholdsOk: boolean;
  requests: RequestRecord[];
}

export function meetsSlo(record: RequestRecord, slo: Slo): boolean {
  return record.ok && record.ttftMs !== null && record.ttftMs <= slo.ttftMs && (record.tpotMs === null || record.tpotMs <= slo.tpotMs);
}

function roundStats<T extends TrendStats>(stats: T): T {
  const out = { ...stats };
  for (const key of Object.keys(out) as (keyof T)[]) {
    const value = out[key];
    if (typeof value === "number" && key !== "count") (out[key] as number) = round(value);
  }
  return out;
}

const nullable = (value: number) => (Number.isFinite(value) ? round(value) : null);

function matches(record: RequestRecord, tags: Record<string, string>): boolean {
  return Object.entries(tags).every(([key, value]) => record.tags[key] === value);
}

/** The metric values a threshold may name, over the records that carry `tags`. */
export function metricValue(
  name: string,
  records: readonly RequestRecord[],
  tags: Record<string, string>,
  slo: Slo,
  elapsedS: number,
  dropped: number,
): MetricValue | undefined {
  const selected = records.filter((r) => matches(r, tags));
  const ok = selected.filter((r) => r.ok);
  const trend = (pick: (r: RequestRecord) => number | null): MetricValue => ({
    kind: "trend",
    values: ok.map(pick).filter((v): v is number => v !== null),
  });
  switch (name) {
    case "llm_ttft":
      return trend((r) => r.ttftMs);
    case "llm_tpot":
      return trend((r) => r.tpotMs);
    case "llm_e2e":
      return trend((r) => r.e2eMs);
    case "llm_output_tokens":
      return trend((r) => r.outputTokens);
    case "llm_itl":
      return { kind: "trend", values: ok.flatMap((r) => r.itlMs) };
    case "llm_server_queue":
      return trend((r) => r.server?.queueMs ?? null);
    case "llm_errors":
      return { kind: "rate", passes: selected.filter((r) => !r.ok).length, total: selected.length };
    case "llm_goodput":
      return { kind: "rate", passes: selected.filter((r) => meetsSlo(r, slo)).length, total: selected.length };
    case "llm_requests":
      return { kind: "counter", count: selected.length, perSecond: elapsedS > 0 ? selected.length / elapsedS : 0 };
    case "dropped_iterations":
      return { kind: "counter", count: dropped, perSecond: elapsedS > 0 ? dropped / elapsedS : 0 };
  }
  return undefined;
}

export function stageRow(spec: StageSpec, run: StageRun, records: readonly RequestRecord[], slo: Slo): StageRow {
  const mine = records.filter((r) => r.stage === spec.name);
  const ok = mine.filter((r) => r.ok);
  const durationS = (run.endedAt - run.startedAt) / 1000;
  const stats = (values: (number | null)[]) => trendStats(values.filter((v): v is number => v !== null));
  const ttft = stats(ok.map((r) => r.ttftMs));
  const tpot = stats(ok.map((r) => r.tpotMs));
  const e2e = stats(ok.map((r) => r.e2eMs));
  const itl = trendStats(ok.flatMap((r) => r.itlMs));
  const queue = stats(ok.map((r) => r.server?.queueMs ?? null));
  const tokens = ok.reduce((sum, r) => sum + r.outputTokens, 0);
  return {
    stage: spec.name,
    label: spec.label ?? null,
    executor: spec.executor,
    concurrency: spec.concurrency ?? null,
    rate: spec.rate ?? null,
    durationS: round(durationS),
    requests: mine.length,
    failed: mine.length - ok.length,
    interrupted: run.interrupted,
    dropped: run.dropped,
    requestsPerS: round(durationS > 0 ? mine.length / durationS : 0, 3),
    outputTokensPerS: round(durationS > 0 ? tokens / durationS : 0),
    ttftP50: nullable(ttft.med),
    ttftP95: nullable(ttft.p95),
    ttftP99: nullable(ttft.p99),
    tpotP50: nullable(tpot.med),
    tpotP95: nullable(tpot.p95),
    itlP95: nullable(itl.p95),
    e2eP50: nullable(e2e.med),
    e2eP95: nullable(e2e.p95),
    serverQueueP95: nullable(queue.p95),
    errorRate: round(mine.length > 0 ? (mine.length - ok.length) / mine.length : 0, 4),
    goodput: round(mine.length > 0 ? mine.filter((r) => meetsSlo(r, slo)).length / mine.length : 0, 4),
  };
}

export interface SummaryInput {
  script: string;
  target: string;
  scenario: string;
  startedAt: Date;
  durationMs: number;
  machine: MachineInfo;
  model: Record<string, unknown> | null;
  options: Record<string, unknown>;
  slo: Slo;
  stages: { spec: StageSpec; run: StageRun }[];
  records: RequestRecord[];
  thresholds: Thresholds;
}

export function buildLlmSummary(input: SummaryInput): LlmSummary {
  const { records, slo } = input;
  const elapsedS = input.durationMs / 1000;
  const dropped = input.stages.reduce((sum, s) => sum + s.run.dropped, 0);
  const interrupted = input.stages.reduce((sum, s) => sum + s.run.interrupted, 0);
  const value = (name: string) => metricValue(name, records, {}, slo, elapsedS, dropped);
  const trendOf = (name: string) => {
    const v = value(name);
    return roundStats(trendStats(v?.kind === "trend" ? v.values : []));
  };
  const byStatus: Record<string, number> = {};
  for (const r of records) if (!r.ok) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const failed = records.filter((r) => !r.ok).length;
  const good = records.filter((r) => meetsSlo(r, slo)).length;
  const thresholds = evaluateThresholds(input.thresholds, (metric, tags) => metricValue(metric, records, tags, slo, elapsedS, dropped));
  return {
    schema: "evalstack.loadtest.llm/v1",
    script: input.script,
    target: input.target,
    scenario: input.scenario,
    startedAt: input.startedAt.toISOString(),
    durationMs: round(input.durationMs),
    machine: input.machine,
    model: input.model,
    options: input.options,
    slo,
    metrics: {
      llm_ttft: trendOf("llm_ttft"),
      llm_tpot: trendOf("llm_tpot"),
      llm_itl: trendOf("llm_itl"),
      llm_e2e: trendOf("llm_e2e"),
      llm_output_tokens: {
        ...trendOf("llm_output_tokens"),
        total: records.filter((r) => r.ok).reduce((sum, r) => sum + r.outputTokens, 0),
      },
      llm_server_queue: trendOf("llm_server_queue"),
      llm_requests: { count: records.length, rate: round(elapsedS > 0 ? records.length / elapsedS : 0, 3) },
      llm_errors: { count: failed, rate: records.length > 0 ? round(failed / records.length, 4) : 0, byStatus },
      llm_goodput: { count: good, rate: records.length > 0 ? round(good / records.length, 4) : 0 },
      dropped_iterations: { count: dropped },
      interrupted_iterations: { count: interrupted },
    },
    stages: input.stages.map(({ spec, run }) => stageRow(spec, run, records, slo)),
    thresholds,
    thresholdsOk: thresholds.every((t) => t.ok),
    requests: records,
  };
}

/** The per-stage table (the part of the Markdown report that sizing decisions are made from). */
export function stageTable(summary: LlmSummary): string {
  const openModel = summary.stages.some((s) => s.executor === "constant-arrival-rate");
  const header = [
    openModel ? "Arrival rate (req/s)" : "Concurrency",
    "Requests",
    "Req/s",
    "Output tok/s",
    "TTFT p50 (ms)",
    "TTFT p95 (ms)",
    "TTFT p99 (ms)",
    "TPOT p50 (ms)",
    "TPOT p95 (ms)",
    "E2E p95 (ms)",
    "Errors",
    "Goodput",
  ];
  if (openModel) header.push("Dropped");
  const labelled = summary.stages.some((s) => s.label !== null);
  if (labelled) header.unshift("Window");
  const rows = summary.stages.map((s) => {
    const row: (string | number)[] = [
      openModel ? num(s.rate, 2) : String(s.concurrency ?? "—"),
      s.requests,
      num(s.requestsPerS, 2),
      num(s.outputTokensPerS, 1),
      ms(s.ttftP50),
      ms(s.ttftP95),
      ms(s.ttftP99),
      ms(s.tpotP50),
      ms(s.tpotP95),
      ms(s.e2eP95),
      pct(s.errorRate),
      pct(s.goodput),
    ];
    if (openModel) row.push(s.dropped);
    if (labelled) row.unshift(s.label ?? "");
    return row;
  });
  return markdownTable(header, rows);
}

export function renderLlmMarkdown(summary: LlmSummary): string {
  const model = summary.model;
  const modelLine = model
    ? `${String(model.name ?? "?")} (${String(model.quantization ?? "?")}, ${String(model.architecture ?? "?")}), service \`${String(model.service ?? "?")}\`, ${String(model.slots ?? "?")} slots, ${String(model.threads ?? "?")} threads, GPU: ${String(model.gpu ?? "?")}`
    : "unknown (GetModelInfo failed)";
  const lines = [
    `## ${summary.script} — ${summary.scenario} against ${summary.target}`,
    "",
    `- Model: ${modelLine}`,
    `- Machine: ${machineLine(summary.machine)}`,
    `- Started ${summary.startedAt}, ${(summary.durationMs / 1000).toFixed(1)} s; options: ${Object.entries(summary.options)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(", ")}`,
    `- SLO for goodput: TTFT <= ${summary.slo.ttftMs} ms and TPOT <= ${summary.slo.tpotMs} ms`,
    "",
    stageTable(summary),
    "",
  ];
  const errors = Object.entries(summary.metrics.llm_errors.byStatus);
  if (errors.length > 0) lines.push(`Errors by status: ${errors.map(([s, n]) => `${s}: ${n}`).join(", ")}`, "");
  if (summary.metrics.interrupted_iterations.count > 0) {
    lines.push(`Interrupted at stage ends (left out): ${summary.metrics.interrupted_iterations.count}`, "");
  }
  lines.push("Thresholds:", "");
  for (const t of summary.thresholds) {
    lines.push(`- ${t.ok ? "✓" : "✗"} \`${t.metric}\` ${t.expression} (actual: ${t.actual === null ? "no samples" : round(t.actual, 4)})`);
  }
  if (summary.thresholds.length === 0) lines.push("- (none)");
  lines.push("");
  return lines.join("\n");
}
