// Ad hoc: one conversation sent to several models at once, replies side by side with timings; and the same
// as server-sent events (delta per model as it is generated, then each model's result).
import { randomUUID } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { GenerationFailed, generateWithRetries, toGenerateRequest } from "../../models/generation.js";
import type { ModelHandle } from "../../models/modelRegistry.js";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema, type FieldIssue, summarize } from "../problem.js";
import { CompareRequestSchema, CompareResponseSchema } from "../schemas.js";
import { BEARER, type App, type AppDeps } from "../context.js";

const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } });
const errors = {
  400: problem("Malformed JSON"),
  401: problem("Missing or wrong API key"),
  413: problem("Body over the limit"),
  415: problem("Not JSON"),
  422: problem("Invalid request (unknown model, ...)"),
};

const compare = createRoute({
  method: "post",
  path: "/v1/compare",
  tags: ["compare"],
  summary: "Send one conversation to several models; the replies side by side with timings",
  security: BEARER,
  request: { body: { required: true, content: { "application/json": { schema: CompareRequestSchema } } } },
  responses: {
    200: { description: "One result per model, in the order asked", content: { "application/json": { schema: CompareResponseSchema } } },
    ...errors,
  },
});

const compareStream = createRoute({
  method: "post",
  path: "/v1/compare/stream",
  tags: ["compare"],
  summary: "The same, streamed: `delta` events ({model, delta}), a `result` per model, then `done`",
  security: BEARER,
  request: { body: { required: true, content: { "application/json": { schema: CompareRequestSchema } } } },
  responses: { 200: { description: "An event stream", content: { "text/event-stream": { schema: z.string() } } }, ...errors },
});

type CompareBody = z.infer<typeof CompareRequestSchema>;

function resolveModels(deps: AppDeps, body: CompareBody): ModelHandle[] {
  const names = body.models ?? deps.models.names();
  const issues: FieldIssue[] = [];
  names.forEach((m, i) => {
    if (!deps.models.has(m))
      issues.push({ path: `models[${i}]`, message: `unknown model "${m}"; configured: ${deps.models.names().join(", ")}` });
  });
  if (issues.length) throw new ApiError(422, summarize(issues), issues);
  return names.map((n) => deps.models.get(n)!);
}

async function generateOne(
  deps: AppDeps,
  handle: ModelHandle,
  body: CompareBody,
  id: string,
  signal: AbortSignal,
  onDelta?: (d: string) => void,
) {
  const request = toGenerateRequest(`${id}/${handle.name}`, body.messages, body.sampling, body.max_tokens);
  try {
    const { generation: g, attempts } = await generateWithRetries(handle, request, {
      signal,
      attemptTimeoutMs: deps.config.itemTimeoutMs,
      retryBudgetMs: body.retry_budget_ms ?? Math.min(30_000, deps.config.retryBudgetMs),
      onDelta,
    });
    return {
      model: handle.name,
      status: "completed" as const,
      reply: g.text,
      finish_reason: g.finish_reason,
      prompt_tokens: g.prompt_tokens,
      completion_tokens: g.completion_tokens,
      ...g.timings,
      client_ttft_ms: g.client_ttft_ms,
      client_total_ms: g.client_total_ms,
      attempts,
      error: null,
    };
  } catch (error) {
    if (!(error instanceof GenerationFailed)) throw error;
    return {
      model: handle.name,
      status: "error" as const,
      reply: "",
      finish_reason: "error",
      prompt_tokens: 0,
      completion_tokens: 0,
      queue_ms: 0,
      ttft_ms: 0,
      decode_ms: 0,
      total_ms: 0,
      tokens_per_second: 0,
      client_ttft_ms: null,
      client_total_ms: null,
      attempts: error.attempts,
      error: error.reason,
    };
  }
}

export function registerCompareRoutes(app: App, deps: AppDeps): void {
  app.openapi(compare, async (c) => {
    const body = c.req.valid("json");
    const handles = resolveModels(deps, body);
    const id = `cmp_${randomUUID()}`;
    // A client that hangs up cancels the generations (the model services free their slots).
    const signal = c.req.raw.signal;
    const results = await Promise.all(handles.map((h) => generateOne(deps, h, body, id, signal)));
    return c.json({ id, results }, 200);
  });

  app.openapi(compareStream, async (c) => {
    const body = c.req.valid("json");
    const handles = resolveModels(deps, body);
    const id = `cmp_${randomUUID()}`;
    return streamSSE(c, async (stream) => {
      const controller = new AbortController();
      stream.onAbort(() => controller.abort(new Error("client went away")));
      // Writes are serialised: deltas of several models interleave but never tear an event.
      let writing = Promise.resolve();
      const write = (event: string, data: unknown) => {
        writing = writing.then(() => stream.writeSSE({ event, data: JSON.stringify(data) })).catch(() => {});
        return writing;
      };
      await write("start", { id, models: handles.map((h) => h.name) });
      await Promise.all(
        handles.map(async (h) => {
          const result = await generateOne(deps, h, body, id, controller.signal, (delta) => void write("delta", { model: h.name, delta }));
          await write("result", result);
        }),
      ).catch(() => undefined);
      await write("done", { id });
    });
  });
}
