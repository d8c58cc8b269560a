// Liveness, readiness and metrics: unauthenticated (probes and Prometheus scrape them).
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema } from "../problem.js";
import { BEARER, type App, type AppDeps } from "../context.js";

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["system"],
  summary: "Liveness: the process answers",
  responses: { 200: { description: "Alive", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } } },
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["system"],
  summary: "Readiness: the store is reachable and models are configured",
  description: "Model health does not gate readiness: a model scaled to zero must not take the evaluator out of service.",
  responses: {
    200: {
      description: "Ready",
      content: {
        "application/json": {
          schema: z.object({
            status: z.literal("ready"),
            store: z.string(),
            models: z.array(z.string()),
            sandbox: z
              .enum(["namespaces", "rlimits", "unavailable"])
              .openapi({ description: "The isolation code items run under; unavailable: they end as errors" }),
          }),
        },
      },
    },
    503: { description: "Not ready", content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } },
  },
});

const SandboxSchema = z
  .object({
    configured: z.enum(["auto", "namespaces", "rlimits"]).openapi({ description: "EVALSTACK_SANDBOX_ISOLATION" }),
    mode: z
      .enum(["namespaces", "rlimits", "unavailable"])
      .openapi({ description: "What code items run under; unavailable: every code item ends as an error" }),
    reason: z.string().nullable().openapi({ description: "Why the mode is not namespaces" }),
    program_user: z.enum(["own uid per slot", "evaluator's uid"]),
    concurrency: z.number().int(),
    running: z.number().int(),
    queued: z.number().int(),
  })
  .openapi("SandboxInfo");

const system = createRoute({
  method: "get",
  path: "/v1/system",
  tags: ["system"],
  summary: "This evaluator: its store, models, instance and code sandbox",
  security: BEARER,
  responses: {
    200: {
      description: "The evaluator's set-up",
      content: {
        "application/json": {
          schema: z.object({ instance: z.string(), store: z.string(), models: z.array(z.string()), sandbox: SandboxSchema }),
        },
      },
    },
  },
});

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["system"],
  summary: "Prometheus metrics",
  description:
    "evalstack_runs_total{status}, evalstack_items_total{model,outcome,dimension}, evalstack_pending_requests{model} (the autoscaling signal), gen_ai_client_operation_duration, gen_ai_client_token_usage.",
  responses: { 200: { description: "Prometheus text exposition", content: { "text/plain": { schema: z.string() } } } },
});

export function registerSystemRoutes(app: App, deps: AppDeps): void {
  app.openapi(healthz, (c) => c.json({ status: "ok" as const }, 200));

  app.openapi(readyz, async (c) => {
    try {
      await deps.store.ping();
    } catch (error) {
      throw new ApiError(503, `store (${deps.store.kind}) unreachable: ${(error as Error).message}`);
    }
    const models = deps.models.names();
    if (models.length === 0) throw new ApiError(503, "no models configured");
    return c.json({ status: "ready" as const, store: deps.store.kind, models, sandbox: (await deps.sandbox.isolation()).mode }, 200);
  });

  app.openapi(system, async (c) => {
    const isolation = await deps.sandbox.isolation();
    const load = deps.sandbox.load();
    return c.json(
      {
        instance: deps.config.instanceId,
        store: deps.store.kind,
        models: deps.models.names(),
        sandbox: {
          configured: isolation.configured,
          mode: isolation.mode,
          reason: isolation.reason,
          program_user: isolation.programUser,
          concurrency: load.size,
          running: load.running,
          queued: load.queued,
        },
      },
      200,
    );
  });

  app.openapi(metrics, async (c) => {
    if (!deps.metricsText) return c.text("# metrics are off in this process\n", 200);
    return c.text(await deps.metricsText(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });
}
