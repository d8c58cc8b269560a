// Suites: the built-in ones and uploaded ones (JSON, or JSONL with ?id=), validated field by field.
import { createRoute, z } from "@hono/zod-openapi";
import { builtinSuite, builtinSuites, parseSuiteText, validateSuiteItems } from "../../suites/index.js";
import type { Suite } from "../../suites/types.js";
import { toCsv } from "../csv.js";
import { ApiError, PROBLEM_CONTENT_TYPE, ProblemSchema } from "../problem.js";
import { CreateSuiteSchema, SUITE_ID, SuiteRowSchema, SuiteSchema } from "../schemas.js";
import { BEARER, type App, type AppDeps } from "../context.js";

const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } });

const listSuites = createRoute({
  method: "get",
  path: "/v1/suites",
  tags: ["suites"],
  summary: "Built-in and uploaded suites",
  security: BEARER,
  request: { query: z.object({ format: z.enum(["json", "csv"]).default("json") }) },
  responses: {
    200: {
      description: "One row per suite",
      content: { "application/json": { schema: z.array(SuiteRowSchema) }, "text/csv": { schema: z.string() } },
    },
    401: problem("Missing or wrong API key"),
  },
});

const getSuite = createRoute({
  method: "get",
  path: "/v1/suites/{id}",
  tags: ["suites"],
  summary: "A suite with its items",
  security: BEARER,
  request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "smoke-6" }) }) },
  responses: {
    200: { description: "The suite", content: { "application/json": { schema: SuiteSchema } } },
    401: problem("Missing or wrong API key"),
    404: problem("Unknown suite"),
  },
});

const createSuite = createRoute({
  method: "post",
  path: "/v1/suites",
  tags: ["suites"],
  summary: "Upload a suite (JSON body, or JSONL with ?id=&description=)",
  security: BEARER,
  request: {
    query: z.object({
      id: z.string().optional().openapi({ description: "Suite id, for a JSONL upload" }),
      description: z.string().optional().openapi({ description: "For a JSONL upload" }),
    }),
    body: {
      // Not `required`: the JSON validator would then reject a JSONL body as absent. A JSON body is still
      // validated against CreateSuite; an empty one is refused in the handler.
      required: false,
      content: {
        "application/json": { schema: CreateSuiteSchema },
        "application/x-ndjson": { schema: z.string().openapi({ description: "One item per line (JSONL)" }) },
      },
    },
  },
  responses: {
    201: { description: "Stored", content: { "application/json": { schema: SuiteRowSchema } } },
    400: problem("Malformed JSON or JSONL"),
    401: problem("Missing or wrong API key"),
    409: problem("The id is taken"),
    413: problem("Body over the limit"),
    415: problem("Neither JSON nor JSONL"),
    422: problem("Invalid suite (each field at fault is named)"),
  },
});

export async function findSuite(deps: AppDeps, id: string): Promise<(Suite & { created_at: string | null }) | null> {
  const builtin = builtinSuite(id);
  if (builtin) return { ...builtin, created_at: null };
  return deps.store.getSuite(id);
}

const JSONL_TYPES = ["application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines", "text/jsonl"];

export function registerSuiteRoutes(app: App, deps: AppDeps): void {
  app.openapi(listSuites, async (c) => {
    const rows = [
      ...builtinSuites().map((s) => ({
        id: s.id,
        description: s.description,
        builtin: true,
        item_count: s.items.length,
        created_at: null as string | null,
      })),
      ...(await deps.store.listSuites()).map((s) => ({ ...s, builtin: false, created_at: s.created_at as string | null })),
    ];
    if (c.req.valid("query").format === "csv") {
      return c.body(toCsv(["id", "description", "builtin", "item_count", "created_at"], rows), 200, {
        "content-type": "text/csv; charset=utf-8",
      });
    }
    return c.json(rows, 200);
  });

  app.openapi(getSuite, async (c) => {
    const { id } = c.req.valid("param");
    const suite = await findSuite(deps, id);
    if (!suite) throw new ApiError(404, `unknown suite "${id}"`);
    return c.json(
      { id: suite.id, description: suite.description, builtin: suite.builtin, created_at: suite.created_at, items: suite.items },
      200,
    );
  });

  app.openapi(createSuite, async (c) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    let id: string;
    let description: string;
    let items: Suite["items"];
    if (JSONL_TYPES.includes(type)) {
      const query = c.req.valid("query");
      if (!query.id)
        throw new ApiError(422, "id: a JSONL upload names its suite with ?id=", [{ path: "id", message: "required (query parameter)" }]);
      if (!SUITE_ID.test(query.id)) {
        throw new ApiError(422, "id: lower-case letters, digits, '.', '_' or '-', at most 64 characters", [
          { path: "id", message: "lower-case letters, digits, '.', '_' or '-', at most 64 characters" },
        ]);
      }
      id = query.id;
      description = query.description ?? "";
      items = parseSuiteText(await c.req.text(), "jsonl");
    } else {
      const body = c.req.valid("json");
      if (typeof body === "string") throw new ApiError(415, "send a JSON suite as application/json, JSONL as application/x-ndjson");
      if (!body || typeof body.id !== "string" || !Array.isArray(body.items)) {
        throw new ApiError(422, "the body must be a suite: {id, description, items}", [
          { path: "id", message: "is required" },
          { path: "items", message: "is required" },
        ]);
      }
      id = body.id;
      description = body.description;
      items = validateSuiteItems(body.items);
    }
    if (builtinSuite(id)) throw new ApiError(409, `suite "${id}" is built in; choose another id`);
    const createdAt = new Date().toISOString();
    await deps.store.createSuite({ id, description, items, builtin: false }, createdAt);
    deps.log.info({ suite: id, items: items.length }, "suite stored");
    return c.json({ id, description, builtin: false, item_count: items.length, created_at: createdAt as string | null }, 201, {
      location: `/v1/suites/${id}`,
    });
  });
}
