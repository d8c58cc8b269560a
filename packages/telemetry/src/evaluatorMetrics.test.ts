import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvaluatorMetrics, prometheusSample as sample, PROMETHEUS_CONTENT_TYPE, startTelemetry, type Telemetry } from "./index.js";

let telemetry: Telemetry;
let text: string;

beforeAll(async () => {
  // "handler": no server of our own; the evaluator serves the text on its own port.
  telemetry = await startTelemetry({ serviceName: "evaluator", prometheus: "handler" });
  const metrics = createEvaluatorMetrics(telemetry.meter, { models: ["alpha", "beta"] });
  metrics.runStatus("running");
  metrics.runStatus("completed");
  metrics.runStatus("running");
  for (let i = 0; i < 3; i++) metrics.addPending("alpha", +1);
  metrics.addPending("alpha", -1);
  metrics.itemCompleted({ model: "alpha", outcome: "passed", dimension: "reasoning" });
  metrics.itemCompleted({ model: "alpha", outcome: "failed", dimension: "reasoning" });
  metrics.itemCompleted({ model: "beta", outcome: "error" });
  metrics.recordOperation({
    model: "alpha",
    responseModel: "alpha-7b-instruct",
    durationMs: 1500,
    timeToFirstChunkMs: 300,
    inputTokens: 40,
    outputTokens: 200,
  });
  metrics.recordOperation({ model: "beta", durationMs: 5000, errorType: "UNAVAILABLE" });
  text = await telemetry.metricsText();
});

afterAll(async () => {
  await telemetry?.shutdown();
});

describe("evaluator metrics", () => {
  it("exposes evalstack_pending_requests{model} as a gauge under that exact name, 0 for idle models", () => {
    expect(text).toContain("# TYPE evalstack_pending_requests gauge");
    expect(sample(text, "evalstack_pending_requests", { model: "alpha" })).toBe(2);
    expect(sample(text, "evalstack_pending_requests", { model: "beta" })).toBe(0);
  });

  it("counts runs by status and items by model, outcome and dimension", () => {
    expect(sample(text, "evalstack_runs_total", { status: "running" })).toBe(2);
    expect(sample(text, "evalstack_runs_total", { status: "completed" })).toBe(1);
    expect(sample(text, "evalstack_items_total", { model: "alpha", dimension: "reasoning" })).toBe(2);
    expect(sample(text, "evalstack_items_total", { model: "alpha", outcome: "passed" })).toBe(1);
    expect(sample(text, "evalstack_items_total", { model: "beta", outcome: "error" })).toBe(1);
  });

  it("records the GenAI client histograms; a failed call only its duration, with error.type", () => {
    const alpha = { gen_ai_request_model: "alpha", gen_ai_operation_name: "chat" };
    expect(sample(text, "gen_ai_client_operation_duration_count", alpha)).toBe(1);
    expect(sample(text, "gen_ai_client_operation_duration_bucket", { ...alpha, le: "2.56" })).toBe(1);
    expect(sample(text, "gen_ai_client_operation_duration_bucket", { ...alpha, le: "1.28" })).toBe(0);
    expect(sample(text, "gen_ai_client_token_usage_sum", { ...alpha, gen_ai_token_type: "output" })).toBe(200);
    expect(sample(text, "gen_ai_client_token_usage_bucket", { ...alpha, gen_ai_token_type: "input", le: "64" })).toBe(1);
    expect(sample(text, "gen_ai_client_operation_time_to_first_chunk_sum", alpha)).toBeCloseTo(0.3);
    expect(sample(text, "gen_ai_client_operation_duration_count", { gen_ai_request_model: "beta", error_type: "UNAVAILABLE" })).toBe(1);
    expect(sample(text, "gen_ai_client_token_usage_count", { gen_ai_request_model: "beta" })).toBeUndefined();
  });

  it("metricsHandler serves the same text from a server the caller owns", async () => {
    expect(telemetry.metricsPort).toBeUndefined();
    const server = createServer(telemetry.metricsHandler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/anything`);
      expect(res.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
      const body = await res.text();
      expect(sample(body, "evalstack_pending_requests", { model: "alpha" })).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
