// Runs: create, list, read (progress + per-model per-dimension summary), items (json/csv), summary rows,
// the report, server-sent events, cancel.
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { renderReport, REPORT_FORMATS, type DimensionReport, type ReportFormat } from "../../reports/index.js";
import { ReportCache } from "../../reports/reportCache.js";
import { RunSummaryCache } from "../../reports/summaryCache.js";
import { EventStreamSlots, streamRunEvents } from "../../runs/eventStream.js";
import { SuiteValidationError, validateItemList } from "../../scoring/index.js";
import { RUN_STATUSES, TERMINAL_STATUSES, type RunCounts, type RunRecord, type RunStatus, type Store } from "../../store/types.js";
import { toCsv } from "../csv.js";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema, type FieldIssue, summarize } from "../problem.js";
import { ITEM_COLUMNS, RUN_ROW_COLUMNS, SUMMARY_COLUMNS, comparisonRows, itemRow, progress, runRow, summaryRows } from "../rows.js";
import {
  CreateRunSchema,
  ItemQuerySchema,
  ItemRowSchema,
  ListQuerySchema,
  RunIdParam,
  RunRowSchema,
  RunSchema,
  SummaryRowSchema,
} from "../schemas.js";
import { BEARER, type App, type AppDeps } from "../context.js";
import { findSuite } from "./suites.js";
import { selectItems, suiteIds } from "../../suites/selectItems.js";

const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } });
const unauthorized = { 401: problem("Missing or wrong API key") };
const notFound = { 404: problem("Unknown run") };
const csvHeaders = { "content-type": "text/csv; charset=utf-8" };
/** What a refused event-stream client is told to wait before trying again. */
const STREAM_RETRY_AFTER_S = 5;

const createRun = createRoute({
  method: "post",
  path: "/v1/runs",
  tags: ["runs"],
  summary: "Start a run: every item of a suite sent to every model, `repeats` times",
  security: BEARER,
  request: { body: { required: true, content: { "application/json": { schema: CreateRunSchema } } } },
  responses: {
    201: { description: "Created (queued); Location names it", content: { "application/json": { schema: RunSchema } } },
    400: problem("Malformed JSON"),
    ...unauthorized,
    413: problem("Body over the limit"),
    415: problem("Not JSON"),
    422: problem("Invalid run (unknown model or suite, repeats out of range, ...)"),
  },
});

const listRuns = createRoute({
  method: "get",
  path: "/v1/runs",
  tags: ["runs"],
  summary: "Runs, newest first (a bare array; X-Total-Count and Link headers paginate)",
  security: BEARER,
  request: {
    query: ListQuerySchema.extend({
      status: z
        .string()
        .optional()
        .openapi({ description: `Comma-separated: ${RUN_STATUSES.join(", ")}`, example: "running,queued" }),
    }),
  },
  responses: {
    200: {
      description: "One row per run",
      content: { "application/json": { schema: z.array(RunRowSchema) }, "text/csv": { schema: z.string() } },
    },
    400: problem("Bad query parameter"),
    ...unauthorized,
  },
});

const getRun = createRoute({
  method: "get",
  path: "/v1/runs/{id}",
  tags: ["runs"],
  summary: "A run: status, progress, model snapshots, per-model per-dimension summary",
  security: BEARER,
  request: { params: RunIdParam },
  responses: { 200: { description: "The run", content: { "application/json": { schema: RunSchema } } }, ...unauthorized, ...notFound },
});

const listItems = createRoute({
  method: "get",
  path: "/v1/runs/{id}/items",
  tags: ["runs"],
  summary: "A run's stored replies with timings and check results (a bare array or CSV; X-Total-Count and Link paginate)",
  security: BEARER,
  request: { params: RunIdParam, query: ItemQuerySchema },
  responses: {
    200: {
      description: "One row per (item, model, repeat)",
      content: { "application/json": { schema: z.array(ItemRowSchema) }, "text/csv": { schema: z.string() } },
    },
    400: problem("Bad query parameter"),
    ...unauthorized,
    ...notFound,
  },
});

const getSummary = createRoute({
  method: "get",
  path: "/v1/runs/{id}/summary",
  tags: ["runs"],
  summary: "Per model per dimension scores with 95% Wilson intervals, as flat rows",
  security: BEARER,
  request: { params: RunIdParam, query: z.object({ format: z.enum(["json", "csv"]).default("json") }) },
  responses: {
    200: {
      description: "One row per (model, dimension)",
      content: { "application/json": { schema: z.array(SummaryRowSchema) }, "text/csv": { schema: z.string() } },
    },
    ...unauthorized,
    ...notFound,
  },
});

const getReport = createRoute({
  method: "get",
  path: "/v1/runs/{id}/report",
  tags: ["runs"],
  summary: "The run's report: markdown, HTML, JSON or CSV",
  security: BEARER,
  request: {
    params: RunIdParam,
    query: z.object({ format: z.enum(REPORT_FORMATS as unknown as [ReportFormat, ...ReportFormat[]]).default("md") }),
  },
  responses: {
    200: {
      description: "The report",
      content: {
        "text/markdown": { schema: z.string() },
        "text/html": { schema: z.string() },
        "application/json": { schema: z.object({}).catchall(z.unknown()).openapi({ description: "The Report object" }) },
        "text/csv": { schema: z.string() },
      },
    },
    400: problem("Unknown format"),
    ...unauthorized,
    ...notFound,
  },
});

const runEvents = createRoute({
  method: "get",
  path: "/v1/runs/{id}/events",
  tags: ["runs"],
  summary: "Server-sent events: item_completed (id = the item's seq; Last-Event-ID resumes), progress, run_completed",
  security: BEARER,
  request: { params: RunIdParam },
  responses: {
    200: { description: "An event stream; it ends after run_completed", content: { "text/event-stream": { schema: z.string() } } },
    ...unauthorized,
    ...notFound,
    429: problem("Too many event streams open (on this run or on this evaluator); Retry-After says when to try again"),
  },
});

const cancelRun = createRoute({
  method: "post",
  path: "/v1/runs/{id}/cancel",
  tags: ["runs"],
  summary: "Cancel a queued or running run (items in flight are cancelled on the model services)",
  security: BEARER,
  request: { params: RunIdParam },
  responses: {
    200: { description: "The run, cancelled", content: { "application/json": { schema: RunSchema } } },
    ...unauthorized,
    ...notFound,
    409: problem("The run has already finished"),
  },
});

async function mustGetRun(store: Store, id: string): Promise<RunRecord> {
  const run = await store.getRun(id);
  if (!run) throw new ApiError(404, `unknown run "${id}"`);
  return run;
}

export function runJson(run: RunRecord, counts: RunCounts, dimensions: DimensionReport[]) {
  return {
    id: run.id,
    suite_id: run.suite_id,
    status: run.status,
    models: run.models,
    repeats: run.repeats,
    sampling: run.sampling,
    max_tokens: run.max_tokens,
    concurrency: run.concurrency,
    total_items: run.total_items,
    created_at: run.created_at,
    started_at: run.started_at,
    completed_at: run.completed_at,
    error: run.error,
    owner: run.owner,
    progress: progress(run, counts),
    model_snapshots: run.model_snapshots,
    summary: summaryRows({ dimensions }),
    comparisons: comparisonRows({ dimensions }),
  };
}

/** X-Total-Count and an RFC 8288 Link to the next page. */
function pageHeaders(url: string, total: number, limit: number, offset: number): Record<string, string> {
  const headers: Record<string, string> = { "x-total-count": String(total) };
  if (offset + limit < total) {
    const next = new URL(url);
    next.searchParams.set("offset", String(offset + limit));
    next.searchParams.set("limit", String(limit));
    headers.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return headers;
}

export function registerRunRoutes(app: App, deps: AppDeps): void {
  const reports = new ReportCache(deps.store, deps.config.latencyTargets);
  const summaries = new RunSummaryCache(deps.store, deps.config.latencyTargets);
  const streams = new EventStreamSlots(deps.config.maxEventStreams, deps.config.maxEventStreamsPerRun);

  app.openapi(createRun, async (c) => {
    const body = c.req.valid("json");
    const issues: FieldIssue[] = [];
    body.models.forEach((m, i) => {
      if (!deps.models.has(m))
        issues.push({ path: `models[${i}]`, message: `unknown model "${m}"; configured: ${deps.models.names().join(", ")}` });
    });
    const concurrency: Record<string, number> = {};
    if (typeof body.concurrency === "number") for (const m of body.models) concurrency[m] = body.concurrency;
    else if (body.concurrency) {
      for (const [m, n] of Object.entries(body.concurrency)) {
        if (!body.models.includes(m)) issues.push({ path: `concurrency.${m}`, message: `"${m}" is not one of this run's models` });
        else concurrency[m] = n;
      }
    }
    const ids = suiteIds(body.suite);
    const suites = await Promise.all(ids.map((id) => findSuite(deps, id)));
    suites.forEach((s, i) => {
      if (!s) issues.push({ path: "suite", message: `unknown suite "${ids[i]}" (GET /v1/suites lists them)` });
      else if (!s.builtin) {
        // A suite stored before a validation rule tightened (e.g. a lookahead the regex engine refuses) is
        // refused here rather than failing item by item.
        try {
          validateItemList(s.items, (j) => `${ids.length > 1 ? `suite ${s.id}` : "suite"}.items[${j}]`);
        } catch (error) {
          if (!(error instanceof SuiteValidationError)) throw error;
          issues.push(...error.issues);
        }
      }
    });
    const found = suites.filter((s) => s !== null);
    const selected = selectItems(found, { limit: body.limit, shuffleSeed: body.shuffle_seed });
    if (found.length === suites.length) issues.push(...selected.issues);
    if (ids.length === 0) issues.push({ path: "suite", message: "name at least one suite" });
    if (issues.length) throw new ApiError(422, summarize(issues), issues);
    const run = await deps.runs.createRun({
      suite_id: ids.join(","),
      models: body.models,
      repeats: body.repeats,
      sampling: body.sampling,
      max_tokens: body.max_tokens ?? null,
      concurrency,
      items: selected.items,
    });
    const counts = await deps.store.counts(run.id);
    return c.json(runJson(run, counts, await summaries.dimensions(run)), 201, { location: `/v1/runs/${run.id}` });
  });

  app.openapi(listRuns, async (c) => {
    const query = c.req.valid("query");
    let status: RunStatus[] | undefined;
    if (query.status) {
      status = query.status
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean) as RunStatus[];
      const bad = status.filter((s) => !RUN_STATUSES.includes(s));
      if (bad.length)
        throw new ApiError(400, `status: unknown ${bad.join(", ")}; one of ${RUN_STATUSES.join(", ")}`, [
          { path: "status", message: `unknown status ${bad.join(", ")}` },
        ]);
    }
    const { runs, total } = await deps.store.listRuns({ status, limit: query.limit, offset: query.offset });
    const counts = await deps.store.countsFor(runs.map((r) => r.id));
    const rows = runs.map((r) => runRow(r, counts.get(r.id)!));
    const headers = pageHeaders(c.req.url, total, query.limit, query.offset);
    if (query.format === "csv") return c.body(toCsv(RUN_ROW_COLUMNS, rows), 200, { ...csvHeaders, ...headers });
    return c.json(rows, 200, headers);
  });

  app.openapi(getRun, async (c) => {
    const run = await mustGetRun(deps.store, c.req.valid("param").id);
    const counts = await deps.store.counts(run.id);
    return c.json(runJson(run, counts, await summaries.dimensions(run)), 200);
  });

  app.openapi(listItems, async (c) => {
    const run = await mustGetRun(deps.store, c.req.valid("param").id);
    const q = c.req.valid("query");
    const { items, total } = await deps.store.listItems(
      run.id,
      {
        ...(q.model !== undefined ? { model: q.model } : {}),
        ...(q.dimension !== undefined ? { dimension: q.dimension } : {}),
        ...(q.passed !== undefined ? { passed: q.passed === "true" } : {}),
        ...(q.status !== undefined ? { status: q.status } : {}),
      },
      q.limit,
      q.offset,
    );
    const rows = items.map(itemRow);
    const headers = pageHeaders(c.req.url, total, q.limit, q.offset);
    if (q.format === "csv") return c.body(toCsv(ITEM_COLUMNS, rows), 200, { ...csvHeaders, ...headers });
    return c.json(rows, 200, headers);
  });

  app.openapi(getSummary, async (c) => {
    const run = await mustGetRun(deps.store, c.req.valid("param").id);
    const rows = summaryRows({ dimensions: await summaries.dimensions(run) });
    if (c.req.valid("query").format === "csv") return c.body(toCsv(SUMMARY_COLUMNS, rows), 200, csvHeaders);
    return c.json(rows, 200);
  });

  app.openapi(getReport, async (c) => {
    const run = await mustGetRun(deps.store, c.req.valid("param").id);
    const counts = await deps.store.counts(run.id);
    const { body, contentType } = renderReport(await reports.get(run, counts), c.req.valid("query").format);
    return c.body(body, 200, { "content-type": contentType });
  });

  app.openapi(cancelRun, async (c) => {
    const id = c.req.valid("param").id;
    const before = await mustGetRun(deps.store, id);
    if (TERMINAL_STATUSES.has(before.status)) throw new ApiError(409, `run ${id} has already finished (${before.status})`);
    const run = (await deps.runs.cancelRun(id))!;
    const counts = await deps.store.counts(id);
    return c.json(runJson(run, counts, await summaries.dimensions(run)), 200);
  });

  app.openapi(runEvents, async (c) => {
    const run = await mustGetRun(deps.store, c.req.valid("param").id);
    const resumeFrom = Number(c.req.header("last-event-id") ?? 0);
    const slot = streams.acquire(run.id);
    if ("refused" in slot)
      throw new ApiError(429, `${slot.refused}; retry later`, undefined, { "retry-after": String(STREAM_RETRY_AFTER_S) });
    return streamSSE(c, async (stream) => {
      const closed = new AbortController();
      stream.onAbort(() => closed.abort());
      try {
        await streamRunEvents(
          { store: deps.store, events: deps.runs.events, progress, itemRow },
          run,
          Number.isFinite(resumeFrom) && resumeFrom > 0 ? resumeFrom : 0,
          stream,
          closed.signal,
        );
      } finally {
        slot.release();
      }
    });
  });
}
