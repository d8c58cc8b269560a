export {
  startTelemetry,
  PROMETHEUS_CONTENT_TYPE,
  INSTRUMENTATION_SCOPE,
  type Telemetry,
  type TelemetryOptions,
} from "./startTelemetry.js";
export {
  createModelServerMetrics,
  type ModelServerMetrics,
  type ModelServerMetricAttributes,
  type FinishedRequest,
} from "./modelServerMetrics.js";
export { createEvaluatorMetrics, type EvaluatorMetrics, type ClientOperation } from "./evaluatorMetrics.js";
export {
  grpcClientInterceptor,
  grpcServerInterceptor,
  DEFAULT_IGNORED_GRPC_PATHS,
  type GrpcTracingOptions,
} from "./grpcTracing.js";
export { startHttpServerSpan, type HttpServerSpan } from "./httpTracing.js";
export { createLogger, traceLogFields, type CreateLoggerOptions, type TraceLogFields } from "./logger.js";
export { prometheusSample } from "./prometheusText.js";
export { ATTR, BUCKETS, OPERATION_CHAT, PROVIDER_LLAMA_CPP, grpcStatusName, isGrpcServerError } from "./genAiConventions.js";
// The API pieces callers need, so services need no @opentelemetry/api dependency of their own (this package
// pins the version that matches the SDK it registers).
export { context, trace, propagation, SpanKind, SpanStatusCode } from "@opentelemetry/api";
export type { Meter, Tracer, Span, Attributes, Context } from "@opentelemetry/api";
// For tests that assert on spans: startTelemetry({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).
export { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace";
