// POST /v1/score: one reply scored against one item, no model involved.
import { createRoute } from "@hono/zod-openapi";
import { scoreLatency, scoreReply, validateItem } from "../../scoring/index.js";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema } from "../problem.js";
import { ItemScoreSchema, ScoreRequestSchema } from "../schemas.js";
import { BEARER, type App, type AppDeps } from "../context.js";

const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } });

const score = createRoute({
  method: "post",
  path: "/v1/score",
  tags: ["score"],
  summary: "Score one reply against one suite item (latency items: against the latency targets, from `timings`)",
  security: BEARER,
  request: { body: { required: true, content: { "application/json": { schema: ScoreRequestSchema } } } },
  responses: {
    200: {
      description: "Prompt-level pass, instruction-level score, each check's result",
      content: { "application/json": { schema: ItemScoreSchema } },
    },
    400: problem("Malformed JSON"),
    401: problem("Missing or wrong API key"),
    413: problem("Body over the limit"),
    415: problem("Not JSON"),
    422: problem("Invalid item (each field at fault is named, e.g. item.checks[0].type)"),
    503: problem("A code item while the sandbox's queue is full (EVALSTACK_SANDBOX_QUEUE_LIMIT); Retry-After says when to try again"),
  },
});

export function registerScoreRoutes(app: App, deps: AppDeps): void {
  app.openapi(score, async (c) => {
    const body = c.req.valid("json");
    const item = validateItem(body.item);
    if (item.dimension === "latency" && body.timings) {
      const result = scoreLatency({ queue_ms: 0, decode_ms: 0, total_ms: 0, ...body.timings }, deps.config.latencyTargets);
      return c.json(result, 200);
    }
    // Code checks queue for a sandbox slot; past the bound a scoring request is refused rather than piling up.
    if (item.checks.some((check) => check.type === "code") && deps.sandbox.saturated()) {
      const { running, queued } = deps.sandbox.load();
      throw new ApiError(503, `the code sandbox is busy (${running} programs running, ${queued} waiting); retry later`, undefined, {
        "retry-after": "1",
      });
    }
    return c.json(await scoreReply(item, body.reply, { sandbox: deps.sandbox }), 200);
  });
}
