import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startTelemetry, trace } from "./index.js";

interface Received {
  path: string;
  contentType: string | undefined;
  body: Buffer;
}

/** A stand-in OTLP/HTTP collector: records every POST. `hang` accepts requests and never answers. */
async function fakeCollector(options: { hang?: boolean } = {}) {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", contentType: req.headers["content-type"], body: Buffer.concat(chunks) });
      if (options.hang) return;
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("startTelemetry", () => {
  it("without OTEL_EXPORTER_OTLP_ENDPOINT exports nothing over OTLP, yet spans get real trace ids", async () => {
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "");
    const telemetry = await startTelemetry({ serviceName: "svc", prometheus: "off" });
    try {
      expect(telemetry.otlp).toEqual({ traces: false, metrics: false });
      const span = telemetry.tracer.startSpan("work");
      expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
      span.end();
      await expect(telemetry.metricsText()).rejects.toThrow(/prometheus is off/);
    } finally {
      await telemetry.shutdown();
    }
  });

  it("with OTEL_EXPORTER_OTLP_ENDPOINT sends traces and metrics as OTLP/protobuf, flushed at shutdown", async () => {
    const collector = await fakeCollector();
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint);
    try {
      const telemetry = await startTelemetry({ serviceName: "otlp-test-svc", prometheus: "off" });
      expect(telemetry.otlp).toEqual({ traces: true, metrics: true });
      telemetry.tracer.startSpan("exported-span").end();
      telemetry.meter.createCounter("exported.counter").add(3);
      await telemetry.shutdown();

      const traces = collector.received.filter((r) => r.path === "/v1/traces");
      const metrics = collector.received.filter((r) => r.path === "/v1/metrics");
      expect(traces.length).toBeGreaterThan(0);
      expect(metrics.length).toBeGreaterThan(0);
      expect(traces[0]?.contentType).toBe("application/x-protobuf");
      // Protobuf keeps strings as UTF-8 bytes: the span name and the service name are in the payload.
      expect(traces.some((r) => r.body.includes("exported-span") && r.body.includes("otlp-test-svc"))).toBe(true);
      expect(metrics.some((r) => r.body.includes("exported.counter"))).toBe(true);
    } finally {
      await collector.close();
    }
  });

  it("shutdown returns within its bound even when the collector never answers", async () => {
    const collector = await fakeCollector({ hang: true });
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint);
    try {
      const telemetry = await startTelemetry({ serviceName: "svc", prometheus: "off", shutdownTimeoutMs: 300 });
      telemetry.tracer.startSpan("stuck").end();
      // Without the bound this would wait out the exporter's own 10 s timeout and fail the 5 s test timeout.
      await telemetry.shutdown();
      expect(collector.received.some((r) => r.path === "/v1/traces")).toBe(true);
    } finally {
      await collector.close();
    }
  }, 5_000);

  it("runs once per process: a second start is refused until the first is shut down", async () => {
    const first = await startTelemetry({ serviceName: "one", prometheus: "off" });
    await expect(startTelemetry({ serviceName: "two", prometheus: "off" })).rejects.toThrow(/already started/);
    await first.shutdown();
    await first.shutdown(); // idempotent
    const second = await startTelemetry({ serviceName: "two", prometheus: "handler" });
    expect(await second.metricsText()).toContain('service_name="two"');
    await second.shutdown();
  });

  it("OTEL_SERVICE_NAME overrides the name given in code", async () => {
    vi.stubEnv("OTEL_SERVICE_NAME", "from-env");
    const telemetry = await startTelemetry({ serviceName: "from-code", prometheus: "handler" });
    try {
      expect(telemetry.serviceName).toBe("from-env");
      expect(await telemetry.metricsText()).toContain('target_info{service_name="from-env"} 1');
    } finally {
      await telemetry.shutdown();
    }
  });

  it("a metrics port already in use fails the start with a message naming the port, and leaves nothing registered", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(startTelemetry({ serviceName: "svc", metricsPort: port, metricsHost: "127.0.0.1" })).rejects.toThrow(
        new RegExp(`port ${port}`),
      );
      const next = await startTelemetry({ serviceName: "svc", metricsPort: 0, metricsHost: "127.0.0.1" });
      expect(next.metricsPort).toBeGreaterThan(0);
      expect(next.metricsPort).not.toBe(port);
      await next.shutdown();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
