import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  Server,
  ServerCredentials,
  status,
  type ServiceDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import {
  FinishReason,
  fullRequest,
  InferenceClient,
  InferenceService,
  streamGenerate,
  type GenerateChunk,
  type InferenceServer,
} from "@evalstack/contract";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  context,
  grpcClientInterceptor,
  grpcServerInterceptor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  SpanKind,
  SpanStatusCode,
  startTelemetry,
  trace,
  type ReadableSpan,
  type Telemetry,
} from "./index.js";

/** What the stub handlers saw: the active span inside the handler, and the raw metadata. */
const seen: { traceId?: string; spanId?: string; traceparent?: unknown }[] = [];
let streamCancelled: Promise<void> = Promise.resolve();
let markStreamCancelled = () => {};

function remember(metadata: Metadata) {
  const ctx = trace.getActiveSpan()?.spanContext();
  seen.push({ traceId: ctx?.traceId, spanId: ctx?.spanId, traceparent: metadata.get("traceparent")[0] });
}

const stub: InferenceServer = {
  generateStream(call) {
    remember(call.metadata);
    if (call.request.requestId === "hang") {
      // Writes one chunk, then waits for the client to cancel.
      call.write({ requestId: "hang", delta: "a", finishReason: 0, usage: undefined, timings: undefined, tokens: 1 });
      call.on("cancelled", () => markStreamCancelled());
      return;
    }
    // Continue after an await, to prove the span stays active across async hops inside the handler.
    void (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      remember(call.metadata);
      for (const delta of ["Hel", "lo"]) {
        call.write({ requestId: call.request.requestId, delta, finishReason: 0, usage: undefined, timings: undefined, tokens: 1 });
      }
      call.end();
    })();
  },
  generate(call, callback) {
    remember(call.metadata);
    if (call.request.requestId === "bad") {
      callback({ code: status.INVALID_ARGUMENT, details: "messages: at least one message is required" });
    } else if (call.request.requestId === "boom") {
      callback({ code: status.INTERNAL, details: "engine crashed" });
    } else {
      callback(null, {
        requestId: call.request.requestId,
        text: "ok",
        finishReason: FinishReason.STOP,
        usage: undefined,
        timings: undefined,
        model: "stub",
      });
    }
  },
  getModelInfo(_call, callback) {
    callback({ code: status.UNIMPLEMENTED, details: "stub" });
  },
  countTokens(_call, callback) {
    callback({ code: status.UNIMPLEMENTED, details: "stub" });
  },
};

/** A method at the health service's path, with raw bytes for messages (the interceptors see only the path). */
const bytes = (b: Buffer) => b;
const healthLike: ServiceDefinition = {
  check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
};
const HealthLikeClient = makeGenericClientConstructor(healthLike, "Health");

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let server: Server;
let client: InferenceClient;
let plainClient: InferenceClient;
let healthClient: InstanceType<typeof HealthLikeClient>;

beforeAll(async () => {
  telemetry = await startTelemetry({
    serviceName: "grpc-tracing-test",
    prometheus: "off",
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  server = new Server({ interceptors: [grpcServerInterceptor()] });
  server.addService(InferenceService, stub);
  server.addService(healthLike, {
    check(call: { metadata: Metadata }, callback: (err: null, reply: Buffer) => void) {
      remember(call.metadata);
      callback(null, Buffer.alloc(0));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  client = new InferenceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    interceptors: [grpcClientInterceptor()],
  });
  plainClient = new InferenceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  healthClient = new HealthLikeClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    interceptors: [grpcClientInterceptor()],
  });
});

afterAll(async () => {
  client?.close();
  plainClient?.close();
  healthClient?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  await telemetry?.shutdown();
});

beforeEach(() => {
  exporter.reset();
  seen.length = 0;
});

function unary(c: InferenceClient, requestId: string): Promise<ServiceError | null> {
  return new Promise((resolve) => c.generate(fullRequest({ requestId }), (err) => resolve(err)));
}

function spansOf(kind: SpanKind): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.kind === kind);
}

async function waitForSpans(count: number): Promise<ReadableSpan[]> {
  await vi.waitFor(() => expect(exporter.getFinishedSpans().length).toBeGreaterThanOrEqual(count));
  return exporter.getFinishedSpans();
}

describe("trace context across gRPC (explicit interceptors)", () => {
  it("a server stream: client and server spans share the caller's trace, and the handler runs in the server span", async () => {
    const outer = telemetry.tracer.startSpan("run item");
    const chunks: GenerateChunk[] = [];
    await context.with(trace.setSpan(context.active(), outer), async () => {
      const call = client.generateStream(fullRequest({ requestId: "s1" }));
      for await (const chunk of call as AsyncIterable<GenerateChunk>) chunks.push(chunk);
    });
    outer.end();
    expect(chunks.map((c) => c.delta).join("")).toBe("Hello");

    await waitForSpans(3);
    const [clientSpan] = spansOf(SpanKind.CLIENT);
    const [serverSpan] = spansOf(SpanKind.SERVER);
    const traceId = outer.spanContext().traceId;

    expect(clientSpan?.spanContext().traceId).toBe(traceId);
    expect(serverSpan?.spanContext().traceId).toBe(traceId);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(serverSpan?.parentSpanContext?.isRemote).toBe(true);

    expect(serverSpan?.name).toBe("evalstack.inference.v1.Inference/GenerateStream");
    expect(serverSpan?.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.service": "evalstack.inference.v1.Inference",
      "rpc.method": "GenerateStream",
      "rpc.grpc.status_code": 0,
    });
    expect(clientSpan?.attributes).toMatchObject({ "rpc.method": "GenerateStream", "rpc.grpc.status_code": 0 });

    // In the handler, synchronously and after an await, the active span is the server span.
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.traceId).toBe(traceId);
      expect(s.spanId).toBe(serverSpan?.spanContext().spanId);
    }
    expect(seen[0]?.traceparent).toBe(`00-${traceId}-${clientSpan?.spanContext().spanId}-01`);
  });

  it("the contract's streamGenerate helper, iterated inside a span, continues that span's trace", async () => {
    const deltas: string[] = [];
    const traceId = await telemetry.tracer.startActiveSpan("evaluator item", async (outer) => {
      for await (const chunk of streamGenerate(client, { requestId: "s2" })) deltas.push(chunk.delta);
      outer.end();
      return outer.spanContext().traceId;
    });
    expect(deltas.join("")).toBe("Hello");
    await waitForSpans(3);
    expect(spansOf(SpanKind.SERVER)[0]?.spanContext().traceId).toBe(traceId);
    expect(seen.every((s) => s.traceId === traceId)).toBe(true);
  });

  it("unary calls record the status: INVALID_ARGUMENT is the caller's fault on the server, an error on the client", async () => {
    const err = await unary(client, "bad");
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    await waitForSpans(2);
    const [clientSpan] = spansOf(SpanKind.CLIENT);
    const [serverSpan] = spansOf(SpanKind.SERVER);
    expect(serverSpan?.spanContext().traceId).toBe(clientSpan?.spanContext().traceId);
    expect(serverSpan?.attributes["rpc.grpc.status_code"]).toBe(status.INVALID_ARGUMENT);
    expect(serverSpan?.status.code).toBe(SpanStatusCode.UNSET);
    expect(clientSpan?.attributes["rpc.grpc.status_code"]).toBe(status.INVALID_ARGUMENT);
    expect(clientSpan?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("INTERNAL marks the server span as an error", async () => {
    expect((await unary(client, "boom"))?.code).toBe(status.INTERNAL);
    await waitForSpans(2);
    const [serverSpan] = spansOf(SpanKind.SERVER);
    expect(serverSpan?.attributes["rpc.grpc.status_code"]).toBe(status.INTERNAL);
    expect(serverSpan?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "engine crashed" });
  });

  it("a call outside any span starts a new trace that still spans client and server", async () => {
    expect(await unary(client, "ok")).toBeNull();
    await waitForSpans(2);
    const [clientSpan] = spansOf(SpanKind.CLIENT);
    const [serverSpan] = spansOf(SpanKind.SERVER);
    expect(clientSpan?.parentSpanContext).toBeUndefined();
    expect(serverSpan?.spanContext().traceId).toBe(clientSpan?.spanContext().traceId);
  });

  it("a client without the interceptor sends no traceparent; the server span is a root of its own", async () => {
    const outer = telemetry.tracer.startSpan("caller");
    await context.with(trace.setSpan(context.active(), outer), () => unary(plainClient, "ok"));
    outer.end();
    await waitForSpans(2);
    expect(spansOf(SpanKind.CLIENT)).toHaveLength(0);
    const [serverSpan] = spansOf(SpanKind.SERVER);
    expect(seen[0]?.traceparent).toBeUndefined();
    expect(serverSpan?.parentSpanContext).toBeUndefined();
    expect(serverSpan?.spanContext().traceId).not.toBe(outer.spanContext().traceId);
  });

  it("health checks (Kubernetes probes) make no spans and carry no traceparent, by default", async () => {
    const err = await new Promise<ServiceError | null>((resolve) =>
      healthClient.makeUnaryRequest("/grpc.health.v1.Health/Check", bytes, bytes, Buffer.alloc(0), (e) => resolve(e)),
    );
    expect(err).toBeNull();
    expect(await unary(client, "ok")).toBeNull(); // a traced call after it, to know the spans are flushed
    const spans = await waitForSpans(2);
    expect(spans.map((s) => s.name).every((n) => n.includes("Inference/Generate"))).toBe(true);
    expect(seen[0]?.traceparent).toBeUndefined();
  });

  it("a stream the client cancels ends both spans with CANCELLED", async () => {
    streamCancelled = new Promise((resolve) => (markStreamCancelled = resolve));
    const call = client.generateStream(fullRequest({ requestId: "hang" }));
    const ended = new Promise<number>((resolve) => {
      call.on("error", (e: ServiceError) => resolve(e.code));
      call.on("data", () => call.cancel());
    });
    expect(await ended).toBe(status.CANCELLED);
    await streamCancelled;
    await waitForSpans(2);
    const [clientSpan] = spansOf(SpanKind.CLIENT);
    const [serverSpan] = spansOf(SpanKind.SERVER);
    expect(clientSpan?.attributes["rpc.grpc.status_code"]).toBe(status.CANCELLED);
    expect(serverSpan?.attributes["rpc.grpc.status_code"]).toBe(status.CANCELLED);
    expect(serverSpan?.spanContext().traceId).toBe(clientSpan?.spanContext().traceId);
  });

  it("a stream past its deadline ends both spans with DEADLINE_EXCEEDED, an error on the server too", async () => {
    streamCancelled = new Promise((resolve) => (markStreamCancelled = resolve));
    const call = client.generateStream(fullRequest({ requestId: "hang" }), new Metadata(), { deadline: Date.now() + 150 });
    const code = await new Promise<number>((resolve) => {
      call.on("error", (e: ServiceError) => resolve(e.code));
      call.on("data", () => {});
    });
    expect(code).toBe(status.DEADLINE_EXCEEDED);
    await streamCancelled;
    await waitForSpans(2);
    const [clientSpan] = spansOf(SpanKind.CLIENT);
    const [serverSpan] = spansOf(SpanKind.SERVER);
    expect(clientSpan?.attributes["rpc.grpc.status_code"]).toBe(status.DEADLINE_EXCEEDED);
    expect(serverSpan?.attributes["rpc.grpc.status_code"]).toBe(status.DEADLINE_EXCEEDED);
    expect(serverSpan?.status.code).toBe(SpanStatusCode.ERROR);
  });
});
