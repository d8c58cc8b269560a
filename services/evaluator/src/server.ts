// Everything the evaluator process runs, startable in-process (tests, benchmarks) or from main.ts:
// the store, the model registry, the run manager and the HTTP server.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { pino, type Logger } from "pino";
import { createEvaluatorMetrics, trace, type EvaluatorMetrics, type Telemetry } from "@evalstack/telemetry";
import type { EvaluatorConfig } from "./config.js";
import { createApp } from "./api/app.js";
import type { App } from "./api/context.js";
import { ModelRegistry } from "./models/modelRegistry.js";
import { RunManager, type RunManagerOptions } from "./runs/runManager.js";
import { configureReferenceVerifiers, Sandbox } from "./scoring/index.js";
import { openStore } from "./store/index.js";
import type { Store } from "./store/types.js";

export interface EvaluatorServer {
  /** http://host:port (host 127.0.0.1 when listening on every interface). */
  url: string;
  port: number;
  app: App;
  store: Store;
  models: ModelRegistry;
  runs: RunManager;
  /** Stops taking requests and items, lets items in flight finish for up to `graceMs`, then closes everything. */
  close(graceMs?: number): Promise<void>;
}

export interface StartServerOptions {
  config: EvaluatorConfig;
  log?: Logger;
  /** Metrics and traces; without it, metrics are discarded and /metrics says so. */
  telemetry?: Telemetry;
  /** The code sandbox (default: one built from config.sandbox). */
  sandbox?: Sandbox;
  /** An already open store (else the configured one is opened and migrated). */
  store?: Store;
  /** Execute runs in this process (default true); false serves the API only. */
  executeRuns?: boolean;
  /** Overrides for the run manager (tests: a scorer, a faster backoff, a metrics recorder). */
  runOptions?: Partial<Pick<RunManagerOptions, "scorer" | "backoff" | "metrics">>;
}

const noopMetrics: EvaluatorMetrics = {
  runStatus() {},
  itemCompleted() {},
  addPending() {},
  recordOperation() {},
};

export async function startServer(options: StartServerOptions): Promise<EvaluatorServer> {
  const { config } = options;
  const log = options.log ?? pino({ name: "evaluator", level: config.logLevel });
  const store = options.store ?? (await openStore(config.store));
  const models = new ModelRegistry(config.models);
  const metrics = options.telemetry ? createEvaluatorMetrics(options.telemetry.meter, { models: models.names() }) : noopMetrics;
  const tracer = options.telemetry?.tracer ?? trace.getTracer("evalstack-evaluator");
  const sandbox = options.sandbox ?? new Sandbox(config.sandbox);
  configureReferenceVerifiers(config.referenceVerifiers);
  // Never weak without saying so: the mode code items will run under, logged before anything runs.
  const isolation = await sandbox.isolation();
  if (isolation.mode === "namespaces")
    log.info({ sandbox: isolation.mode, configured: isolation.configured }, "sandbox isolation: namespaces");
  else if (isolation.mode === "rlimits")
    log.warn(
      { sandbox: isolation.mode, configured: isolation.configured, reason: isolation.reason },
      "sandbox isolation: rlimits only (configured explicitly)",
    );
  else
    log.error(
      { sandbox: isolation.mode, configured: isolation.configured, reason: isolation.reason },
      "sandbox isolation unavailable: code items will end as errors",
    );
  const runs = new RunManager({
    store,
    models,
    log,
    metrics,
    tracer,
    instanceId: config.instanceId,
    leaseMs: config.leaseMs,
    retryBudgetMs: config.retryBudgetMs,
    itemTimeoutMs: config.itemTimeoutMs,
    maxActiveRuns: config.maxActiveRuns,
    latencyTargets: config.latencyTargets,
    sandbox,
    ...options.runOptions,
  });
  const app = createApp({
    config,
    store,
    models,
    runs,
    log,
    tracer,
    sandbox,
    metricsText: options.telemetry ? () => options.telemetry!.metricsText() : undefined,
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host =
    config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host.includes(":") ? `[${config.host}]` : config.host;
  if (options.executeRuns !== false) {
    // SQLite belongs to this one process: leases left in it are from a process that is gone (crashed or
    // killed), so its runs resume now rather than when the lease would have lapsed.
    if (store.kind === "sqlite") {
      const freed = await store.clearLeases();
      if (freed) log.info({ runs: freed }, "resuming runs left unfinished by the previous process");
    }
    runs.start();
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    app,
    store,
    models,
    runs,
    close(graceMs = 0) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await runs.stop(graceMs);
        // Event streams and keep-alive connections would hold close() open: end them.
        if ("closeAllConnections" in server) server.closeAllConnections();
        await closed;
        models.close();
        await store.close();
      })();
      return closing;
    },
  };
}
