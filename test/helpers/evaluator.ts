// The evaluator as a real process (node --import tsx services/evaluator/src/main.ts) on a free port, plus a
// small HTTP client and a server-sent-events reader for tests.
import { freePort } from "./ports.js";
import { startTsProcess, waitUntil, type ManagedProcess } from "./processes.js";

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
  const process = startTsProcess({
    name: `evaluator:${instanceId}`,
    script: "services/evaluator/src/main.ts",
    env: {
      EVALSTACK_HOST: "127.0.0.1",
      EVALSTACK_PORT: String(port),
      EVALSTACK_MODELS: options.models,
      EVALSTACK_API_KEYS: TEST_API_KEY,
      EVALSTACK_INSTANCE_ID: instanceId,
      DATABASE_URL: options.databaseUrl,
      EVALSTACK_DB_PATH: options.dbPath,
      LOG_LEVEL: "info",
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 200;
    },
    { timeoutMs: options.readyTimeoutMs ?? 60_000, what: `evaluator ${instanceId} ready`, process },
  );
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(init.headers as Record<string, string>) } });
  return {
    url,
    port,
    instanceId,
    process,
    call,
    async json<T>(path: string, init: { method?: string; body?: unknown } = {}) {
      const res = await call(path, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { "content-type": "application/json" } }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    },
    async stop() {
      await process.stop("SIGTERM", 30_000);
    },
    async kill() {
      await process.kill();
    },
  };
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** Reads a text/event-stream response to its end (or until `until` returns true), event by event. */
export async function readEvents(response: Response, onEvent?: (e: SseEvent) => boolean | void): Promise<SseEvent[]> {
  if (!response.ok || !response.body) throw new Error(`event stream: HTTP ${response.status} ${await response.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const e: SseEvent = { event: "message", data: "" };
        const data: string[] = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") e.event = value;
          else if (field === "id") e.id = value;
          else if (field === "data") data.push(value);
        }
        if (data.length === 0 && e.event === "message") continue;
        e.data = data.join("\n");
        events.push(e);
        if (onEvent?.(e) === true) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}
