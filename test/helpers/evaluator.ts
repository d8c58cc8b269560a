// The evaluator as a real process (node --import tsx services/evaluator/src/main.ts) on a free port, with an
// API key, plus an HTTP client and a server-sent-events reader for tests. The process starter and the event
// reader are @evalstack/local-stack's.
import { startEvaluator as startEvaluatorProcess, readEvents, type SseEvent } from "@evalstack/local-stack";
import { freePort } from "./ports.js";
import { track, type ManagedProcess } from "./processes.js";

export { readEvents, type SseEvent };

export const TEST_API_KEY = "evalstack-test-key-0123456789";

export interface EvaluatorProcess {
  url: string;
  port: number;
  instanceId: string;
  process: ManagedProcess;
  /** fetch with the API key, against this evaluator. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** JSON in, JSON out; throws with the body on a non-2xx answer. */
  json<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  stop(): Promise<void>;
  /** SIGKILL: no graceful shutdown, leases stay taken. */
  kill(): Promise<void>;
}

export interface StartEvaluatorOptions {
  /** name=host:port,... */
  models: string;
  /** SQLite file (default: the evaluator's default) unless databaseUrl is given. */
  dbPath?: string;
  databaseUrl?: string;
  instanceId?: string;
  port?: number;
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
}

export async function startEvaluator(options: StartEvaluatorOptions): Promise<EvaluatorProcess> {
  const port = options.port ?? (await freePort());
  const instanceId = options.instanceId ?? `test-${port}`;
  const evaluator = await startEvaluatorProcess({
    name: `evaluator:${instanceId}`,
    models: options.models,
    port,
    apiKey: TEST_API_KEY,
    instanceId,
    dbPath: options.dbPath,
    databaseUrl: options.databaseUrl,
    env: options.env,
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    stopTimeoutMs: 30_000,
  });
  track(evaluator.process);
  return { ...evaluator, instanceId };
}
