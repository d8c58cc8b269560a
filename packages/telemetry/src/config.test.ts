import { describe, expect, it } from "vitest";
import { telemetryEnv } from "./config.js";

describe("telemetryEnv", () => {
  it("defaults to no OTLP export, warn-level diagnostics and the spec's export interval and timeout", () => {
    expect(telemetryEnv({})).toEqual({
      diagLogLevel: "warn",
      otlpTraces: false,
      otlpMetrics: false,
      metricExportIntervalMs: 60_000,
      metricExportTimeoutMs: 30_000,
    });
  });

  it("turns OTLP on per signal from the shared or the signal's endpoint", () => {
    expect(telemetryEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toMatchObject({ otlpTraces: true, otlpMetrics: true });
    expect(telemetryEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" })).toMatchObject({
      otlpTraces: true,
      otlpMetrics: false,
    });
    expect(telemetryEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: " " })).toMatchObject({ otlpMetrics: false });
  });

  it("falls back to the default for an invalid interval, as the OpenTelemetry spec asks", () => {
    expect(telemetryEnv({ OTEL_METRIC_EXPORT_INTERVAL: "soon", OTEL_METRIC_EXPORT_TIMEOUT: "-5" })).toMatchObject({
      metricExportIntervalMs: 60_000,
      metricExportTimeoutMs: 30_000,
    });
    expect(telemetryEnv({ OTEL_METRIC_EXPORT_INTERVAL: "5000" }).metricExportIntervalMs).toBe(5000);
  });
});
