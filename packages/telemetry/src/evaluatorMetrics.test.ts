import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvaluatorMetrics, prometheusSample as sample, PROMETHEUS_CONTENT_TYPE, startTelemetry, type Telemetry } from "./index.js";

let telemetry: Telemetry;
let text: string;

beforeAll(async () => {
  // "handler": no server of our own; the evaluator serves the text on its own port.
  telemetry = await startTelemetry({ serviceName: "evaluator", prometheus: "handler" });
  const metrics = createEvaluatorMetrics(telemetry.meter, { models: ["qwen", "phi3"] });
  metrics.runStatus("running");
  metrics.runStatus("completed");
  metrics.runStatus("running");
  for (let i = 0; i < 3; i++) metrics.addPending("qwen", +1);
  metrics.addPending("qwen", -1);
  metrics.itemCompleted({ model: "qwen", outcome: "passed", dimension: "reasoning" });
  metrics.itemCompleted({ model: "qwen", outcome: "failed", dimension: "reasoning" });
  metrics.itemCompleted({ model: "phi3", outcome: "error" });
  metrics.recordOperation({ model: "qwen", responseModel: "qwen2.5-7b-instruct", durationMs: 1500, timeToFirstChunkMs: 300, inputTokens: 40, outputTokens: 200 });
  metrics.recordOperation({ model: "phi3", durationMs: 5000, errorType: "UNAVAILABLE" });
  text = await telemetry.metricsText();
});

afterAll(async () => {
  await telemetry?.shutdown();
});

describe("evaluator metrics", () => {
  it("exposes evalstack_pending_requests{model} as a gauge under that exact name, 0 for idle models", () => {
    expect(text).toContain("# TYPE evalstack_pending_requests gauge");
    expect(sample(text, "evalstack_pending_requests", { model: "qwen" })).toBe(2);
    expect(sample(text, "evalstack_pending_requests", { model: "phi3" })).toBe(0);
  });

  it("counts runs by status and items by model, outcome and dimension", () => {
    expect(sample(text, "evalstack_runs_total", { status: "running" })).toBe(2);
    expect(sample(text, "evalstack_runs_total", { status: "completed" })).toBe(1);
    expect(sample(text, "evalstack_items_total", { model: "qwen", dimension: "reasoning" })).toBe(2);
    expect(sample(text, "evalstack_items_total", { model: "qwen", outcome: "passed" })).toBe(1);
    expect(sample(text, "evalstack_items_total", { model: "phi3", outcome: "error" })).toBe(1);
  });

  it("records the GenAI client histograms; a failed call only its duration, with error.type", () => {
    const qwen = { gen_ai_request_model: "qwen", gen_ai_operation_name: "chat" };
    expect(sample(text, "gen_ai_client_operation_duration_count", qwen)).toBe(1);
    expect(sample(text, "gen_ai_client_operation_duration_bucket", { ...qwen, le: "2.56" })).toBe(1);
    expect(sample(text, "gen_ai_client_operation_duration_bucket", { ...qwen, le: "1.28" })).toBe(0);
    expect(sample(text, "gen_ai_client_token_usage_sum", { ...qwen, gen_ai_token_type: "output" })).toBe(200);
    expect(sample(text, "gen_ai_client_token_usage_bucket", { ...qwen, gen_ai_token_type: "input", le: "64" })).toBe(1);
    expect(sample(text, "gen_ai_client_operation_time_to_first_chunk_sum", qwen)).toBeCloseTo(0.3);
    expect(sample(text, "gen_ai_client_operation_duration_count", { gen_ai_request_model: "phi3", error_type: "UNAVAILABLE" })).toBe(1);
    expect(sample(text, "gen_ai_client_token_usage_count", { gen_ai_request_model: "phi3" })).toBeUndefined();
  });

  it("metricsHandler serves the same text from a server the caller owns", async () => {
    expect(telemetry.metricsPort).toBeUndefined();
    const server = createServer(telemetry.metricsHandler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/anything`);
      expect(res.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
      const body = await res.text();
      expect(sample(body, "evalstack_pending_requests", { model: "qwen" })).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
