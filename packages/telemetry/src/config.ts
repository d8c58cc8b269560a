// The OpenTelemetry variables this package reads itself, in one place. The OTLP exporters and the resource
// detector read their own (OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). As the
// OpenTelemetry specification asks, an invalid value here falls back to its default rather than stopping
// the service.
import { EnvReader, type Env } from "@evalstack/config";

export interface TelemetryEnv {
  /** OTEL_LOG_LEVEL: the SDK's own diagnostics (default warn). */
  diagLogLevel: string;
  /** An OTLP endpoint for traces is configured (OTEL_EXPORTER_OTLP_ENDPOINT or _TRACES_ENDPOINT). */
  otlpTraces: boolean;
  /** An OTLP endpoint for metrics is configured (OTEL_EXPORTER_OTLP_ENDPOINT or _METRICS_ENDPOINT). */
  otlpMetrics: boolean;
  metricExportIntervalMs: number;
  metricExportTimeoutMs: number;
}

export function telemetryEnv(env: Env = process.env): TelemetryEnv {
  const read = new EnvReader(env);
  const positive = (name: string, fallback: number) => {
    const n = Number(read.optionalString(name));
    return Number.isInteger(n) && n > 0 ? n : fallback;
  };
  const endpoint = read.optionalString("OTEL_EXPORTER_OTLP_ENDPOINT");
  return {
    diagLogLevel: read.string("OTEL_LOG_LEVEL", "warn"),
    otlpTraces: Boolean(endpoint ?? read.optionalString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
    otlpMetrics: Boolean(endpoint ?? read.optionalString("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")),
    metricExportIntervalMs: positive("OTEL_METRIC_EXPORT_INTERVAL", 60_000),
    metricExportTimeoutMs: positive("OTEL_METRIC_EXPORT_TIMEOUT", 30_000),
  };
}
