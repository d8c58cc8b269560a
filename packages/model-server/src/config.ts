import {
  CATALOG_FILE,
  CatalogError,
  defaultModelCacheDir,
  loadCatalog,
  profileSource,
  type CatalogModel,
  type SamplingDefaults,
} from "@evalstack/model-catalog";
import { ConfigError, EnvReader, type Env } from "@evalstack/config";
import { defaultThreads } from "./threads.js";

export type { SamplingDefaults };

export interface ModelServerConfig {
  service: string;
  host: string;
  grpcPort: number;
  /** The OpenAI-compatible HTTP API (same host as gRPC): the catalog's port, MODEL_HTTP_PORT over it; 0 picks a free port. */
  httpPort: number;
  /** 0 disables the Prometheus endpoint. */
  metricsPort: number;
  /** The catalog's profile this service runs (MODEL_PROFILE). */
  profile: string;
  source: string;
  /** A pin per model file, in order (a split GGUF has several); undefined: that file is not verified. */
  sha256: (string | undefined)[];
  cacheDir: string;
  contextSize: number;
  slots: number;
  queueLimit: number;
  threads: number;
  gpu: "auto" | "cuda" | "vulkan" | "metal" | false;
  gpuLayers: number | "auto";
  maxTokensDefault: number;
  sampling: SamplingDefaults;
  shutdownGraceMs: number;
  /** Test-only: delay before every generation's first token, to prove that TTFT is measured end to end. */
  testFirstTokenDelayMs: number;
  /** Test only: a request holds its slot until at least completion tokens x this many ms after it started. */
  testTokenDelayMs: number;
}

export { ConfigError } from "@evalstack/config";

const integer = (env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  new EnvReader(env).integer(name, fallback, { min, max });
const number = (env: Env, name: string, fallback: number, min: number, max: number) =>
  new EnvReader(env).number(name, fallback, { min, max });

/**
 * Which catalog entry this process serves: `name` when the entry point fixes it (a named service), else
 * MODEL_NAME; from MODEL_CATALOG (default: the repository's models/catalog.yaml).
 */
export function selectCatalogModel(name: string | undefined, env: Env = process.env): CatalogModel {
  const chosen = name ?? env.MODEL_NAME;
  if (!chosen) throw new ConfigError("MODEL_NAME", "required (the name of the catalog entry to serve)");
  try {
    const catalog = loadCatalog(env.MODEL_CATALOG || CATALOG_FILE);
    return catalog.model(chosen);
  } catch (error) {
    if (error instanceof CatalogError) throw new ConfigError(name ? "MODEL_CATALOG" : "MODEL_NAME", error.message);
    throw error;
  }
}

/** Reads and validates the model service's configuration (one place, from the environment over the catalog entry). */
export function loadModelServerConfig(model: CatalogModel, env: Env = process.env): ModelServerConfig {
  const profile = env.MODEL_PROFILE || "small";
  const chosen = model.profiles[profile];
  if (!chosen)
    throw new ConfigError("MODEL_PROFILE", `${model.name} has no profile '${profile}' (it has ${Object.keys(model.profiles).join(", ")})`);
  const cacheDir = defaultModelCacheDir(env);
  const fromProfile = profileSource(chosen, cacheDir);
  const source = env.MODEL_SOURCE || fromProfile.source;
  const pins = env.MODEL_SHA256 ? env.MODEL_SHA256.split(",").map((s) => s.trim()) : env.MODEL_SOURCE ? [] : fromProfile.sha256;
  for (const pin of pins)
    if (pin && !/^[0-9a-f]{64}$/.test(pin))
      throw new ConfigError("MODEL_SHA256", `expected sha256 values (64 lowercase hex digits, comma-separated per part), got '${pin}'`);
  const gpuRaw = (env.MODEL_GPU ?? "auto").toLowerCase();
  const gpuChoices = { auto: "auto", cuda: "cuda", vulkan: "vulkan", metal: "metal", off: false, false: false, none: false } as const;
  if (!(gpuRaw in gpuChoices)) throw new ConfigError("MODEL_GPU", `expected auto, cuda, vulkan, metal or off, got '${gpuRaw}'`);
  const processesPerHost = integer(env, "MODEL_PROCESSES_PER_HOST", 1, 1, 256);
  const contextSize = integer(env, "MODEL_CONTEXT_SIZE", model.contextSize, 64, 1_048_576);
  const maxTokensDefault = integer(env, "MODEL_MAX_TOKENS_DEFAULT", Math.min(512, contextSize), 1, contextSize);
  return {
    service: model.name,
    host: env.GRPC_HOST || "0.0.0.0",
    grpcPort: integer(env, "GRPC_PORT", model.ports.grpc, 0, 65535),
    metricsPort: integer(env, "METRICS_PORT", model.ports.metrics, 0, 65535),
    httpPort: integer(env, "MODEL_HTTP_PORT", model.ports.http, 0, 65535),
    profile,
    source,
    sha256: pins.map((p) => p || undefined),
    cacheDir,
    contextSize,
    slots: integer(env, "MODEL_SLOTS", model.slots, 1, 256),
    queueLimit: integer(env, "MODEL_QUEUE_LIMIT", 32, 0, 100_000),
    threads: integer(env, "MODEL_THREADS", defaultThreads(processesPerHost), 1, 1024),
    gpu: gpuChoices[gpuRaw as keyof typeof gpuChoices],
    gpuLayers: env.MODEL_GPU_LAYERS ? integer(env, "MODEL_GPU_LAYERS", 0, 0, 10_000) : "auto",
    maxTokensDefault,
    sampling: {
      temperature: number(env, "MODEL_TEMPERATURE_DEFAULT", model.sampling.temperature, 0, 10),
      topP: number(env, "MODEL_TOP_P_DEFAULT", model.sampling.topP, 0, 1),
      topK: integer(env, "MODEL_TOP_K_DEFAULT", model.sampling.topK, 0, 100_000),
      minP: number(env, "MODEL_MIN_P_DEFAULT", model.sampling.minP, 0, 1),
      repeatPenalty: number(env, "MODEL_REPEAT_PENALTY_DEFAULT", model.sampling.repeatPenalty, 0, 10),
    },
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 30_000, 0, 3_600_000),
    testFirstTokenDelayMs: integer(env, "MODEL_TEST_FIRST_TOKEN_DELAY_MS", 0, 0, 600_000),
    testTokenDelayMs: integer(env, "MODEL_TEST_TOKEN_DELAY_MS", 0, 0, 60_000),
  };
}
