// GET /v1/models: each configured model with its health and what it reports about itself (GetModelInfo).
import { createRoute, z } from "@hono/zod-openapi";
import { toCsv } from "../csv.js";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema } from "../problem.js";
import { MODEL_COLUMNS, modelRow } from "../rows.js";
import { ModelRowSchema } from "../schemas.js";
import { BEARER, type App, type AppDeps } from "../context.js";
import type { ModelHandle } from "../../models/modelRegistry.js";

const errors = {
  401: { description: "Missing or wrong API key", content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } },
};

const listModels = createRoute({
  method: "get",
  path: "/v1/models",
  tags: ["models"],
  summary: "The configured models, their health and what they report (GetModelInfo; an OpenAI target: its served model)",
  security: BEARER,
  request: { query: z.object({ format: z.enum(["json", "csv"]).default("json") }) },
  responses: {
    200: {
      description: "One row per model",
      content: { "application/json": { schema: z.array(ModelRowSchema) }, "text/csv": { schema: z.string() } },
    },
    ...errors,
  },
});

const getModel = createRoute({
  method: "get",
  path: "/v1/models/{name}",
  tags: ["models"],
  summary: "One model",
  security: BEARER,
  request: { params: z.object({ name: z.string().openapi({ param: { name: "name", in: "path" }, example: "qwen" }) }) },
  responses: {
    200: { description: "The model", content: { "application/json": { schema: ModelRowSchema } } },
    404: { description: "Unknown model", content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } },
    ...errors,
  },
});

async function describe(deps: AppDeps, handle: ModelHandle) {
  const [health, info] = await Promise.all([
    handle.checkHealth(2_000),
    handle.describe(3_000).then(
      (d) => ({ info: d, error: null }),
      (e: { details?: string; message: string }) => ({ info: undefined, error: e.details || e.message }),
    ),
  ]);
  return modelRow(
    {
      name: handle.name,
      kind: handle.kind,
      target: handle.target,
      health: health.status,
      health_error: health.error ?? null,
      pending_requests: deps.runs.pendingFor(handle.name),
      concurrency: handle.limiter.capacity,
      in_flight: handle.limiter.inUse,
    },
    info.info,
    info.error,
  );
}

export function registerModelRoutes(app: App, deps: AppDeps): void {
  app.openapi(listModels, async (c) => {
    const rows = await Promise.all(deps.models.list().map((h) => describe(deps, h)));
    if (c.req.valid("query").format === "csv")
      return c.body(toCsv(MODEL_COLUMNS, rows), 200, { "content-type": "text/csv; charset=utf-8" });
    return c.json(rows, 200);
  });

  app.openapi(getModel, async (c) => {
    const { name } = c.req.valid("param");
    const handle = deps.models.get(name);
    if (!handle) throw new ApiError(404, `unknown model "${name}"; configured: ${deps.models.names().join(", ")}`);
    return c.json(await describe(deps, handle), 200);
  });
}
