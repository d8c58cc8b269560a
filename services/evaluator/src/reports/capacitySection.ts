// Capacity next to quality: the capacity results attached to a run (POST /v1/runs/{id}/capacity), checked
// against the run's own model snapshots, sized when a target was given, and turned into one recommendation
// that weighs what serving costs against what the scores say.
import { sizeModel, type CapacityResult, type Sizing } from "@evalstack/capacity";
import type { ModelSnapshot } from "../runs/types.js";
import type { CapacityAttachment } from "../store/types.js";
import type { DimensionReport, Recommendation } from "./reportTypes.js";

export interface CapacityRow {
  model: string;
  sustainable_rps: number;
  first_failing_rps: number | null;
  /** Why no rate met the SLOs (sustainable_rps 0). */
  no_rate_reason: string | null;
  slo: { ttft_p95_ms: number; tpot_p95_ms: number; error_rate: number };
  /** At the sustainable rate. */
  ttft_p95_ms: number | null;
  tpot_p95_ms: number | null;
  throughput_rps: number | null;
  output_tokens_per_second: number | null;
  goodput: number | null;
  measured_on: { slots: number; threads: number; gpu: string; gpu_layers: number; workload: string; steps: number; at: string };
  sizing: (Sizing & { target_rps: number; gpu_hour_usd: number; headroom: number }) | null;
}

/**
 * Why `result` was not measured on the serving configuration `snapshot` describes, or null when it was:
 * the same weights (sha256) and slots, and the same threads / GPU where the snapshot records them.
 */
export function snapshotMismatch(snapshot: ModelSnapshot, result: CapacityResult): { field: string; message: string } | null {
  const key = result.model;
  if (!key)
    return { field: "capacity.model", message: "the capacity result names no model snapshot (GetModelInfo failed during the search)" };
  const checks: [string, unknown, unknown][] = [
    ["sha256", key.sha256, snapshot.sha256],
    ["slots", key.slots, snapshot.slots],
    ["gpu", key.gpu, snapshot.gpu],
    ["threads", key.threads, snapshot.threads],
    ["gpuLayers", key.gpuLayers, snapshot.gpu_layers],
  ];
  for (const [field, measured, run] of checks) {
    if (run === undefined || run === null) continue; // older snapshots do not record threads / GPU layers
    if (measured !== run) {
      return {
        field: `capacity.model.${field}`,
        message: `measured with ${field} ${String(measured)}, but this run's ${snapshot.name} has ${String(run)}: a capacity result only describes the serving configuration it was measured on`,
      };
    }
  }
  return null;
}

export function capacityRows(attachments: readonly CapacityAttachment[]): CapacityRow[] {
  return attachments.map(({ model, result: raw, sizing, attached_at }) => {
    const result = raw as CapacityResult;
    const at = result.atSustainable;
    const key = result.model;
    return {
      model,
      sustainable_rps: result.sustainableRps,
      first_failing_rps: result.firstFailingRps,
      no_rate_reason: result.noRateReason,
      slo: { ttft_p95_ms: result.slo.ttftP95Ms, tpot_p95_ms: result.slo.tpotP95Ms, error_rate: result.slo.errorRate },
      ttft_p95_ms: at?.ttftP95Ms ?? null,
      tpot_p95_ms: at?.tpotP95Ms ?? null,
      throughput_rps: at?.throughputRps ?? null,
      output_tokens_per_second: at?.outputTokensPerSecond ?? null,
      goodput: at?.goodput ?? null,
      measured_on: {
        slots: key?.slots ?? 0,
        threads: key?.threads ?? 0,
        gpu: key?.gpu ?? "",
        gpu_layers: key?.gpuLayers ?? 0,
        workload: `${result.workload.prompts}, max ${result.workload.maxTokens} tokens`,
        steps: result.curve.length,
        at: result.startedAt ?? attached_at,
      },
      sizing: sizing
        ? {
            ...sizeModel(result, sizing.gpus_per_replica, {
              targetRps: sizing.target_rps,
              headroom: sizing.headroom,
              gpuHourUsd: sizing.gpu_hour_usd,
            }),
            target_rps: sizing.target_rps,
            gpu_hour_usd: sizing.gpu_hour_usd,
            headroom: sizing.headroom,
          }
        : null,
    };
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "phi3: 2 GPUs for 5 req/s at TTFT p95 ≤ 1000 ms; qwen: 3 GPUs; qwen scores higher on math (p = 0.01)". */
export function capacityRecommendation(rows: readonly CapacityRow[], dimensions: readonly DimensionReport[]): Recommendation | null {
  if (rows.length === 0) return null;
  const sized = rows.filter((r) => r.sizing && r.sizing.gpus !== null);
  const quality = dimensions.flatMap((d) =>
    d.comparisons
      .filter((c) => c.verdict === "a_better" || c.verdict === "b_better")
      .map(
        (c) =>
          `${c.verdict === "a_better" ? c.model_a : c.model_b} scores higher on ${d.label.toLowerCase()} (p = ${c.p_value < 0.001 ? "< 0.001" : c.p_value.toFixed(3)})`,
      ),
  );
  const qualityText = quality.length ? quality.join("; ") : "no dimension separates the models at p < 0.05";
  const slo = (r: CapacityRow) => `TTFT p95 ≤ ${r.slo.ttft_p95_ms} ms, TPOT p95 ≤ ${r.slo.tpot_p95_ms} ms`;
  const unservable = rows.filter((r) => r.sustainable_rps <= 0).map((r) => `${r.model} meets the SLOs at no rate (${r.no_rate_reason})`);
  if (sized.length > 0) {
    const cheapest = [...sized].sort(
      (x, y) => (x.sizing!.gpus as number) - (y.sizing!.gpus as number) || y.sustainable_rps - x.sustainable_rps,
    );
    const first = cheapest[0] as CapacityRow;
    const parts = cheapest.map((r, i) =>
      i === 0
        ? `${r.model}: ${plural(r.sizing!.gpus as number, "GPU")} for ${r.sizing!.target_rps} req/s at ${slo(r)}`
        : `${r.model}: ${plural(r.sizing!.gpus as number, "GPU")}`,
    );
    return {
      scenario: `Serving ${first.sizing!.target_rps} req/s`,
      recommendation: [...parts, ...unservable].join("; "),
      basis: `${qualityText}. Capacity measured on one replica each (${cheapest.map((r) => `${r.model} ${r.sustainable_rps} req/s`).join(", ")}), ${(first.sizing!.headroom * 100).toFixed(0)}% headroom.`,
    };
  }
  const fastest = [...rows].sort((x, y) => y.sustainable_rps - x.sustainable_rps);
  return {
    scenario: "Serving capacity (one replica)",
    recommendation: [
      ...fastest.filter((r) => r.sustainable_rps > 0).map((r) => `${r.model}: ${r.sustainable_rps} req/s per replica at ${slo(r)}`),
      ...unservable,
    ].join("; "),
    basis: `${qualityText}. Attach a target rate (sizing) to get replicas, GPUs and cost.`,
  };
}

export interface CapacityTableRow {
  label: string;
  /** One formatted cell per model, in the order of `report.capacity`. */
  cells: string[];
}

const orDash = (value: number | null | undefined, format: (v: number) => string) =>
  value === null || value === undefined ? "—" : format(value);
const usd = (v: number) => (v >= 100 ? `$${v.toFixed(0)}` : `$${v.toFixed(2)}`);

/** The capacity table, formatted once for the Markdown and HTML reports, the terminal and the web UI. */
export function capacityTable(rows: readonly CapacityRow[]): CapacityTableRow[] {
  const sized = rows.find((r) => r.sizing)?.sizing;
  const table: [string, (r: CapacityRow) => string][] = [
    ["Sustainable rate per replica", (r) => (r.sustainable_rps > 0 ? `${r.sustainable_rps} req/s` : "none: meets the SLOs at no rate")],
    ["Next rate tried (failed)", (r) => orDash(r.first_failing_rps, (v) => `${v} req/s`)],
    [
      "SLOs",
      (r) => `TTFT p95 ≤ ${r.slo.ttft_p95_ms} ms, TPOT p95 ≤ ${r.slo.tpot_p95_ms} ms, errors ≤ ${(r.slo.error_rate * 100).toFixed(1)}%`,
    ],
    ["TTFT p95 at that rate", (r) => orDash(r.ttft_p95_ms, (v) => `${Math.round(v)} ms`)],
    ["TPOT p95 at that rate", (r) => orDash(r.tpot_p95_ms, (v) => `${v.toFixed(1)} ms`)],
    ["Output tokens/s at that rate", (r) => orDash(r.output_tokens_per_second, (v) => v.toFixed(1))],
    ["Goodput at that rate", (r) => orDash(r.goodput, (v) => `${(v * 100).toFixed(1)}%`)],
    [
      "Measured on",
      (r) =>
        `${r.measured_on.slots} slots, ${r.measured_on.threads} threads, GPU ${r.measured_on.gpu || "none"}; ${r.measured_on.workload}; ${r.measured_on.steps} steps`,
    ],
  ];
  if (sized) {
    table.push(
      [
        `Replicas for ${sized.target_rps} req/s (${(sized.headroom * 100).toFixed(0)}% headroom)`,
        (r) => orDash(r.sizing?.replicas, String),
      ],
      ["GPUs", (r) => (r.sizing?.gpus === null || !r.sizing ? "—" : `${r.sizing.gpus} (${r.sizing.gpusPerReplica} per replica)`)],
      [`Cost per hour ($${sized.gpu_hour_usd}/GPU-hour)`, (r) => orDash(r.sizing?.costPerHourUsd, usd)],
      ["Cost per million output tokens", (r) => orDash(r.sizing?.costPerMillionOutputTokensUsd, usd)],
      ["KEDA pendingPerReplica", (r) => orDash(r.sizing?.pendingPerReplica, (v) => v.toFixed(1))],
    );
  }
  return table.map(([label, cell]) => ({ label, cells: rows.map(cell) }));
}
