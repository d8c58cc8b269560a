import { hostname } from "node:os";
import { context, trace } from "@opentelemetry/api";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export interface TraceLogFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * `trace_id` / `span_id` / `trace_flags` of the span active now, or `{}` outside any span. Use as a pino
 * `mixin` on a logger you create yourself: `pino({ mixin: traceLogFields })`.
 */
export function traceLogFields(): TraceLogFields {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return {};
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}`.slice(-2) };
}

export interface CreateLoggerOptions {
  /** Default: `LOG_LEVEL` from the environment, else "info". */
  level?: string;
  /** Default: stdout. */
  destination?: DestinationStream;
  /** Fields on every line (pino's `base`; `pid` and `hostname` stay unless you override them). */
  base?: Record<string, unknown>;
}

/**
 * A pino logger writing JSON lines, each with `name` and, inside a span, the span's `trace_id` and
 * `span_id` (what lets you jump from a log line to its trace, and join the evaluator's and the model
 * service's lines for one run item).
 */
export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    name,
    level: options.level ?? process.env.LOG_LEVEL ?? "info",
    mixin: traceLogFields,
    ...(options.base ? { base: { pid: process.pid, hostname: hostname(), ...options.base } } : {}),
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
