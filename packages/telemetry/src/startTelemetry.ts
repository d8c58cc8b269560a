import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { context, diag, metrics, propagation, trace, type DiagLogger, type Meter, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, diagLogLevelFromString, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { telemetryEnv } from "./config.js";
import { createLogger } from "./logger.js";

/** Content type of the Prometheus text exposition format that `metricsText()` returns. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Instrumentation scope of everything this package creates (meter, tracer, gRPC spans). */
export const INSTRUMENTATION_SCOPE = "@evalstack/telemetry";

export interface TelemetryOptions {
  /** `service.name` of every span and metric (`OTEL_SERVICE_NAME` overrides it, as the spec says). */
  serviceName: string;
  serviceVersion?: string;
  /**
   * - `"server"` (default): serve `GET /metrics` on `metricsPort` (0 picks a free port; see `metricsPort`).
   * - `"handler"`: no server of our own; the caller serves `metricsText()` (or `metricsHandler`) on its port.
   * - `"off"`: no Prometheus reader at all (OTLP only, or nothing).
   */
  prometheus?: "server" | "handler" | "off";
  /** Default 9464. */
  metricsPort?: number;
  /** Default: every interface (what a Prometheus scraping a pod needs). */
  metricsHost?: string;
  /** Extra span processors, e.g. a SimpleSpanProcessor over an InMemorySpanExporter in tests. */
  spanProcessors?: SpanProcessor[];
  /** Upper bound on `shutdown()`: flushing to an unreachable collector must not hold up an exit. Default 5000. */
  shutdownTimeoutMs?: number;
}

export interface Telemetry {
  readonly serviceName: string;
  readonly meter: Meter;
  readonly tracer: Tracer;
  /** The port `/metrics` listens on (the real one when 0 was asked); undefined unless prometheus is "server". */
  readonly metricsPort: number | undefined;
  /** Whether spans / metrics are exported over OTLP (decided from the environment at start). */
  readonly otlp: { traces: boolean; metrics: boolean };
  /** The Prometheus text of all metrics now; rejects when prometheus is "off". */
  metricsText(): Promise<string>;
  /** A node:http handler answering with `metricsText()` (any path; mount it where you like). */
  metricsHandler(req: IncomingMessage, res: ServerResponse): void;
  forceFlush(): Promise<void>;
  /** Flushes and stops everything, closes the metrics server, unregisters the globals. Never takes longer
   *  than `shutdownTimeoutMs`; safe to call twice. */
  shutdown(): Promise<void>;
}

let running = false;

/**
 * Sets up the OpenTelemetry SDK for this process and registers it globally (tracer and meter providers,
 * W3C trace-context + baggage propagator, AsyncLocalStorage context manager). One per process; call it
 * before creating gRPC clients and servers so their interceptors find the providers (they also work if
 * called later: the API hands out proxies).
 *
 * OTLP (http/protobuf) export of traces and metrics happens only when `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or the per-signal `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) is set;
 * the exporters read the standard OTLP variables themselves (headers, timeout, ...).
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (running) throw new Error("startTelemetry: already started in this process; shut the previous one down first");
  running = true;
  try {
    return await start(options);
  } catch (error) {
    running = false;
    throw error;
  }
}

async function start(options: TelemetryOptions): Promise<Telemetry> {
  const env = telemetryEnv();
  const mode = options.prometheus ?? "server";
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5_000;

  const diagLevel = diagLogLevelFromString(env.diagLogLevel) ?? diagLogLevelFromString("warn");
  diag.setLogger(pinoDiagLogger(), { logLevel: diagLevel, suppressOverrideMessage: true });

  const resource = resourceFromAttributes({
    "service.name": options.serviceName,
    ...(options.serviceVersion ? { "service.version": options.serviceVersion } : {}),
  }).merge(detectResources({ detectors: [envDetector] }));
  const serviceName = String(resource.attributes["service.name"] ?? options.serviceName);

  const { otlpTraces, otlpMetrics } = env;

  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  // The OTLP exporters (and their protobuf code) load only when an endpoint is configured: cheaper start-up.
  if (otlpTraces) {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  }
  const tracerProvider = new TracerProvider({ resource, spanProcessors });

  const readers: IMetricReader[] = [];
  const prometheus = mode === "off" ? undefined : new PrometheusExporter({ preventServerStart: true });
  if (prometheus) readers.push(prometheus);
  if (otlpMetrics) {
    const { OTLPMetricExporter } = await import("@opentelemetry/exporter-metrics-otlp-proto");
    const exportIntervalMillis = env.metricExportIntervalMs;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis,
        exportTimeoutMillis: Math.min(env.metricExportTimeoutMs, exportIntervalMillis),
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  const serializer = new PrometheusSerializer();
  const metricsText = async (): Promise<string> => {
    if (!prometheus) throw new Error("metricsText: prometheus is off");
    const { resourceMetrics, errors } = await prometheus.collect();
    if (errors.length > 0) diag.warn("prometheus collection errors", ...errors);
    return serializer.serialize(resourceMetrics);
  };
  const metricsHandler = (_req: IncomingMessage, res: ServerResponse): void => {
    metricsText().then(
      (text) => {
        res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE });
        res.end(text);
      },
      (error: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`# metrics collection failed: ${String(error)}\n`);
      },
    );
  };

  let server: Server | undefined;
  let metricsPort: number | undefined;
  const unregister = () => {
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
    diag.disable();
  };
  if (mode === "server") {
    server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/metrics") return metricsHandler(req, res);
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("not found: the metrics are at GET /metrics\n");
    });
    try {
      metricsPort = await listen(server, options.metricsPort ?? 9464, options.metricsHost);
    } catch (error) {
      unregister();
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      throw new Error(`telemetry: cannot serve /metrics on port ${options.metricsPort ?? 9464}: ${String(error)}`);
    }
  }

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = () =>
    (shutdownPromise ??= (async () => {
      const closeServer = server
        ? new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          })
        : Promise.resolve();
      const flush = Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), closeServer]);
      await withTimeout(flush, shutdownTimeoutMs);
      unregister();
      running = false;
    })());

  return {
    serviceName,
    meter: meterProvider.getMeter(INSTRUMENTATION_SCOPE),
    tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE),
    metricsPort,
    otlp: { traces: otlpTraces, metrics: otlpMetrics },
    metricsText,
    metricsHandler,
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown,
  };
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host }, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      diag.warn(`telemetry shutdown did not finish within ${ms} ms; giving up on the remaining exports`);
      resolve();
    }, ms);
    timer.unref();
  });
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}

/** The SDK's own warnings (e.g. an unreachable collector) as JSON log lines like everything else. */
function pinoDiagLogger(): DiagLogger {
  const log = createLogger("opentelemetry", { level: "trace" }); // diag filters by OTEL_LOG_LEVEL
  const line =
    (fn: (obj: object, msg: string) => void) =>
    (message: string, ...args: unknown[]) =>
      fn({ args: args.map((a) => (a instanceof Error ? a.message : a)) }, message);
  return {
    error: line(log.error.bind(log)),
    warn: line(log.warn.bind(log)),
    info: line(log.info.bind(log)),
    debug: line(log.debug.bind(log)),
    verbose: line(log.trace.bind(log)),
  };
}
