import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { resolveModelFile } from "node-llama-cpp";
import type { ModelServerConfig } from "./config.js";
import type { LoadedModelFiles } from "./modelEngine.js";
import { sha256File } from "@evalstack/model-catalog";

/** A model that cannot be used: the process exits non-zero with this message, which names the file. */
export class ModelSourceError extends Error {}

const SPLIT_PART = /-(\d{5})-of-(\d{5})\.gguf$/;

/**
 * Turns MODEL_SOURCE into files on disk: a local path is used as is; an `hf:` URI is downloaded by
 * node-llama-cpp's downloader into the cache (every part of a split GGUF, resumable, with progress).
 * Every file with a pin (one per part of a split GGUF, in order) is verified before it is loaded.
 */
export async function resolveModelSource(
  config: Pick<ModelServerConfig, "source" | "sha256" | "cacheDir">,
  onProgress: (downloadedBytes: number, totalBytes: number) => void = () => {},
): Promise<LoadedModelFiles> {
  const isUri = /^(hf|https?):/i.test(config.source);
  let modelPath: string;
  if (isUri) {
    modelPath = await resolveModelFile(config.source, {
      directory: config.cacheDir,
      download: "auto",
      cli: false,
      onProgress: ({ downloadedSize, totalSize }) => onProgress(downloadedSize, totalSize),
    });
  } else {
    modelPath = path.resolve(config.source);
    if (!existsSync(modelPath)) {
      throw new ModelSourceError(`model file ${modelPath} does not exist (MODEL_SOURCE; run 'npm run models' for the small profile)`);
    }
  }
  const files = await splitParts(modelPath);
  if (config.sha256.length > files.length) {
    throw new ModelSourceError(
      `${config.sha256.length} sha256 pins for ${files.length} model file(s) at ${modelPath} (MODEL_SHA256: one per part)`,
    );
  }
  for (const [i, pin] of config.sha256.entries()) {
    if (!pin) continue;
    const digest = await sha256File(files[i]!);
    if (digest !== pin) throw new ModelSourceError(`model file ${files[i]} has sha256 ${digest}, expected ${pin} (MODEL_SHA256)`);
  }
  return { modelPath, files };
}

/** All parts of a split GGUF (name-00001-of-0000N.gguf), or the file alone. */
async function splitParts(modelPath: string): Promise<string[]> {
  const match = SPLIT_PART.exec(path.basename(modelPath));
  if (!match) return [modelPath];
  const total = Number(match[2]);
  const stem = path.basename(modelPath).replace(SPLIT_PART, "");
  const names = new Set(await readdir(path.dirname(modelPath)));
  const parts: string[] = [];
  for (let i = 1; i <= total; i++) {
    const name = `${stem}-${String(i).padStart(5, "0")}-of-${match[2]}.gguf`;
    if (!names.has(name)) throw new ModelSourceError(`model part ${path.join(path.dirname(modelPath), name)} is missing`);
    parts.push(path.join(path.dirname(modelPath), name));
  }
  return parts;
}
