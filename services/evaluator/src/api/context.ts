// What every route handler can reach: the app's dependencies and the Hono environment type.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { Tracer } from "@evalstack/telemetry";
import type { EvaluatorConfig } from "../config.js";
import type { ModelRegistry } from "../models/modelRegistry.js";
import type { RunManager } from "../runs/runManager.js";
import type { Sandbox } from "../scoring/index.js";
import type { Store } from "../store/types.js";

export interface AppDeps {
  config: Pick<
    EvaluatorConfig,
    | "auth"
    | "bodyLimitBytes"
    | "retryBudgetMs"
    | "itemTimeoutMs"
    | "latencyTargets"
    | "instanceId"
    | "maxEventStreams"
    | "maxEventStreamsPerRun"
  >;
  store: Store;
  models: ModelRegistry;
  runs: RunManager;
  log: Logger;
  tracer: Tracer;
  /** Prometheus text of this process's metrics (served at /metrics). */
  metricsText?: () => Promise<string>;
  /** The code sandbox (POST /v1/score's code checks; its mode on /readyz and GET /v1/system). */
  sandbox: Sandbox;
}

export type AppEnv = { Variables: { log: Logger; requestId: string } };
export type App = OpenAPIHono<AppEnv>;

export const BEARER = [{ bearer: [] as string[] }];
