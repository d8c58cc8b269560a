import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  SpanKind,
  SpanStatusCode,
  startHttpServerSpan,
  startTelemetry,
  trace,
  context,
  type Telemetry,
} from "./index.js";

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName: "http-tracing-test",
    prometheus: "off",
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
});
afterAll(async () => {
  await telemetry.shutdown();
});
beforeEach(() => exporter.reset());

describe("startHttpServerSpan", () => {
  it("continues the caller's traceparent, is active for the request's work, and records the status", () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const span = startHttpServerSpan("POST", "/v1/chat/completions", { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const inside = context.with(span.context, () => trace.getActiveSpan()?.spanContext().traceId);
    span.end(200);
    span.end(500); // a second end changes nothing
    const [finished] = exporter.getFinishedSpans();
    expect(inside).toBe(traceId);
    expect(finished!.spanContext().traceId).toBe(traceId);
    expect(finished!.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(finished!.kind).toBe(SpanKind.SERVER);
    expect(finished!.name).toBe("POST /v1/chat/completions");
    expect(finished!.attributes["http.response.status_code"]).toBe(200);
    expect(finished!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it("marks a 5xx an error and starts a new trace without a traceparent", () => {
    startHttpServerSpan("POST", "/v1/completions", {}).end(503);
    const [finished] = exporter.getFinishedSpans();
    expect(finished!.status.code).toBe(SpanStatusCode.ERROR);
    expect(finished!.parentSpanContext).toBeUndefined();
  });
});
