// The evaluator's HTTP API (Hono): middleware (request id + log line, trace span, body limit, bearer auth),
// the routes, problem+json errors, the OpenAPI 3.1 document at /openapi.json and Swagger UI at /docs.
// `/` is left free for a web UI.
import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { SuiteValidationError } from "../scoring/index.js";
import { StoreConflictError } from "../store/types.js";
import { ApiError, issuePath, problemResponse, summarize, type FieldIssue } from "./problem.js";
import type { App, AppDeps, AppEnv } from "./context.js";
import { createKeyCheck } from "./middleware/apiKeys.js";
import { bearerAuth } from "./middleware/bearerAuth.js";
import { requestContext } from "./middleware/requestContext.js";
import { registerSystemRoutes } from "./routes/system.js";
import { registerModelRoutes } from "./routes/models.js";
import { registerSuiteRoutes } from "./routes/suites.js";
import { registerRunRoutes } from "./routes/runs.js";
import { registerRunDiffRoutes } from "./routes/runDiff.js";
import { registerCompareRoutes } from "./routes/compare.js";
import { registerScoreRoutes } from "./routes/score.js";
import { registerCapacityRoutes } from "./routes/capacity.js";
import { createUiRoutes } from "../ui/index.js";

export type { AppDeps } from "./context.js";

/** Paths that serve documentation rather than the API; everything else is in the OpenAPI document. */
export const DOC_PATHS = ["/openapi.json", "/docs"] as const;

export const API_VERSION = "1.0.0";

export function createApp(deps: AppDeps): App {
  const app: App = new OpenAPIHono<AppEnv>({
    // Request validation failures: the fields at fault, as problem+json (422 for a body, 400 for query/path).
    defaultHook: (result, c) => {
      if (result.success) return;
      const prefix = result.target === "json" ? "" : result.target === "param" ? "path" : result.target;
      const errors: FieldIssue[] = result.error.issues.flatMap((issue) =>
        issue.code === "unrecognized_keys"
          ? issue.keys.map((k) => ({ path: issuePath([...issue.path, k], prefix), message: "unknown field" }))
          : [{ path: issuePath(issue.path, prefix), message: issue.message }],
      );
      return problemResponse(result.target === "json" ? 422 : 400, summarize(errors), { errors, instance: c.req.path });
    },
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key from EVALSTACK_API_KEYS (not needed when the evaluator runs with EVALSTACK_AUTH=off)",
  });

  app.use("*", requestContext(deps));

  app.use(
    "*",
    bodyLimit({
      maxSize: deps.config.bodyLimitBytes,
      onError: (c) =>
        problemResponse(413, `request body over the limit of ${deps.config.bodyLimitBytes} bytes (EVALSTACK_BODY_LIMIT_BYTES)`, {
          instance: c.req.path,
        }),
    }),
  );

  if (deps.config.auth.enabled) app.use("/v1/*", bearerAuth(createKeyCheck(deps.config.auth)));

  registerSystemRoutes(app, deps);
  registerModelRoutes(app, deps);
  registerSuiteRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerRunDiffRoutes(app, deps);
  registerCompareRoutes(app, deps);
  registerScoreRoutes(app, deps);
  registerCapacityRoutes(app, deps);
  app.route("/", createUiRoutes(deps, app)); // the web UI (src/ui): pages at /, /runs, /models

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "evalstack evaluator",
      version: API_VERSION,
      description:
        "Evaluate small LLMs side by side: suites of checked prompts fanned out to gRPC model services, every reply stored with its timings and check results. Errors are application/problem+json. Tabular endpoints (lists, items, summaries) return flat rows as a JSON array or, with ?format=csv, CSV.",
    },
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json" }));

  app.notFound((c) => problemResponse(404, `no route for ${c.req.method} ${c.req.path} (see /openapi.json)`, { instance: c.req.path }));

  app.onError((error, c) => {
    const instance = c.req.path;
    if (error instanceof ApiError)
      return problemResponse(error.status, error.message, { errors: error.errors, headers: error.headers, instance });
    if (error instanceof SuiteValidationError) {
      const errors = error.issues.map((i) => ({ path: i.path, message: i.message }));
      return problemResponse(422, summarize(errors), { errors, instance });
    }
    if (error instanceof StoreConflictError) return problemResponse(409, error.message, { instance });
    if (error instanceof HTTPException) {
      const detail =
        error.status === 400 && /json/i.test(error.message) ? `malformed JSON in the request body: ${error.message}` : error.message;
      return problemResponse(error.status, detail, { instance });
    }
    c.get("log")?.error({ err: error.message, stack: error.stack }, "unhandled error");
    return problemResponse(500, "internal error; the log has the details (x-request-id)", { instance });
  });

  return app;
}
