// One trace per run item through the gRPC call into the model service, and one per API request (compare)
// from the HTTP request into the model services. Spans are collected in memory; the model side is an
// fake model server with the same server interceptor the model services use.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  grpcServerInterceptor,
  startTelemetry,
  type ReadableSpan,
  type Telemetry,
} from "@evalstack/telemetry";
import { startFakeModelServer, type FakeModelServer } from "@evalstack/testing";
import { loadConfig } from "../config.js";
import { startServer, type EvaluatorServer } from "../server.js";

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let model: FakeModelServer;
let server: EvaluatorServer;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName: "evaluator-test",
    prometheus: "handler",
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  model = await startFakeModelServer({ slots: 2, interceptors: [grpcServerInterceptor()] });
  const config = loadConfig({
    EVALSTACK_HOST: "127.0.0.1",
    EVALSTACK_PORT: "0",
    EVALSTACK_MODELS: `alpha=${model.target}`,
    EVALSTACK_DB_PATH: ":memory:",
    EVALSTACK_AUTH: "off",
  });
  server = await startServer({ config, telemetry, log: pino({ level: "silent" }) });
});

afterAll(async () => {
  await server?.close();
  await model?.close();
  await telemetry?.shutdown();
});

const byTrace = (spans: ReadableSpan[]) => {
  const traces = new Map<string, ReadableSpan[]>();
  for (const s of spans) {
    const id = s.spanContext().traceId;
    traces.set(id, [...(traces.get(id) ?? []), s]);
  }
  return traces;
};
const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe("traces", () => {
  it("gives every run item its own trace: item span → gRPC client span → model service span", async () => {
    exporter.reset();
    const items = ["a", "b", "c"].map((id) => ({
      id,
      dimension: "math" as const,
      messages: [{ role: "user" as const, content: id }],
      checks: [{ type: "contains", value: "ok" }],
    }));
    const run = await server.runs.createRun({
      suite_id: "t",
      models: ["alpha"],
      repeats: 1,
      sampling: {},
      max_tokens: null,
      concurrency: {},
      items,
    });
    await new Promise<void>((resolve) => server.runs.events.on("status", (id, s) => id === run.id && s === "completed" && resolve()));
    const spans = exporter.getFinishedSpans();
    const itemSpans = spans.filter((s) => s.name === "evalstack.run_item");
    expect(itemSpans.map((s) => s.attributes["evalstack.item.id"]).sort()).toEqual(["a", "b", "c"]);
    const traces = byTrace(spans);
    for (const item of itemSpans) {
      expect(parentId(item)).toBeUndefined(); // a root: one trace per item
      const trace = traces.get(item.spanContext().traceId)!;
      const client = trace.filter(
        (s) => s.name === "evalstack.inference.v1.Inference/GenerateStream" && parentId(s) === item.spanContext().spanId,
      );
      expect(client).toHaveLength(1);
      const serverSide = trace.filter(
        (s) => s.name === "evalstack.inference.v1.Inference/GenerateStream" && parentId(s) === client[0]!.spanContext().spanId,
      );
      expect(serverSide).toHaveLength(1);
      expect(item.attributes).toMatchObject({
        "evalstack.run.id": run.id,
        "gen_ai.request.model": "alpha",
        "evalstack.item.status": "completed",
      });
    }
  });

  it("carries an API request's trace (and an incoming traceparent) into the model service", async () => {
    exporter.reset();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await fetch(`${server.url}/v1/compare`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    const trace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const http = trace.find((s) => s.name === "POST /v1/compare")!;
    expect(http).toBeDefined();
    expect(parentId(http)).toBe("00f067aa0ba902b7");
    const client = trace.find((s) => s.name.endsWith("/GenerateStream") && parentId(s) === http.spanContext().spanId)!;
    expect(client).toBeDefined();
    expect(trace.some((s) => s.name.endsWith("/GenerateStream") && parentId(s) === client.spanContext().spanId)).toBe(true);
  });
});
