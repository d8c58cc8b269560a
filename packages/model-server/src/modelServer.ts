import { Server, ServerCredentials } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import {
  createLogger,
  createModelServerMetrics,
  grpcServerInterceptor,
  startTelemetry,
  type ModelServerMetrics,
  type Telemetry,
} from "@evalstack/telemetry";
import { addReflection, InferenceService as InferenceServiceDefinition, serverChannelOptions } from "@evalstack/contract";
import { ConfigError, loadModelServerConfig, selectCatalogModel, type ModelServerConfig } from "./config.js";
import { GenerationCore, type ServingObserver } from "./generationCore.js";
import { InferenceService } from "./inferenceService.js";
import { ModelEngine } from "./modelEngine.js";
import { ModelSourceError, resolveModelSource } from "./modelSource.js";
import { startOpenAIServer } from "./openai/openaiServer.js";

const INFERENCE_SERVICE_NAME = "evalstack.inference.v1.Inference";

export interface RunningModelServer {
  /** The gRPC port. */
  port: number;
  /** The OpenAI-compatible HTTP API's port. */
  httpPort: number;
  config: ModelServerConfig;
  /** The serving core both protocols share. */
  core: GenerationCore;
  /** Resolves when the model is loaded and warmed up (health SERVING); rejects if loading failed. */
  ready: Promise<ModelEngine>;
  /** NOT_SERVING, refuse new calls, let in-flight ones finish within the grace period, then stop. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Starts the gRPC server and the OpenAI-compatible HTTP server first (health answers NOT_SERVING while the
 * model loads), then loads and warms the model, then flips health to SERVING. Both share one serving core.
 */
export async function startModelServer(
  config: ModelServerConfig,
  options: { log?: Logger; telemetry?: Telemetry } = {},
): Promise<RunningModelServer> {
  const log = options.log ?? createLogger(config.service);
  // The GenAI metrics name the model actually loaded, so they start once it is; until then nothing is served.
  let metrics: ModelServerMetrics | undefined;
  const observer: ServingObserver = {
    requestFinished: (outcome) => metrics?.requestFinished(outcome),
    loadChanged: (busy, queued) => metrics?.loadChanged(busy, queued),
  };
  const health = new HealthImplementation({ "": "NOT_SERVING", [INFERENCE_SERVICE_NAME]: "NOT_SERVING" });
  const service = new GenerationCore(config, log, observer);
  // gRPC health and the HTTP port's /health say the same thing at the same time.
  const setHealth = (status: "SERVING" | "NOT_SERVING") => {
    health.setStatus("", status);
    health.setStatus(INFERENCE_SERVICE_NAME, status);
    service.healthy = status === "SERVING";
  };
  const server = new Server({ ...serverChannelOptions, interceptors: [grpcServerInterceptor()] });
  server.addService(InferenceServiceDefinition, new InferenceService(service).implementation());
  health.addToServer(server);
  addReflection(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.host}:${config.grpcPort}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(new Error(`cannot listen on ${config.host}:${config.grpcPort}: ${error.message}`)) : resolve(bound),
    ),
  );
  let http: Awaited<ReturnType<typeof startOpenAIServer>>;
  try {
    http = await startOpenAIServer({ core: service, log, servedName: config.service, host: config.host, port: config.httpPort });
  } catch (error) {
    server.forceShutdown();
    throw error;
  }
  log.info(
    { port, httpPort: http.port, slots: config.slots, threads: config.threads, contextSize: config.contextSize },
    "gRPC and HTTP listening; loading model",
  );

  let engine: ModelEngine | undefined;
  const ready = (async () => {
    let lastLogged = 0;
    const files = await resolveModelSource(config, (done, total) => {
      if (Date.now() - lastLogged < 2_000 && done < total) return;
      lastLogged = Date.now();
      log.info({ downloadedBytes: done, totalBytes: total, percent: total ? Math.round((done / total) * 100) : 0 }, "downloading model");
    });
    try {
      engine = await ModelEngine.load(config, files);
    } catch (error) {
      throw new ModelSourceError(`cannot load model file ${files.modelPath}: ${(error as Error).message}`);
    }
    void engine.fileSha256().catch(() => {});
    service.attach(engine);
    // One real generation before SERVING, so the first caller does not pay for lazy initialisation.
    service.state = "serving";
    await service.warmUp();
    if (service.state === "serving") setHealth("SERVING");
    const info = await engine.info();
    if (options.telemetry) {
      metrics = createModelServerMetrics(options.telemetry.meter, { model: config.service, responseModel: info.name, slots: config.slots });
    }
    log.info(
      {
        model: info.name,
        architecture: info.architecture,
        quantization: info.quantization,
        loadMs: Math.round(info.loadMs),
        gpu: info.gpu,
      },
      "model loaded and warmed up; SERVING",
    );
    return engine;
  })();

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = config.shutdownGraceMs) => {
    stopping ??= (async () => {
      setHealth("NOT_SERVING");
      service.beginDraining();
      log.info({ inFlight: service.inFlight, graceMs }, "draining");
      const grace = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
      if ((await Promise.race([service.idle(), grace])) === "timeout") {
        log.warn({ inFlight: service.inFlight }, "grace period over; cancelling the remaining generations");
        service.abortAll();
        await service.idle();
      }
      await Promise.all([new Promise<void>((resolve) => server.tryShutdown(() => resolve())), http.close()]);
      await ready.catch(() => undefined);
      await engine?.dispose();
      await options.telemetry?.shutdown();
      log.info("stopped");
    })();
    return stopping;
  };
  return { port, httpPort: http.port, config, core: service, ready, shutdown };
}

/**
 * Entry point of a model service process: the catalog entry (`name`, or MODEL_NAME when the entry point
 * leaves it open), config from the environment over it, signals, exit codes.
 */
export async function runModelService(options: { name?: string } = {}): Promise<void> {
  let log = createLogger(options.name ?? process.env.MODEL_NAME ?? "model-service");
  let config: ModelServerConfig;
  try {
    config = loadModelServerConfig(selectCatalogModel(options.name));
  } catch (error) {
    if (error instanceof ConfigError) {
      log.fatal(error.message);
      process.exit(2);
    }
    throw error;
  }
  log = createLogger(config.service);
  const unpinned = config.sha256.length === 0 ? ["every file"] : config.sha256.flatMap((pin, i) => (pin ? [] : [`part ${i + 1}`]));
  if (unpinned.length > 0) log.warn({ source: config.source, unpinned }, "model files without a sha256 pin are loaded unverified");
  const telemetry = await startTelemetry({
    serviceName: `evalstack-${config.service}`,
    prometheus: config.metricsPort > 0 ? "server" : "off",
    metricsPort: config.metricsPort,
  });
  const running = await startModelServer(config, { log, telemetry }).catch((error: Error) => {
    log.fatal(error.message);
    process.exit(1);
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    log.info({ signal }, "shutting down");
    void running.shutdown().then(() => process.exit(0));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  running.ready.catch((error: Error) => {
    log.fatal(error.message);
    process.exit(1);
  });
}
