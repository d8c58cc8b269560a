// Run-to-run comparison: GET /v1/runs/{id}/diff/{other} (per model and dimension: score deltas with the
// exact McNemar test, and the items that newly pass or newly fail) and /v1/runs/{id}/diff/{other}/items
// (one row per item: what changed, both replies, the failed checks). Flat rows, as JSON or CSV, so each is
// one pandas call. The logic is in runs/runDiff.ts.
import { createRoute, z } from "@hono/zod-openapi";
import { DIMENSIONS } from "../../suites/types.js";
import type { RunItemResult } from "../../runs/types.js";
import {
  DIMENSION_DIFF_COLUMNS,
  ITEM_CHANGES,
  ITEM_DIFF_COLUMNS,
  RunDiffError,
  diffRuns,
  pairModels,
  type DiffRun,
  type ItemChange,
} from "../../runs/runDiff.js";
import { toCsv } from "../csv.js";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema } from "../problem.js";
import { BEARER, type App, type AppDeps } from "../context.js";
import { allItems } from "../../reports/reportCache.js";

const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } });
const csvHeaders = { "content-type": "text/csv; charset=utf-8" };

const DiffParams = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, description: "Run A (the baseline)", example: "run_0m3x8z1k2abcdefgh" }),
  other: z
    .string()
    .min(1)
    .max(128)
    .openapi({
      param: { name: "other", in: "path" },
      description: "Run B (compared with A; deltas are B − A)",
      example: "run_0m3x9a7q0hijklmno",
    }),
});

const PairQuery = {
  model_a: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .openapi({ description: "Run A's model to compare (default: every model both runs share; with one model each, those two)" }),
  model_b: z.string().min(1).max(63).optional().openapi({ description: "Run B's model to compare with model_a (default: the same name)" }),
  format: z.enum(["json", "csv"]).default("json"),
};

const num = z.number().nullable();

export const DimensionDiffRowSchema = z
  .object({
    run_a: z.string(),
    run_b: z.string(),
    suite_id: z.string(),
    status_a: z.string(),
    status_b: z.string(),
    model_a: z.string(),
    model_b: z.string(),
    model_name_a: z.string().nullable().openapi({ description: "The model actually loaded in run A (GGUF metadata)" }),
    model_name_b: z.string().nullable(),
    same_weights: z.boolean().nullable().openapi({ description: "Both runs loaded the same GGUF (sha256); null when unknown" }),
    dimension: z.string(),
    paired_items: z.number().int().openapi({ description: "Items with replies in both runs" }),
    items_a: z.number().int(),
    items_b: z.number().int(),
    score_a: num.openapi({ description: "0-10 (pass rate x 10); null without replies" }),
    score_b: num,
    score_delta: num.openapi({ description: "score_b - score_a" }),
    ci_low_a: num.openapi({ description: "95% Wilson interval of score_a" }),
    ci_high_a: num,
    ci_low_b: num,
    ci_high_b: num,
    instruction_score_a: num.openapi({ description: "Mean share of checks passed, 0-1" }),
    instruction_score_b: num,
    instruction_score_delta: num,
    improved_items: z.number().int().openapi({ description: "Paired items with a higher pass rate in B" }),
    regressed_items: z.number().int().openapi({ description: "Paired items with a higher pass rate in A" }),
    p_value: z.number().openapi({ description: "Exact two-sided McNemar test on the paired items" }),
    significant: z.boolean().openapi({ description: "p < 0.05 with enough discordant items to tell" }),
    verdict: z.enum(["improved", "regressed", "no_significant_difference", "sample_too_small"]),
    newly_passed: z.number().int().openapi({ description: "Items that fail in A and pass in B (at least half their repeats pass)" }),
    newly_failed: z.number().int(),
    newly_passed_items: z.string().openapi({ description: "Their ids, comma-separated" }),
    newly_failed_items: z.string(),
    summary: z.string(),
  })
  .openapi("DimensionDiffRow");

export const ItemDiffRowSchema = z
  .object({
    run_a: z.string(),
    run_b: z.string(),
    model_a: z.string(),
    model_b: z.string(),
    item_id: z.string(),
    dimension: z.string(),
    change: z.enum(ITEM_CHANGES as unknown as [ItemChange, ...ItemChange[]]),
    passed_a: z.boolean().nullable(),
    passed_b: z.boolean().nullable(),
    pass_rate_a: num.openapi({ description: "Mean over repeats, 0-1; null when run A has no reply" }),
    pass_rate_b: num,
    pass_rate_delta: num,
    instruction_score_a: num,
    instruction_score_b: num,
    replies_a: z.number().int(),
    replies_b: z.number().int(),
    errors_a: z.number().int(),
    errors_b: z.number().int(),
    ttft_ms_a: num.openapi({ description: "Median over completed repeats" }),
    ttft_ms_b: num,
    tokens_per_second_a: num,
    tokens_per_second_b: num,
    reply_a: z.string().nullable().openapi({ description: "The first repeat's reply" }),
    reply_b: z.string().nullable(),
    failed_checks_a: z.string().nullable().openapi({ description: "The first repeat's failed checks, 'type: detail' joined with ' | '" }),
    failed_checks_b: z.string().nullable(),
  })
  .openapi("ItemDiffRow");

const errors = {
  400: problem("Bad query parameter"),
  401: problem("Missing or wrong API key"),
  404: problem("Unknown run (either one)"),
  422: problem("The runs are over different suites, or the models asked for are not in them"),
};

const getDiff = createRoute({
  method: "get",
  path: "/v1/runs/{id}/diff/{other}",
  tags: ["runs"],
  summary:
    "What changed from run A to run B (same suite): per model and dimension, score deltas with significance and the items that newly pass or fail",
  security: BEARER,
  request: { params: DiffParams, query: z.object(PairQuery) },
  responses: {
    200: {
      description: "One row per (model pair, dimension)",
      content: { "application/json": { schema: z.array(DimensionDiffRowSchema) }, "text/csv": { schema: z.string() } },
    },
    ...errors,
  },
});

const getDiffItems = createRoute({
  method: "get",
  path: "/v1/runs/{id}/diff/{other}/items",
  tags: ["runs"],
  summary: "What changed from run A to run B, item by item: the change, both pass rates and replies, the failed checks",
  security: BEARER,
  request: {
    params: DiffParams,
    query: z.object({
      ...PairQuery,
      change: z
        .string()
        .optional()
        .openapi({ description: `Comma-separated: ${ITEM_CHANGES.join(", ")}`, example: "newly_passed,newly_failed" }),
      dimension: z.enum(DIMENSIONS as unknown as [string, ...string[]]).optional(),
    }),
  },
  responses: {
    200: {
      description: "One row per (model pair, item)",
      content: { "application/json": { schema: z.array(ItemDiffRowSchema) }, "text/csv": { schema: z.string() } },
    },
    ...errors,
  },
});

async function loadRun(deps: AppDeps, id: string, path: string): Promise<DiffRun> {
  const run = await deps.store.getRunHeader(id);
  if (!run) throw new ApiError(404, `unknown run "${id}"`, [{ path, message: "unknown run" }]);
  const items: RunItemResult[] = (await allItems(deps.store, id)).map(({ seq: _seq, ...rest }) => rest);
  return { ...run, items };
}

async function computeDiff(
  deps: AppDeps,
  params: { id: string; other: string },
  query: { model_a?: string | undefined; model_b?: string | undefined },
) {
  const a = await loadRun(deps, params.id, "path.id");
  const b = params.other === params.id ? a : await loadRun(deps, params.other, "path.other");
  try {
    const pairs = pairModels(a, b, {
      ...(query.model_a !== undefined ? { model_a: query.model_a } : {}),
      ...(query.model_b !== undefined ? { model_b: query.model_b } : {}),
    });
    return diffRuns(a, b, { pairs, latencyTargets: deps.config.latencyTargets });
  } catch (error) {
    if (error instanceof RunDiffError) throw new ApiError(error.status, error.message, [{ path: error.path, message: error.message }]);
    throw error;
  }
}

export function registerRunDiffRoutes(app: App, deps: AppDeps): void {
  app.openapi(getDiff, async (c) => {
    const query = c.req.valid("query");
    const { dimensions } = await computeDiff(deps, c.req.valid("param"), query);
    if (query.format === "csv") return c.body(toCsv(DIMENSION_DIFF_COLUMNS, dimensions), 200, csvHeaders);
    return c.json(dimensions, 200);
  });

  app.openapi(getDiffItems, async (c) => {
    const query = c.req.valid("query");
    let changes: ItemChange[] | undefined;
    if (query.change) {
      changes = query.change
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean) as ItemChange[];
      const bad = changes.filter((s) => !ITEM_CHANGES.includes(s));
      if (bad.length)
        throw new ApiError(400, `change: unknown ${bad.join(", ")}; one of ${ITEM_CHANGES.join(", ")}`, [
          { path: "query.change", message: `unknown change ${bad.join(", ")}` },
        ]);
    }
    const { items } = await computeDiff(deps, c.req.valid("param"), query);
    const rows = items.filter((r) => (!changes || changes.includes(r.change)) && (!query.dimension || r.dimension === query.dimension));
    if (query.format === "csv") return c.body(toCsv(ITEM_DIFF_COLUMNS, rows), 200, csvHeaders);
    return c.json(rows, 200);
  });
}
