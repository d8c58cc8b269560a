import { freePort } from "./freePort.js";
import { ManagedProcess, tsxArgs } from "./managedProcess.js";
import { waitUntil } from "./waitUntil.js";

export const EVALUATOR_ENTRY = "services/evaluator/src/main.ts";

export interface EvaluatorOptions {
  /** EVALSTACK_MODELS: name=host:port,... */
  models: string;
  /** 0 or unset: a free port. */
  port?: number;
  /** EVALSTACK_HOST (default 127.0.0.1). */
  host?: string;
  /** SQLite file (EVALSTACK_DB_PATH) unless databaseUrl is given; unset: the evaluator's default. */
  dbPath?: string;
  databaseUrl?: string;
  /** A bearer key (EVALSTACK_API_KEYS); without one the API is open (EVALSTACK_AUTH=off). */
  apiKey?: string;
  instanceId?: string;
  /** Process name in messages (default "evaluator"). */
  name?: string;
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
  /** Wait for /readyz before resolving (default true). */
  waitReady?: boolean;
  echo?: (line: string) => void;
  detached?: boolean;
  /** See ProcessOptions.parentDeathSignal. */
  parentDeathSignal?: NodeJS.Signals;
  /** `stop()`'s wait before SIGKILL. */
  stopTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface EvaluatorProcess {
  url: string;
  port: number;
  process: ManagedProcess;
  /** Resolves once /readyz answers 200; fails with the evaluator's output if it exits first. */
  ready: (options?: { timeoutMs?: number; signal?: AbortSignal }) => Promise<void>;
  /** fetch against this evaluator, with the API key when there is one. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** JSON in, JSON out; throws with the body on a non-2xx answer. */
  json<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  /** SIGTERM (it finishes items in flight for SHUTDOWN_GRACE_MS), SIGKILL after the stop timeout. */
  stop(): Promise<void>;
  /** SIGKILL: no graceful shutdown, leases stay taken. */
  kill(): Promise<void>;
}

/** Starts the evaluator (`services/evaluator/src/main.ts`) as a child process. */
export async function startEvaluator(options: EvaluatorOptions): Promise<EvaluatorProcess> {
  const port = options.port || (await freePort());
  const host = options.host ?? "127.0.0.1";
  const process = new ManagedProcess({
    name: options.name ?? "evaluator",
    args: tsxArgs(EVALUATOR_ENTRY),
    env: {
      EVALSTACK_HOST: host,
      EVALSTACK_PORT: String(port),
      EVALSTACK_MODELS: options.models,
      ...(options.apiKey ? { EVALSTACK_API_KEYS: options.apiKey } : { EVALSTACK_AUTH: "off" }),
      EVALSTACK_INSTANCE_ID: options.instanceId,
      DATABASE_URL: options.databaseUrl,
      EVALSTACK_DB_PATH: options.dbPath,
      LOG_LEVEL: "info",
      ...options.env,
    },
    echo: options.echo,
    detached: options.detached,
    parentDeathSignal: options.parentDeathSignal,
    stopTimeoutMs: options.stopTimeoutMs,
  });
  const dialHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${dialHost}:${port}`;
  const ready = (wait: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    waitUntil(
      async () => {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200;
      },
      {
        timeoutMs: wait.timeoutMs ?? options.readyTimeoutMs ?? 60_000,
        what: `${process.name} ready`,
        process,
        signal: wait.signal ?? options.signal,
      },
    ).then(() => undefined);
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}), ...(init.headers as Record<string, string>) },
    });
  const evaluator: EvaluatorProcess = {
    url,
    port,
    process,
    ready,
    call,
    async json<T>(path: string, init: { method?: string; body?: unknown } = {}) {
      const method = init.method ?? (init.body === undefined ? "GET" : "POST");
      const res = await call(path, {
        method,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { "content-type": "application/json" } }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    },
    async stop() {
      await process.stop();
    },
    async kill() {
      await process.kill();
    },
  };
  if (options.waitReady !== false) {
    try {
      await ready();
    } catch (error) {
      await process.stop(5_000);
      throw error;
    }
  }
  return evaluator;
}
