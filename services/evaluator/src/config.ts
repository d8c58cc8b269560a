// The evaluator's configuration: every environment variable it reads, parsed and validated in one place.
// A bad value stops start-up with a message naming the variable.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { ConfigError, EnvReader, type Env } from "@evalstack/config";
import { DEFAULT_LATENCY_TARGETS } from "./scoring/latencyScore.js";
import { MAX_CONCURRENCY, type IsolationMode, type SandboxConfig } from "./scoring/sandbox/limits.js";
import { TargetSpecError, parseModelTargets, type ModelTargetSpec } from "./models/targetSpec.js";

export { ConfigError } from "@evalstack/config";
export type { ModelTargetSpec } from "./models/targetSpec.js";

export type StoreConfig = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

export interface EvaluatorConfig {
  host: string;
  port: number;
  models: ModelTargetSpec[];
  store: StoreConfig;
  auth: { enabled: true; keys: string[] } | { enabled: false };
  /** How long a model may stay unreachable (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED) before its items fail. */
  retryBudgetMs: number;
  /** Deadline of one generation attempt. */
  itemTimeoutMs: number;
  bodyLimitBytes: number;
  /** A replica's claim on a run lasts this long unless renewed (renewed every third of it). */
  leaseMs: number;
  instanceId: string;
  /** Runs one replica executes at once; more wait as `queued`. */
  maxActiveRuns: number;
  /** Server-sent event streams open at once on this replica, and on any one run (beyond: 429). */
  maxEventStreams: number;
  maxEventStreamsPerRun: number;
  shutdownGraceMs: number;
  logLevel: string;
  /** Latency targets the report compares the latency dimension with. */
  latencyTargets: { ttft_ms: number; tokens_per_second: number };
  /** The code sandbox (EVALSTACK_SANDBOX_*). */
  sandbox: SandboxConfig;
  /** The IFEval and IFBench reference verifiers' worker (scoring/ifeval/verifier.ts). */
  referenceVerifiers: ReferenceVerifierConfig;
}

export interface ReferenceVerifierConfig {
  /** EVALSTACK_IFEVAL_TIMEOUT_MS: one verification's limit; past it the worker is killed and restarted. */
  timeoutMs: number;
  /** EVALSTACK_IFEVAL_DIR / EVALSTACK_IFBENCH_DIR: where the installers put each venv (default: the suite cache). */
  ifevalDir: string | null;
  ifbenchDir: string | null;
}

const DEFAULT_MODELS = "qwen=localhost:50051,phi3=localhost:50052";

export function loadConfig(env: Env = process.env): EvaluatorConfig {
  const read = new EnvReader(env);
  const auth = loadAuth(read);
  const databaseUrl = read.optionalString("DATABASE_URL");
  return {
    host: read.string("EVALSTACK_HOST", "0.0.0.0"),
    port: read.integer("EVALSTACK_PORT", 8080, { min: 0, max: 65535 }),
    models: parseModels(read.string("EVALSTACK_MODELS", DEFAULT_MODELS), env),
    store: databaseUrl
      ? { kind: "postgres", url: parsePostgresUrl(databaseUrl) }
      : { kind: "sqlite", path: read.string("EVALSTACK_DB_PATH", "./data/evalstack.db") },
    auth,
    retryBudgetMs: read.integer("EVALSTACK_RETRY_BUDGET_MS", 600_000, { min: 0, max: 24 * 3_600_000 }),
    itemTimeoutMs: read.integer("EVALSTACK_ITEM_TIMEOUT_MS", 300_000, { min: 100, max: 24 * 3_600_000 }),
    bodyLimitBytes: read.integer("EVALSTACK_BODY_LIMIT_BYTES", 10 * 1024 * 1024, { min: 1024, max: 1024 * 1024 * 1024 }),
    leaseMs: read.integer("EVALSTACK_LEASE_MS", 30_000, { min: 300, max: 3_600_000 }),
    instanceId: read.string("EVALSTACK_INSTANCE_ID", `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`),
    maxActiveRuns: read.integer("EVALSTACK_MAX_ACTIVE_RUNS", 4, { min: 1, max: 1000 }),
    maxEventStreams: read.integer("EVALSTACK_MAX_EVENT_STREAMS", 256, { min: 1, max: 100_000 }),
    maxEventStreamsPerRun: read.integer("EVALSTACK_MAX_EVENT_STREAMS_PER_RUN", 32, { min: 1, max: 100_000 }),
    shutdownGraceMs: read.integer("SHUTDOWN_GRACE_MS", 10_000, { min: 0, max: 3_600_000 }),
    logLevel: read.oneOf("LOG_LEVEL", ["trace", "debug", "info", "warn", "error", "fatal", "silent"], "info"),
    latencyTargets: {
      ttft_ms: read.number("EVALSTACK_TARGET_TTFT_MS", DEFAULT_LATENCY_TARGETS.ttft_ms, { min: 0 }),
      tokens_per_second: read.number("EVALSTACK_TARGET_TOKENS_PER_SECOND", DEFAULT_LATENCY_TARGETS.tokens_per_second, { min: 0 }),
    },
    sandbox: loadSandboxConfig(env),
    referenceVerifiers: {
      timeoutMs: read.integer("EVALSTACK_IFEVAL_TIMEOUT_MS", 15_000, { min: 1, max: 3_600_000 }),
      ifevalDir: absolutePath(read, "EVALSTACK_IFEVAL_DIR"),
      ifbenchDir: absolutePath(read, "EVALSTACK_IFBENCH_DIR"),
    },
  };
}

function absolutePath(read: EnvReader, name: string): string | null {
  const value = read.optionalString(name);
  if (!value) return null;
  if (!value.startsWith("/")) throw new ConfigError(name, `must be an absolute path, got "${value}"`);
  return value;
}

/**
 * The code sandbox: EVALSTACK_SANDBOX_ISOLATION (auto|namespaces|rlimits), _CONCURRENCY, _TIMEOUT_MS,
 * _MEMORY_MB, _MAX_PROCESSES, _MAX_FILE_MB, _MAX_OPEN_FILES, _SCRATCH_MB, _PYTHON, _NODE, _BWRAP, _UID_BASE.
 */
export function loadSandboxConfig(env: Env = process.env): SandboxConfig {
  const read = new EnvReader(env);
  const optionalInt = (name: string, min: number, max: number): number | undefined => read.optionalInteger(name, { min, max });
  const mib = (name: string, max: number): number | undefined => {
    const n = optionalInt(name, 1, max);
    return n === undefined ? undefined : n * 1024 * 1024;
  };
  const limits = {
    timeoutMs: optionalInt("EVALSTACK_SANDBOX_TIMEOUT_MS", 1, 60_000),
    memoryBytes: mib("EVALSTACK_SANDBOX_MEMORY_MB", 8 * 1024),
    maxProcesses: optionalInt("EVALSTACK_SANDBOX_MAX_PROCESSES", 1, 4096),
    maxFileBytes: mib("EVALSTACK_SANDBOX_MAX_FILE_MB", 64 * 1024),
    maxOpenFiles: optionalInt("EVALSTACK_SANDBOX_MAX_OPEN_FILES", 8, 65536),
    scratchBytes: mib("EVALSTACK_SANDBOX_SCRATCH_MB", 64 * 1024),
  };
  const path = (name: string): string | null => absolutePath(read, name);
  return {
    isolation: read.oneOf<IsolationMode>("EVALSTACK_SANDBOX_ISOLATION", ["auto", "namespaces", "rlimits"], "auto"),
    concurrency: read.integer("EVALSTACK_SANDBOX_CONCURRENCY", Math.min(Math.max(1, availableParallelism()), MAX_CONCURRENCY), {
      min: 1,
      max: MAX_CONCURRENCY,
    }),
    queueLimit: read.integer("EVALSTACK_SANDBOX_QUEUE_LIMIT", 64, { min: 0, max: 100_000 }),
    uidBase: read.optionalInteger("EVALSTACK_SANDBOX_UID_BASE", { min: 1000, max: 4_000_000_000 }) ?? null,
    pythonPath: path("EVALSTACK_SANDBOX_PYTHON"),
    nodePath: path("EVALSTACK_SANDBOX_NODE"),
    bwrapPath: path("EVALSTACK_SANDBOX_BWRAP"),
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
  };
}

/** EVALSTACK_MODELS → ordered model targets (gRPC host:port or openai+http(s)://.../v1[#model]); see models/targetSpec.ts. */
export function parseModels(text: string, env: Env = {}): ModelTargetSpec[] {
  try {
    return parseModelTargets(text, env);
  } catch (error) {
    if (error instanceof TargetSpecError) throw new ConfigError(error.variable, error.message.slice(error.variable.length + 2));
    throw error;
  }
}

function loadAuth(read: EnvReader): EvaluatorConfig["auth"] {
  const mode = read.string("EVALSTACK_AUTH", "on").toLowerCase();
  if (mode === "off") return { enabled: false };
  if (mode !== "on") throw new ConfigError("EVALSTACK_AUTH", `must be "on" or "off", got "${read.env.EVALSTACK_AUTH}"`);
  const keys: string[] = [];
  const listed = read.optionalString("EVALSTACK_API_KEYS");
  if (listed) keys.push(...splitKeys(listed, "EVALSTACK_API_KEYS"));
  const file = read.optionalString("EVALSTACK_API_KEYS_FILE");
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new ConfigError("EVALSTACK_API_KEYS_FILE", `cannot read ${file}: ${(error as Error).message}`);
    }
    const lines = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    keys.push(...splitKeys(lines.join(","), "EVALSTACK_API_KEYS_FILE"));
  }
  if (keys.length === 0) {
    throw new ConfigError(
      "EVALSTACK_API_KEYS",
      "no API key configured: set EVALSTACK_API_KEYS (comma-separated) or EVALSTACK_API_KEYS_FILE, or EVALSTACK_AUTH=off for a local run",
    );
  }
  return { enabled: true, keys };
}

function splitKeys(text: string, variable: string): string[] {
  const keys = text
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  for (const key of keys) {
    if (key.length < 16) throw new ConfigError(variable, "every API key must be at least 16 characters");
    if (/\s/.test(key)) throw new ConfigError(variable, "API keys cannot contain white space");
  }
  return keys;
}

function parsePostgresUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError("DATABASE_URL", "is not a URL (postgres://user:password@host:port/database)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError("DATABASE_URL", `scheme must be postgres: or postgresql:, got ${url.protocol}`);
  }
  return text;
}
