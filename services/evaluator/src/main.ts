// The evaluator process: configuration from the environment (config.ts), telemetry, the server, signals.
import { createLogger, startTelemetry } from "@evalstack/telemetry";
import { ConfigError, loadConfig, type EvaluatorConfig } from "./config.js";
import { startServer } from "./server.js";
import { describeSpec } from "./models/targetSpec.js";

const log = createLogger("evaluator");

let config: EvaluatorConfig;
try {
  config = loadConfig();
} catch (error) {
  log.fatal({ err: (error as Error).message }, error instanceof ConfigError ? "invalid configuration" : "cannot start");
  process.exit(2);
}
log.level = config.logLevel;
// Files this process creates (the SQLite database and its journals) are its own: a sandboxed program in
// the rlimits mode runs under another uid and must not read them.
process.umask(0o077);

if (!config.auth.enabled) log.warn("EVALSTACK_AUTH=off: the API accepts requests without an API key (local use only)");

const telemetry = await startTelemetry({ serviceName: "evalstack-evaluator", prometheus: "handler" });
const server = await startServer({ config, log, telemetry }).catch(async (error: Error) => {
  log.fatal({ err: error.message }, "cannot start");
  await telemetry.shutdown();
  process.exit(1);
});

log.info(
  {
    url: server.url,
    store: config.store.kind === "sqlite" ? `sqlite:${config.store.path}` : "postgres",
    models: config.models.map(describeSpec).join(","),
    auth: config.auth.enabled ? "on" : "off",
    instance: config.instanceId,
  },
  "evaluator listening",
);

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    log.info({ signal, graceMs: config.shutdownGraceMs }, "shutting down: finishing items in flight");
    void server
      .close(config.shutdownGraceMs)
      .then(() => telemetry.shutdown())
      .then(() => {
        log.info("stopped");
        process.exit(0);
      });
  });
}
