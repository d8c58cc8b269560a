import type { CapacityResult } from "@evalstack/capacity";
import { describe, expect, it } from "vitest";
import type { ModelSnapshot } from "../runs/types.js";
import type { CapacityAttachment } from "../store/types.js";
import { capacityRecommendation, capacityRows, capacityTable, snapshotMismatch } from "./capacitySection.js";
import type { DimensionReport } from "./reportTypes.js";

const SHA = "ab".repeat(32);

const snapshot = (over: Partial<ModelSnapshot> = {}): ModelSnapshot => ({
  name: "qwen",
  target: "localhost:50051",
  model_name: "Qwen2.5 7B Instruct",
  architecture: "qwen2",
  quantization: "Q4_K_M",
  parameter_count: 7e9,
  file_size_bytes: 4.7e9,
  sha256: SHA,
  context_size: 8192,
  slots: 4,
  load_ms: 1000,
  peak_ram_bytes: 1e9,
  vram_bytes: 5e9,
  gpu: "cuda",
  threads: 8,
  gpu_layers: 99,
  ...over,
});

function result(service: string, sustainable: number, over: Partial<CapacityResult> = {}): CapacityResult {
  const step = {
    rate: sustainable,
    offered: 40,
    completed: 40,
    failed: 0,
    dropped: 0,
    cutOff: 0,
    errorRate: 0,
    ttftP95Ms: 420,
    tpotP95Ms: 31.5,
    throughputRps: sustainable,
    outputTokensPerSecond: sustainable * 200,
    meanOutputTokens: 200,
    goodput: 0.98,
    meanE2eMs: 6000,
    meetsSlo: true,
    violations: [],
  };
  return {
    schema: "evalstack.capacity/v1",
    target: "localhost:50051",
    model: { name: "Qwen2.5 7B Instruct", service, sha256: SHA, slots: 4, threads: 8, gpu: "cuda", gpuLayers: 99 },
    slo: { ttftP95Ms: 1000, tpotP95Ms: 50, errorRate: 0.01 },
    search: {
      startRate: 0.25,
      minRate: 0.03,
      maxRate: 64,
      precision: 0.1,
      maxSteps: 12,
      windowMs: 20_000,
      minRequests: 10,
      warmupMs: 5000,
      maxVUs: 256,
    },
    workload: { prompts: "seed-50.json", count: 50, maxTokens: 256 },
    machine: {},
    startedAt: "2026-12-01T10:00:00.000Z",
    durationMs: 1,
    sustainableRps: sustainable,
    atSustainable: sustainable > 0 ? step : null,
    firstFailingRps: sustainable > 0 ? sustainable * 1.1 : 0.25,
    noRateReason: sustainable > 0 ? null : "at 0.25 req/s (the lowest rate tried): ttft p95 2400 ms > 1000 ms",
    curve: [step],
    limitedByMaxRate: false,
    ...over,
  };
}

const attach = (model: string, r: CapacityResult, target?: number): CapacityAttachment => ({
  run_id: "r1",
  model,
  result: r,
  sizing: target ? { target_rps: target, headroom: 0.2, gpus_per_replica: 1, gpu_hour_usd: 2.5 } : null,
  attached_at: "2026-12-01T11:00:00.000Z",
});

const mathDimension = (verdict: "a_better" | "sample_too_small"): DimensionReport => ({
  dimension: "math",
  label: "Math",
  items: 40,
  per_model: [],
  comparisons: [
    {
      model_a: "qwen",
      model_b: "phi3",
      paired_items: 40,
      a_better_items: 9,
      b_better_items: 1,
      p_value: 0.0107,
      verdict,
      items_needed: null,
      summary: "",
    },
  ],
});

describe("snapshotMismatch", () => {
  it("accepts a result measured on the run's serving configuration", () => {
    expect(snapshotMismatch(snapshot(), result("qwen", 1))).toBeNull();
  });

  it.each([
    [{ sha256: "cd".repeat(32) }, "capacity.model.sha256"],
    [{ slots: 2 }, "capacity.model.slots"],
    [{ gpu: "none" }, "capacity.model.gpu"],
    [{ threads: 4 }, "capacity.model.threads"],
    [{ gpu_layers: 10 }, "capacity.model.gpuLayers"],
  ])("refuses another configuration (%o), naming the field", (over, field) => {
    const mismatch = snapshotMismatch(snapshot(over), result("qwen", 1));
    expect(mismatch?.field).toBe(field);
    expect(mismatch?.message).toMatch(/but this run's qwen has/);
  });

  it("does not hold threads against a snapshot that did not record them", () => {
    expect(
      snapshotMismatch(
        snapshot({ threads: undefined, gpu_layers: undefined }),
        result("qwen", 1, { model: { ...result("qwen", 1).model!, threads: 2 } }),
      ),
    ).toBeNull();
  });

  it("refuses a result without a snapshot", () => {
    expect(snapshotMismatch(snapshot(), result("qwen", 1, { model: null }))?.field).toBe("capacity.model");
  });
});

describe("capacity in the report", () => {
  it("sizes each model and recommends by GPUs, with the quality verdicts beside", () => {
    const rows = capacityRows([attach("qwen", result("qwen", 1.25), 5), attach("phi3", result("phi3", 2.5), 5)]);
    expect(rows.map((r) => [r.model, r.sizing?.replicas, r.sizing?.gpus])).toEqual([
      ["qwen", 5, 5],
      ["phi3", 3, 3],
    ]);
    const rec = capacityRecommendation(rows, [mathDimension("a_better")]);
    expect(rec).toEqual({
      scenario: "Serving 5 req/s",
      recommendation: "phi3: 3 GPUs for 5 req/s at TTFT p95 ≤ 1000 ms, TPOT p95 ≤ 50 ms; qwen: 5 GPUs",
      basis:
        "qwen scores higher on math (p = 0.011). Capacity measured on one replica each (phi3 2.5 req/s, qwen 1.25 req/s), 20% headroom.",
    });
  });

  it("without a target: the measured rates, and a model that meets the SLOs at no rate says why", () => {
    const rows = capacityRows([attach("qwen", result("qwen", 1.25)), attach("phi3", result("phi3", 0))]);
    const rec = capacityRecommendation(rows, [mathDimension("sample_too_small")]);
    expect(rec?.recommendation).toBe(
      "qwen: 1.25 req/s per replica at TTFT p95 ≤ 1000 ms, TPOT p95 ≤ 50 ms; phi3 meets the SLOs at no rate (at 0.25 req/s (the lowest rate tried): ttft p95 2400 ms > 1000 ms)",
    );
    expect(rec?.basis).toMatch(/^no dimension separates the models at p < 0.05\. Attach a target rate/);
    expect(capacityRecommendation([], [])).toBeNull();
  });

  it("formats one table for every view: sizing rows only when a target was attached", () => {
    const plain = capacityTable(capacityRows([attach("qwen", result("qwen", 1.25))]));
    expect(plain.map((r) => r.label)).not.toContain("GPUs");
    expect(plain.find((r) => r.label === "Sustainable rate per replica")?.cells).toEqual(["1.25 req/s"]);
    expect(plain.find((r) => r.label === "TPOT p95 at that rate")?.cells).toEqual(["31.5 ms"]);
    const sized = capacityTable(capacityRows([attach("qwen", result("qwen", 1.25), 5), attach("phi3", result("phi3", 0), 5)]));
    expect(sized.find((r) => r.label === "GPUs")?.cells).toEqual(["5 (1 per replica)", "—"]);
    expect(sized.find((r) => r.label === "Cost per hour ($2.5/GPU-hour)")?.cells).toEqual(["$12.50", "—"]);
    expect(sized.find((r) => r.label === "Sustainable rate per replica")?.cells).toEqual(["1.25 req/s", "none: meets the SLOs at no rate"]);
  });
});
