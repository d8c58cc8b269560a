// Per request: an id (the caller's X-Request-Id or a new one), a server span continuing the caller's trace,
// a child logger carrying the id, and one log line at the end (health and metrics probes at debug level).
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { SpanKind, SpanStatusCode, context, propagation, trace, type Tracer } from "@evalstack/telemetry";
import type { AppEnv } from "../context.js";

const PROBE_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

export function requestContext(deps: { tracer: Tracer; log: Logger }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = c.req.header("x-request-id")?.slice(0, 128) || randomUUID();
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const parent = propagation.extract(context.active(), headers);
    const span = deps.tracer.startSpan(
      `${c.req.method} ${c.req.path}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": c.req.method, "url.path": c.req.path, "evalstack.request_id": requestId },
      },
      parent,
    );
    const log = deps.log.child({ request_id: requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    const started = performance.now();
    await context.with(trace.setSpan(parent, span), async () => {
      try {
        await next();
      } finally {
        const status = c.res.status;
        span.updateName(`${c.req.method} ${c.req.routePath}`);
        span.setAttribute("http.route", c.req.routePath);
        span.setAttribute("http.response.status_code", status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        c.res.headers.set("x-request-id", requestId);
        const line = { method: c.req.method, path: c.req.path, status, ms: Math.round((performance.now() - started) * 10) / 10 };
        if (status >= 500) log.error(line, "request failed");
        else if (PROBE_PATHS.has(c.req.path)) log.debug(line, "request");
        else log.info(line, "request");
      }
    });
  };
}
