import { profileSource, type ProfileName, type ServiceName } from "./modelProfiles.js";
import { defaultThreads } from "./threads.js";

/** What a model service (qwen, phi3) fixes about itself; everything else comes from the environment. */
export interface ServiceDefaults {
  service: ServiceName;
  grpcPort: number;
  metricsPort: number;
  contextSize: number;
}

export interface SamplingDefaults {
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  repeatPenalty: number;
}

export interface ModelServerConfig {
  service: string;
  host: string;
  grpcPort: number;
  /** 0 disables the Prometheus endpoint. */
  metricsPort: number;
  source: string;
  sha256: string | undefined;
  cacheDir: string | undefined;
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

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}: expected an integer in [${min}, ${max}], got '${raw}'`);
  }
  return value;
}

function number(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name}: expected a number in [${min}, ${max}], got '${raw}'`);
  }
  return value;
}

/** Reads and validates the model service's configuration (one place, from the environment). */
export function loadModelServerConfig(defaults: ServiceDefaults, env: Env = process.env): ModelServerConfig {
  const profile = (env.MODEL_PROFILE ?? "small") as ProfileName;
  if (profile !== "small" && profile !== "seed") {
    throw new ConfigError(`MODEL_PROFILE: expected 'small' or 'seed', got '${profile}'`);
  }
  const fromProfile = profileSource(profile, defaults.service);
  const source = env.MODEL_SOURCE || fromProfile.source;
  const gpuRaw = (env.MODEL_GPU ?? "auto").toLowerCase();
  const gpuChoices = { auto: "auto", cuda: "cuda", vulkan: "vulkan", metal: "metal", off: false, false: false, none: false } as const;
  if (!(gpuRaw in gpuChoices)) throw new ConfigError(`MODEL_GPU: expected auto, cuda, vulkan, metal or off, got '${gpuRaw}'`);
  const processesPerHost = integer(env, "MODEL_PROCESSES_PER_HOST", 1, 1, 256);
  const contextSize = integer(env, "MODEL_CONTEXT_SIZE", defaults.contextSize, 64, 1_048_576);
  const maxTokensDefault = integer(env, "MODEL_MAX_TOKENS_DEFAULT", Math.min(512, contextSize), 1, contextSize);
  return {
    service: defaults.service,
    host: env.GRPC_HOST || "0.0.0.0",
    grpcPort: integer(env, "GRPC_PORT", defaults.grpcPort, 0, 65535),
    metricsPort: integer(env, "METRICS_PORT", defaults.metricsPort, 0, 65535),
    source,
    sha256: env.MODEL_SHA256 || (env.MODEL_SOURCE ? undefined : fromProfile.sha256),
    cacheDir: env.MODEL_CACHE_DIR || undefined,
    contextSize,
    slots: integer(env, "MODEL_SLOTS", 2, 1, 256),
    queueLimit: integer(env, "MODEL_QUEUE_LIMIT", 32, 0, 100_000),
    threads: integer(env, "MODEL_THREADS", defaultThreads(processesPerHost), 1, 1024),
    gpu: gpuChoices[gpuRaw as keyof typeof gpuChoices],
    gpuLayers: env.MODEL_GPU_LAYERS ? integer(env, "MODEL_GPU_LAYERS", 0, 0, 10_000) : "auto",
    maxTokensDefault,
    sampling: {
      temperature: number(env, "MODEL_TEMPERATURE_DEFAULT", 0.7, 0, 10),
      topP: number(env, "MODEL_TOP_P_DEFAULT", 0.95, 0, 1),
      topK: integer(env, "MODEL_TOP_K_DEFAULT", 40, 0, 100_000),
      minP: number(env, "MODEL_MIN_P_DEFAULT", 0.05, 0, 1),
      repeatPenalty: number(env, "MODEL_REPEAT_PENALTY_DEFAULT", 1.1, 0, 10),
    },
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 30_000, 0, 3_600_000),
    testFirstTokenDelayMs: integer(env, "MODEL_TEST_FIRST_TOKEN_DELAY_MS", 0, 0, 600_000),
    testTokenDelayMs: integer(env, "MODEL_TEST_TOKEN_DELAY_MS", 0, 0, 60_000),
  };
}
