import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelServerMetrics, prometheusSample as sample, PROMETHEUS_CONTENT_TYPE, startTelemetry, type Telemetry } from "./index.js";

let telemetry: Telemetry;
let text: string;
let contentType: string | null;

beforeAll(async () => {
  telemetry = await startTelemetry({ serviceName: "alpha", prometheus: "server", metricsPort: 0, metricsHost: "127.0.0.1" });
  const metrics = createModelServerMetrics(telemetry.meter, { model: "alpha", responseModel: "alpha-7b-instruct", slots: 2 });
  metrics.loadChanged(2, 1);
  // A streamed reply of 11 tokens: 250 ms to the first (40 ms of it queued), 500 ms for the 10 after it.
  metrics.requestFinished({
    grpcCode: 0,
    finishReason: "stop",
    promptTokens: 30,
    completionTokens: 11,
    timings: { queueMs: 40, ttftMs: 250, decodeMs: 500, totalMs: 750 },
  });
  metrics.requestFinished({
    grpcCode: 0,
    finishReason: "length",
    promptTokens: 12,
    completionTokens: 1,
    timings: { queueMs: 0, ttftMs: 30, decodeMs: 0, totalMs: 30 },
  });
  // Cancelled mid-stream: counted, has a duration with error.type, no TTFT/TPOT (not a successful response).
  metrics.requestFinished({
    grpcCode: 1,
    finishReason: "cancelled",
    promptTokens: 5,
    completionTokens: 3,
    timings: { queueMs: 0, ttftMs: 20, decodeMs: 40, totalMs: 70 },
  });
  // Refused at admission: no timings at all.
  metrics.requestFinished({ grpcCode: 8, finishReason: "unspecified", promptTokens: 0, completionTokens: 0 });

  const res = await fetch(`http://127.0.0.1:${telemetry.metricsPort}/metrics`);
  expect(res.status).toBe(200);
  contentType = res.headers.get("content-type");
  text = await res.text();
});

afterAll(async () => {
  await telemetry?.shutdown();
});

describe("model server metrics on /metrics", () => {
  it("serves on the port it picked, with the Prometheus text content type, and 404 elsewhere", async () => {
    expect(telemetry.metricsPort).toBeGreaterThan(0);
    expect(contentType).toBe(PROMETHEUS_CONTENT_TYPE);
    const other = await fetch(`http://127.0.0.1:${telemetry.metricsPort}/`);
    expect(other.status).toBe(404);
    await other.text();
  });

  it("exposes the GenAI server histograms under these exact names, in seconds", () => {
    const ok = { gen_ai_request_model: "alpha", gen_ai_response_model: "alpha-7b-instruct", gen_ai_operation_name: "chat" };
    expect(text).toContain("# TYPE gen_ai_server_time_to_first_token histogram");
    expect(sample(text, "gen_ai_server_time_to_first_token_count", ok)).toBe(2);
    expect(sample(text, "gen_ai_server_time_to_first_token_sum", ok)).toBeCloseTo(0.28);
    expect(sample(text, "gen_ai_server_time_to_first_token_bucket", { ...ok, le: "0.25" })).toBe(2);
    expect(sample(text, "gen_ai_server_time_to_first_token_bucket", { ...ok, le: "0.02" })).toBe(0);

    // TPOT only where there is a token after the first: 500 ms / 10 = 50 ms.
    expect(sample(text, "gen_ai_server_time_per_output_token_count", ok)).toBe(1);
    expect(sample(text, "gen_ai_server_time_per_output_token_sum", ok)).toBeCloseTo(0.05);
    expect(sample(text, "gen_ai_server_time_per_output_token_bucket", { ...ok, le: "0.05" })).toBe(1);
    expect(sample(text, "gen_ai_server_time_per_output_token_bucket", { ...ok, le: "0.025" })).toBe(0);

    // Duration of every call with timings; the cancelled one carries error.type.
    expect(sample(text, "gen_ai_server_request_duration_count", ok)).toBe(3);
    expect(sample(text, "gen_ai_server_request_duration_count", { ...ok, error_type: "CANCELLED" })).toBe(1);
    expect(sample(text, "gen_ai_server_request_duration_bucket", { ...ok, le: "+Inf" })).toBe(3);
    expect(sample(text, "evalstack_server_queue_duration_count", ok)).toBe(3);
    expect(sample(text, "evalstack_server_queue_duration_bucket", { ...ok, le: "0" })).toBe(2);

    expect(sample(text, "gen_ai_server_time_to_first_token_bucket", { gen_ai_provider_name: "llama.cpp" })).toBeDefined();
  });

  it("counts tokens by type, calls by outcome and finish reasons", () => {
    expect(sample(text, "evalstack_server_tokens_total", { gen_ai_token_type: "input" })).toBe(47);
    expect(sample(text, "evalstack_server_tokens_total", { gen_ai_token_type: "output" })).toBe(15);
    expect(sample(text, "evalstack_server_requests_total", { outcome: "ok", rpc_grpc_status_code: "0" })).toBe(2);
    expect(sample(text, "evalstack_server_requests_total", { outcome: "cancelled", rpc_grpc_status_code: "1" })).toBe(1);
    expect(sample(text, "evalstack_server_requests_total", { outcome: "resource_exhausted" })).toBe(1);
    expect(sample(text, "evalstack_server_finish_reasons_total", { gen_ai_response_finish_reason: "stop" })).toBe(1);
    expect(sample(text, "evalstack_server_finish_reasons_total", { gen_ai_response_finish_reason: "length" })).toBe(1);
    expect(sample(text, "evalstack_server_finish_reasons_total", { gen_ai_response_finish_reason: "cancelled" })).toBe(1);
    expect(text).not.toContain('gen_ai_response_finish_reason="unspecified"');
  });

  it("reports busy slots, queue depth and capacity as gauges", () => {
    expect(text).toContain("# TYPE evalstack_server_slots_busy gauge");
    expect(sample(text, "evalstack_server_slots_busy", { gen_ai_request_model: "alpha" })).toBe(2);
    expect(sample(text, "evalstack_server_queue_depth", { gen_ai_request_model: "alpha" })).toBe(1);
    expect(sample(text, "evalstack_server_slots_capacity", { gen_ai_request_model: "alpha" })).toBe(2);
  });

  it("names the service in target_info", () => {
    expect(sample(text, "target_info", { service_name: "alpha" })).toBe(1);
  });
});
