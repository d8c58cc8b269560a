// A run's capacity: attach the capacity result of one of its models (loadtests/capacity-search.ts, the
// evalstack.capacity/v1 file), optionally with a target to size for; the run's report then shows capacity
// next to the scores. A result measured on another serving configuration (weights, slots, threads, GPU)
// than the run's snapshot of that model is refused: it would not describe what was scored.
import { createRoute, z } from "@hono/zod-openapi";
import type { CapacityResult } from "@evalstack/capacity";
import { capacityRows, snapshotMismatch } from "../../reports/index.js";
import type { CapacityAttachment } from "../../store/types.js";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema } from "../problem.js";
import { RunIdParam } from "../schemas.js";
import { BEARER, type App, type AppDeps } from "../context.js";

const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } });

const Step = z.object({ rate: z.number(), meetsSlo: z.boolean(), violations: z.array(z.string()) }).passthrough();

/** The parts of a capacity result the evaluator reads; the rest is kept as posted. */
const CapacityResultSchema = z
  .object({
    schema: z.literal("evalstack.capacity/v1"),
    target: z.string(),
    model: z
      .object({
        name: z.string(),
        service: z.string(),
        sha256: z.string(),
        slots: z.number(),
        threads: z.number(),
        gpu: z.string(),
        gpuLayers: z.number(),
      })
      .nullable(),
    slo: z.object({ ttftP95Ms: z.number().positive(), tpotP95Ms: z.number().positive(), errorRate: z.number().min(0).max(1) }),
    workload: z.object({ prompts: z.string(), count: z.number(), maxTokens: z.number() }).passthrough(),
    sustainableRps: z.number().min(0),
    atSustainable: Step.nullable(),
    firstFailingRps: z.number().nullable(),
    noRateReason: z.string().nullable(),
    curve: z.array(Step),
    limitedByMaxRate: z.boolean(),
    startedAt: z.string(),
  })
  .passthrough()
  .openapi("CapacityResult", { description: "A capacity result file (loadtests/capacity-search.ts writes it)" });

const SizingSchema = z.strictObject({
  target_rps: z.number().positive().openapi({ description: "The request rate to size for", example: 5 }),
  headroom: z
    .number()
    .min(0)
    .lt(1)
    .default(0.2)
    .openapi({ description: "Share of each replica's sustainable rate held back", example: 0.2 }),
  gpus_per_replica: z.number().int().min(0).default(1),
  gpu_hour_usd: z.number().min(0).default(0).openapi({ example: 2.5 }),
});

const AttachSchema = z
  .strictObject({
    capacity: CapacityResultSchema,
    model: z.string().optional().openapi({ description: "The run's model it belongs to; default: the result's service name" }),
    sizing: SizingSchema.optional(),
  })
  .openapi("AttachCapacity");

const CapacityRowSchema = z.object({ model: z.string(), sustainable_rps: z.number() }).passthrough().openapi("CapacityRow");

const attachCapacity = createRoute({
  method: "post",
  path: "/v1/runs/{id}/capacity",
  tags: ["runs"],
  summary: "Attach a model's capacity result to a run (replaces an earlier one of that model)",
  security: BEARER,
  request: { params: RunIdParam, body: { content: { "application/json": { schema: AttachSchema } }, required: true } },
  responses: {
    200: {
      description: "The run's capacity rows, as its report shows them",
      content: { "application/json": { schema: z.array(CapacityRowSchema) } },
    },
    401: problem("Missing or wrong API key"),
    404: problem("Unknown run"),
    409: problem("The run has not reached that model yet (no snapshot to match)"),
    422: problem("Invalid result, a model not in the run, or a result from another serving configuration"),
  },
});

const listCapacity = createRoute({
  method: "get",
  path: "/v1/runs/{id}/capacity",
  tags: ["runs"],
  summary: "The capacity rows attached to a run",
  security: BEARER,
  request: { params: RunIdParam },
  responses: {
    200: {
      description: "One row per model with a capacity result",
      content: { "application/json": { schema: z.array(CapacityRowSchema) } },
    },
    401: problem("Missing or wrong API key"),
    404: problem("Unknown run"),
  },
});

export function registerCapacityRoutes(app: App, deps: AppDeps): void {
  app.openapi(attachCapacity, async (c) => {
    const id = c.req.valid("param").id;
    const body = c.req.valid("json");
    const run = await deps.store.getRunHeader(id);
    if (!run) throw new ApiError(404, `unknown run "${id}"`);
    const result = body.capacity as unknown as CapacityResult;
    const model = body.model ?? result.model?.service;
    if (!model)
      throw new ApiError(422, "model: the result names no model; say which of the run's models it belongs to", [
        { path: "model", message: "required" },
      ]);
    if (!run.models.includes(model)) {
      throw new ApiError(422, `model: "${model}" is not one of this run's models (${run.models.join(", ")})`, [
        { path: "model", message: `not in the run` },
      ]);
    }
    const snapshot = run.model_snapshots.find((s) => s.name === model);
    if (!snapshot)
      throw new ApiError(
        409,
        `run ${id} has no snapshot of ${model} yet (it is taken when the run first reaches the model): attach the capacity once the run has started`,
      );
    const mismatch = snapshotMismatch(snapshot, result);
    if (mismatch) throw new ApiError(422, `${mismatch.field}: ${mismatch.message}`, [{ path: mismatch.field, message: mismatch.message }]);
    const attachment: CapacityAttachment = {
      run_id: id,
      model,
      result: body.capacity,
      sizing: body.sizing ?? null,
      attached_at: new Date().toISOString(),
    };
    await deps.store.attachCapacity(attachment);
    return c.json(capacityRows(await deps.store.listCapacity(id)), 200);
  });

  app.openapi(listCapacity, async (c) => {
    const id = c.req.valid("param").id;
    if (!(await deps.store.getRunHeader(id))) throw new ApiError(404, `unknown run "${id}"`);
    return c.json(capacityRows(await deps.store.listCapacity(id)), 200);
  });
}
