/**
 * A SERVER span for one HTTP request, child of the W3C `traceparent` the caller sent: the HTTP twin of
 * grpcServerInterceptor, for servers written on node:http (no require-hook auto-instrumentation under ESM).
 */
import type { IncomingHttpHeaders } from "node:http";
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type TextMapGetter } from "@opentelemetry/api";
import { INSTRUMENTATION_SCOPE } from "./startTelemetry.js";

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

export interface HttpServerSpan {
  /** The context to run the request's work in (logs carry its trace id, child spans nest under it). */
  context: Context;
  /** Ends the span with the response status; 5xx marks it an error. Later calls do nothing. */
  end(statusCode: number): void;
}

export function startHttpServerSpan(method: string, route: string, headers: IncomingHttpHeaders): HttpServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  const span = trace
    .getTracer(INSTRUMENTATION_SCOPE)
    .startSpan(`${method} ${route}`, { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "http.route": route } }, parent);
  let ended = false;
  return {
    context: trace.setSpan(parent, span),
    end(statusCode) {
      if (ended) return;
      ended = true;
      span.setAttribute("http.response.status_code", statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
