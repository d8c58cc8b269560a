// The local stack: the catalog's model services (any list of them) and the evaluator as child processes of
// one launcher, each in its own process group, with the machine's cores split between the model processes.
// Used by `npm run compare`, `npm run stack`, `npm run loadtest` and the tests.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { loadCatalog, profileSource, type Catalog } from "@evalstack/model-catalog";
import { startEvaluator, type EvaluatorProcess } from "./evaluatorProcess.js";
import { freePort, portInUse } from "./freePort.js";
import { REPO_ROOT, type ExitStatus, type ManagedProcess } from "./managedProcess.js";
import { startModelService, type ModelServiceProcess } from "./modelServiceProcess.js";
import { failureReason, parseLogLine } from "./serviceLogs.js";

/** A profile of the catalog (small, seed, ...). */
export type Profile = string;

/** Where a model service listens. */
export interface ModelPorts {
  grpc: number;
  metrics: number;
}

/** Ports asked for: what is not given is the catalog's port (or a free one with `freePorts`); 0 is a free one. */
export interface StackPortRequest {
  evaluator?: number;
  models?: Record<string, Partial<ModelPorts>>;
}

/** One port the stack needs: `evaluator`, `<model>.grpc` or `<model>.metrics`. */
export interface PortSlot {
  key: string;
  /** For people: "<model> gRPC", "evaluator HTTP". */
  label: string;
  port: number;
}

/** The evaluator's port unless told otherwise (notebooks and load-test scripts find it there). */
export const DEFAULT_EVALUATOR_PORT = 8080;

export const DEFAULT_DB_PATH = path.join(REPO_ROOT, "data", "evalstack.db");

export interface LocalStackOptions {
  /** MODEL_PROFILE of the model services (default small); every model started must have it. */
  profile?: Profile;
  /** Catalog models to start here (default: the catalog's defaultModels). */
  models?: string[];
  /** The model catalog (default: models/catalog.yaml). */
  catalog?: Catalog;
  /** Models that already run elsewhere (name → host:port): not started, only given to the evaluator. */
  externalModels?: Record<string, string>;
  /** Ports per model and for the evaluator; what is missing comes from the catalog (8080 for the evaluator). */
  ports?: StackPortRequest;
  /** Every port not given in `ports` is a free one (tests, several stacks side by side). */
  freePorts?: boolean;
  /** Where the services listen (default 127.0.0.1: the evaluator runs without auth). */
  host?: string;
  /** Start the evaluator (default true). */
  evaluator?: boolean;
  /** The evaluator's SQLite file (default ./data/evalstack.db at the repository root). */
  dbPath?: string;
  /** Extra environment of the model services (e.g. MODEL_SLOTS); the launcher's environment is inherited. */
  modelEnv?: Record<string, string | undefined>;
  evaluatorEnv?: Record<string, string | undefined>;
  /** How long a model may take to become SERVING (default 10 min; 6 h when a profile downloads from the hub). */
  modelReadyTimeoutMs?: number;
  evaluatorReadyTimeoutMs?: number;
  /** Stops the start-up: everything started so far is stopped and the promise rejects. */
  signal?: AbortSignal;
  onEvent?: (event: StackEvent) => void;
  /** SIGKILL every process of the stack if the launcher exits without stopping it (default true). */
  killOnExit?: boolean;
}

export type StackEvent =
  | { type: "starting"; name: string; pid: number | undefined; endpoint: string }
  | { type: "loading"; name: string; threads: number | undefined; slots: number | undefined }
  | { type: "download"; name: string; downloadedBytes: number; totalBytes: number; percent: number }
  | { type: "loaded"; name: string; model: string; architecture?: string; quantization?: string; loadMs?: number; gpu?: string }
  | { type: "ready"; name: string; ms: number }
  | { type: "log"; name: string; line: string }
  | { type: "exited"; name: string; status: ExitStatus; expected: boolean };

export interface StackModel {
  name: string;
  /** host:port to dial (gRPC). */
  target: string;
  /** Started by this stack (false: an external target). */
  local: boolean;
  grpcPort?: number;
  metricsPort?: number;
  metricsUrl?: string;
  pid?: number;
  service?: ModelServiceProcess;
}

export interface LocalStack {
  profile: Profile;
  models: StackModel[];
  evaluator?: { url: string; port: number; pid: number | undefined; dbPath: string; process: EvaluatorProcess };
  /** EVALSTACK_MODELS as given to the evaluator. */
  modelsEnv: string;
  /** Every process this stack started. */
  processes: ManagedProcess[];
  pids(): number[];
  /** Rejects when a process of the stack exits before stop() was called. */
  failure: Promise<never>;
  /** SIGTERM to every process (they drain), SIGKILL after `timeoutMs` (default 20 s). */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** SIGKILL to every process group of the stack, at once (synchronous). */
  kill(): void;
}

/** One or more ports the stack needs are taken. */
export class PortInUseError extends Error {
  constructor(readonly ports: PortSlot[]) {
    super(ports.map((p) => `port ${p.port} (${p.label}) is already in use`).join("; "));
    this.name = "PortInUseError";
  }
}

/** A service of the stack could not start; `reason` is the line its log gave, `output` its last lines. */
export class StackStartError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
    readonly output: string,
  ) {
    super(`${service} could not start: ${reason}`);
    this.name = "StackStartError";
  }
}

/** A service of the stack exited while the stack was up (not stopped by it). */
export class StackExitedError extends Error {
  constructor(
    readonly service: string,
    readonly status: ExitStatus,
    readonly reason: string,
    readonly output: string,
  ) {
    super(`${service} exited unexpectedly (code ${status.code}, signal ${status.signal}): ${reason}`);
    this.name = "StackExitedError";
  }
}

/** The ports the stack needs for `models` (and the evaluator): the request over the catalog's ports. */
export function stackPortSlots(
  catalog: Catalog,
  models: readonly string[],
  request: StackPortRequest = {},
  options: { evaluator?: boolean; freePorts?: boolean } = {},
): PortSlot[] {
  const fallback = (port: number) => (options.freePorts ? 0 : port);
  const slots: PortSlot[] = [];
  for (const name of models) {
    const entry = catalog.model(name);
    const wanted = request.models?.[name] ?? {};
    slots.push({ key: `${name}.grpc`, label: `${name} gRPC`, port: wanted.grpc ?? fallback(entry.ports.grpc) });
    slots.push({ key: `${name}.metrics`, label: `${name} metrics`, port: wanted.metrics ?? fallback(entry.ports.metrics) });
  }
  if (options.evaluator ?? true)
    slots.push({ key: "evaluator", label: "evaluator HTTP", port: request.evaluator ?? fallback(DEFAULT_EVALUATOR_PORT) });
  return slots;
}

/** The ports as they will be used: fixed ones checked (a port given twice or taken is refused), 0 a free port. */
export async function resolvePorts(slots: PortSlot[]): Promise<PortSlot[]> {
  const fixed = slots.filter((s) => s.port !== 0);
  const seen = new Map<number, PortSlot>();
  for (const slot of fixed) {
    const other = seen.get(slot.port);
    if (other) throw new Error(`${other.label} and ${slot.label} are both set to port ${slot.port}`);
    seen.set(slot.port, slot);
  }
  const taken: PortSlot[] = [];
  for (const slot of fixed) if (await portInUse(slot.port)) taken.push(slot);
  if (taken.length > 0) throw new PortInUseError(taken);
  const resolved: PortSlot[] = [];
  for (const slot of slots) resolved.push(slot.port === 0 ? { ...slot, port: await freePort() } : slot);
  return resolved;
}

/**
 * Starts the model services and the evaluator side by side and resolves once every one is healthy (model
 * health SERVING, evaluator /readyz). If any of them fails, or `signal` aborts, everything started is
 * stopped before the promise rejects (StackStartError names the service and why).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const profile = options.profile ?? "small";
  const catalog = options.catalog ?? loadCatalog();
  const localModels = [...new Set(options.models ?? catalog.defaultModels)];
  const external = options.externalModels ?? {};
  for (const name of localModels)
    if (name in external) throw new Error(`model ${name} is both started here and given as ${external[name]}`);
  // Every model must be in the catalog with this profile before anything starts (CatalogError names it).
  const downloads = localModels.some((name) => profileSource(catalog.profile(name, profile), "").downloadsAtStart);
  const withEvaluator = options.evaluator ?? true;
  const slots = await resolvePorts(
    stackPortSlots(catalog, localModels, options.ports, { evaluator: withEvaluator, freePorts: options.freePorts }),
  );
  const port = (key: string) => slots.find((s) => s.key === key)!.port;
  const host = options.host ?? "127.0.0.1";
  const emit = options.onEvent ?? (() => {});
  const dbPath = path.resolve(options.dbPath ?? DEFAULT_DB_PATH);

  const processes: ManagedProcess[] = [];
  let stopping = false;
  const killAll = () => {
    for (const p of processes) p.signal("SIGKILL");
  };
  const onExit = () => killAll();
  if (options.killOnExit !== false) process.on("exit", onExit);

  const startedAt = Date.now();
  const env = { ...process.env };
  // Threads: the cores are split between the model processes on this machine (unless the caller decided).
  const threadEnv =
    env.MODEL_THREADS || env.MODEL_PROCESSES_PER_HOST ? {} : { MODEL_PROCESSES_PER_HOST: String(Math.max(1, localModels.length)) };
  const models: StackModel[] = [];
  const readiness: Promise<void>[] = [];
  const abort = new AbortController();
  const onAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let evaluator: EvaluatorProcess | undefined;

  try {
    options.signal?.throwIfAborted();
    for (const name of localModels) {
      const service = await startModelService({
        service: name,
        grpcPort: port(`${name}.grpc`),
        metricsPort: port(`${name}.metrics`),
        host,
        env: { MODEL_PROFILE: profile, SHUTDOWN_GRACE_MS: env.SHUTDOWN_GRACE_MS ?? "5000", ...threadEnv, ...options.modelEnv },
        waitReady: false,
        detached: true,
        // If the launcher dies without stopping the stack (even by SIGKILL), the kernel kills the services:
        // their logs go to the launcher, so with it gone they could not even shut down cleanly.
        parentDeathSignal: "SIGKILL",
        echo: (line) => modelLine(name, line, emit),
      });
      processes.push(service.process);
      models.push({
        name,
        target: service.target,
        local: true,
        grpcPort: service.grpcPort,
        metricsPort: service.metricsPort,
        metricsUrl: service.metricsUrl,
        pid: service.process.pid,
        service,
      });
      emit({ type: "starting", name, pid: service.process.pid, endpoint: service.target });
      // Hub downloads of several GB happen at start-up; cached small models only load.
      const timeoutMs = options.modelReadyTimeoutMs ?? (downloads ? 6 * 3_600_000 : 600_000);
      readiness.push(
        service.ready({ timeoutMs, signal: abort.signal }).then(
          async () => {
            const ms = Date.now() - startedAt;
            // Health turns SERVING a moment before the service logs what it loaded: report that first.
            await service.process.waitForOutput(/"msg":"model loaded and warmed up; SERVING"/, 2_000).catch(() => {});
            emit({ type: "ready", name, ms });
          },
          (error: unknown) => {
            throw startError(name, service.process, error);
          },
        ),
      );
    }
    for (const [name, target] of Object.entries(external)) models.push({ name, target, local: false });
    const modelsEnv = models.map((m) => `${m.name}=${m.target}`).join(",");

    if (withEvaluator) {
      mkdirSync(path.dirname(dbPath), { recursive: true });
      evaluator = await startEvaluator({
        models: modelsEnv,
        port: port("evaluator"),
        host,
        dbPath,
        env: { SHUTDOWN_GRACE_MS: env.SHUTDOWN_GRACE_MS ?? "5000", ...options.evaluatorEnv },
        waitReady: false,
        detached: true,
        // If the launcher dies without stopping the stack (even by SIGKILL), the kernel kills the services:
        // their logs go to the launcher, so with it gone they could not even shut down cleanly.
        parentDeathSignal: "SIGKILL",
        echo: (line) => emit({ type: "log", name: "evaluator", line }),
      });
      const ev = evaluator;
      processes.push(ev.process);
      emit({ type: "starting", name: "evaluator", pid: ev.process.pid, endpoint: ev.url });
      readiness.push(
        ev.ready({ timeoutMs: options.evaluatorReadyTimeoutMs ?? 120_000, signal: abort.signal }).then(
          () => emit({ type: "ready", name: "evaluator", ms: Date.now() - startedAt }),
          (error: unknown) => {
            throw startError("evaluator", ev.process, error);
          },
        ),
      );
    }

    // The first failure aborts the other waits; then everything is stopped.
    const abortOthers = (error: unknown) => {
      abort.abort(error);
      return Promise.reject(error);
    };
    await Promise.all(readiness.map((r) => r.catch(abortOthers)));

    const failure = new Promise<never>((_, reject) => {
      for (const p of processes) {
        void p.exited.then((status) => {
          emit({ type: "exited", name: p.name, status, expected: stopping });
          if (!stopping)
            reject(
              new StackExitedError(
                p.name,
                status,
                failureReason(p.output()) ?? `exited (code ${status.code}, signal ${status.signal})`,
                p.tail(20),
              ),
            );
        });
      }
    });
    failure.catch(() => {});

    const stack: LocalStack = {
      profile,
      models,
      ...(evaluator
        ? { evaluator: { url: evaluator.url, port: evaluator.port, pid: evaluator.process.pid, dbPath, process: evaluator } }
        : {}),
      modelsEnv,
      processes,
      pids: () => processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined),
      failure,
      async stop(stopOptions = {}) {
        stopping = true;
        await stopAll(processes, stopOptions.timeoutMs ?? 20_000);
        process.off("exit", onExit);
      },
      kill() {
        stopping = true;
        killAll();
      },
    };
    options.signal?.removeEventListener("abort", onAbort);
    return stack;
  } catch (error) {
    stopping = true;
    abort.abort(error);
    options.signal?.removeEventListener("abort", onAbort);
    await stopAll(processes, 10_000);
    process.off("exit", onExit);
    throw error;
  }
}

async function stopAll(processes: ManagedProcess[], timeoutMs: number): Promise<void> {
  await Promise.all(processes.map((p) => p.stop("SIGTERM", timeoutMs)));
}

function startError(name: string, process: ManagedProcess, error: unknown): Error {
  if ((error as Error).name === "AbortError" || !(error instanceof Error)) return error as Error;
  if (process.hasExited) {
    return new StackStartError(name, failureReason(process.output()) ?? error.message.split("\n")[0]!, process.tail(20));
  }
  return new StackStartError(name, error.message.split("\n")[0]!, process.tail(20));
}

function modelLine(name: string, line: string, emit: (event: StackEvent) => void): void {
  for (const event of modelLogEvents(name, line)) emit(event);
}

/** What a model service's log line says about its start-up (downloads, loading, loaded), plus the line itself. */
export function modelLogEvents(name: string, line: string): StackEvent[] {
  const log = parseLogLine(line);
  const events: StackEvent[] = [];
  if (log?.msg === "downloading model") {
    const downloadedBytes = Number(log.downloadedBytes ?? 0);
    const totalBytes = Number(log.totalBytes ?? 0);
    events.push({
      type: "download",
      name,
      downloadedBytes,
      totalBytes,
      percent: Number(log.percent ?? (totalBytes ? (downloadedBytes / totalBytes) * 100 : 0)),
    });
  } else if (log?.msg === "gRPC and HTTP listening; loading model") {
    // The model service's start-up line (packages/model-server/src/modelServer.ts).
    events.push({ type: "loading", name, threads: numberOrUndefined(log.threads), slots: numberOrUndefined(log.slots) });
  } else if (log?.msg === "model loaded and warmed up; SERVING") {
    events.push({
      type: "loaded",
      name,
      model: String(log.model ?? "?"),
      ...(typeof log.architecture === "string" ? { architecture: log.architecture } : {}),
      ...(typeof log.quantization === "string" ? { quantization: log.quantization } : {}),
      ...(typeof log.loadMs === "number" ? { loadMs: log.loadMs } : {}),
      ...(typeof log.gpu === "string" ? { gpu: log.gpu } : {}),
    });
  }
  events.push({ type: "log", name, line });
  return events;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
