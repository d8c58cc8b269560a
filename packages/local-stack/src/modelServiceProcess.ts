import path from "node:path";
import { checkHealth, createHealthClient } from "@evalstack/contract";
import { freePort } from "./freePort.js";
import { ManagedProcess, ProcessExitedError, REPO_ROOT, tsxArgs } from "./managedProcess.js";

/** The one entry point that serves any catalog entry (MODEL_NAME picks it). */
export const MODEL_SERVICE_ENTRY = path.join(REPO_ROOT, "services", "model", "src", "main.ts");

export interface ModelServiceOptions {
  /** The model's name in the catalog (models/catalog.yaml). */
  service: string;
  /** The entry point to run (default MODEL_SERVICE_ENTRY with MODEL_NAME=service). */
  entry?: string;
  /** 0 or unset: a free port. */
  grpcPort?: number;
  metricsPort?: number;
  /** The OpenAI-compatible HTTP API (MODEL_HTTP_PORT); 0 or unset: a free port. */
  httpPort?: number;
  /** GRPC_HOST (default 127.0.0.1). */
  host?: string;
  /** Extra environment (MODEL_SLOTS, MODEL_THREADS, ...). */
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
  /** Wait for health SERVING before resolving (default true). */
  waitReady?: boolean;
  echo?: (line: string) => void;
  /** Its own process group (see ProcessOptions.detached). */
  detached?: boolean;
  /** See ProcessOptions.parentDeathSignal. */
  parentDeathSignal?: NodeJS.Signals;
  /** Stops waiting for SERVING. */
  signal?: AbortSignal;
}

export interface ModelServiceProcess {
  service: string;
  process: ManagedProcess;
  grpcPort: number;
  metricsPort: number;
  httpPort: number;
  /** host:port to dial. */
  target: string;
  /** The OpenAI-compatible API's base URL, e.g. http://127.0.0.1:8001/v1 (what an openai client takes). */
  openaiBaseUrl: string;
  metricsUrl: string;
  /** Resolves once health is SERVING; fails with the service's output if it exits first. */
  ready: (options?: { timeoutMs?: number; signal?: AbortSignal }) => Promise<void>;
}

/** Starts the model service of a catalog entry as a child process on its own ports. */
export async function startModelService(options: ModelServiceOptions): Promise<ModelServiceProcess> {
  const grpcPort = options.grpcPort || (await freePort());
  const metricsPort = options.metricsPort || (await freePort());
  const httpPort = options.httpPort || (await freePort());
  const host = options.host ?? "127.0.0.1";
  const process = new ManagedProcess({
    name: options.service,
    args: tsxArgs(options.entry ?? MODEL_SERVICE_ENTRY),
    env: {
      MODEL_NAME: options.service,
      GRPC_PORT: String(grpcPort),
      GRPC_HOST: host,
      METRICS_PORT: String(metricsPort),
      MODEL_HTTP_PORT: String(httpPort),
      LOG_LEVEL: "info",
      ...options.env,
    },
    echo: options.echo,
    detached: options.detached,
    parentDeathSignal: options.parentDeathSignal,
  });
  const dialHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const target = `${dialHost}:${grpcPort}`;
  const ready = (wait: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    waitForServingWhileRunning(process, target, {
      timeoutMs: wait.timeoutMs ?? options.readyTimeoutMs ?? 180_000,
      signal: wait.signal ?? options.signal,
      what: `${options.service} became SERVING`,
    });
  if (options.waitReady !== false) {
    try {
      await ready();
    } catch (error) {
      await process.stop(5_000);
      throw error;
    }
  }
  return {
    service: options.service,
    process,
    grpcPort,
    metricsPort,
    httpPort,
    target,
    openaiBaseUrl: `http://${dialHost}:${httpPort}/v1`,
    metricsUrl: `http://${dialHost}:${metricsPort}/metrics`,
    ready,
  };
}

/**
 * Polls the gRPC health of `target` until SERVING. Fails at once (ProcessExitedError, with the last lines)
 * when the process exits, on timeout, or when `signal` aborts; the poll stops with it.
 */
export async function waitForServingWhileRunning(
  process: ManagedProcess,
  target: string,
  options: { timeoutMs: number; signal?: AbortSignal; what: string },
): Promise<void> {
  const client = createHealthClient(target);
  const until = Date.now() + options.timeoutMs;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      if (process.hasExited) throw new ProcessExitedError(process, await process.exited, options.what);
      const { status, error } = await checkHealth(client, "", 2_000);
      if (status === "SERVING") return;
      if (process.hasExited) throw new ProcessExitedError(process, await process.exited, options.what);
      if (Date.now() > until) {
        throw new Error(`${target} not SERVING after ${options.timeoutMs} ms (last: ${status}${error ? `, ${error.details}` : ""})`);
      }
      await Promise.race([new Promise((r) => setTimeout(r, 100)), process.exited]);
    }
  } finally {
    client.close();
  }
}
