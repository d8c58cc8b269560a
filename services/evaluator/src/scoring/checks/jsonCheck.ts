// The `json` check: the reply (after removing one surrounding code fence) is JSON, optionally matching a schema.

import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { CheckResult } from "../types.js";
import { type CheckSpec, excerpt } from "./checkSpec.js";
import { ajvLinearRegExp, compileLinearRegex } from "./linearRegex.js";

// ajv-formats is CommonJS with a default export; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

// `code.regExp`: schema patterns run on the linear-time engine, as the regex check's do.
const OPTIONS = {
  allErrors: true,
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  code: { regExp: ajvLinearRegExp },
} as const;
const engines = {
  draft7: addFormats(new Ajv(OPTIONS)),
  draft2019: addFormats(new Ajv2019(OPTIONS) as unknown as Ajv),
  draft2020: addFormats(new Ajv2020(OPTIONS) as unknown as Ajv),
};

// The first compile on an engine also compiles its meta-schema (hundreds of ms on a busy machine): pay it
// at start-up, not inside the first request that carries a schema.
for (const engine of Object.values(engines)) engine.compile({ type: "object" });

function engineFor(schema: object): Ajv {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (typeof declared === "string" && declared.includes("2020-12")) return engines.draft2020;
  if (typeof declared === "string" && declared.includes("2019-09")) return engines.draft2019;
  return engines.draft7;
}

const compiled = new Map<string, ValidateFunction>();

/** Compiles (and caches) a JSON Schema; throws when the schema itself is invalid. */
export function compileSchema(schema: unknown): ValidateFunction {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    if (typeof schema !== "boolean") throw new Error("a JSON Schema must be an object or a boolean");
  }
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    const engine = typeof schema === "boolean" ? engines.draft7 : engineFor(schema as object);
    fn = engine.compile(schema as object);
    if (compiled.size > 1_000) compiled.clear();
    compiled.set(key, fn);
  }
  return fn;
}

// Keywords whose values are data, not subschemas: a "pattern" key inside them is not a regex.
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples", "example"]);

/** One issue per schema `pattern` / `patternProperties` key the linear-time engine refuses, at its own path. */
export function schemaPatternIssues(schema: unknown, path: string, issues: { path: string; message: string }[], depth = 0): void {
  if (depth > 64 || typeof schema !== "object" || schema === null) return;
  if (Array.isArray(schema)) {
    for (const [i, s] of schema.entries()) schemaPatternIssues(s, `${path}[${i}]`, issues, depth + 1);
    return;
  }
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (DATA_KEYWORDS.has(key)) continue;
    if (key === "pattern" && typeof value === "string") {
      try {
        compileLinearRegex(value, "u");
      } catch (err) {
        issues.push({ path: `${path}.pattern`, message: `invalid regex: ${(err as Error).message}` });
      }
    } else if (key === "patternProperties" && typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [pattern, sub] of Object.entries(value)) {
        try {
          compileLinearRegex(pattern, "u");
        } catch (err) {
          issues.push({
            path: `${path}.patternProperties[${JSON.stringify(pattern)}]`,
            message: `invalid regex: ${(err as Error).message}`,
          });
        }
        schemaPatternIssues(sub, `${path}.patternProperties[${JSON.stringify(pattern)}]`, issues, depth + 1);
      }
    } else if (key === "properties" && typeof value === "object" && value !== null && !Array.isArray(value)) {
      // Property names are data: recurse into each property's schema only.
      for (const [name, sub] of Object.entries(value)) schemaPatternIssues(sub, `${path}.properties.${name}`, issues, depth + 1);
    } else schemaPatternIssues(value, `${path}.${key}`, issues, depth + 1);
  }
}

const FENCE = /^```[ \t]*(?:json|JSON|jsonc)?[ \t]*\r?\n([\s\S]*?)\r?\n?```$/;

/** The reply without one surrounding ```json (or plain ```) fence. */
export function stripFence(reply: string): string {
  const t = reply.trim();
  const m = FENCE.exec(t);
  return m ? (m[1] ?? "") : t;
}

export const jsonCheck: CheckSpec = {
  fields: ["schema"],
  validate(check, path, issues) {
    if (check.schema === undefined) return;
    const before = issues.length;
    schemaPatternIssues(check.schema, `${path}.schema`, issues);
    if (issues.length > before) return;
    try {
      compileSchema(check.schema);
    } catch (err) {
      issues.push({ path: `${path}.schema`, message: `invalid JSON Schema: ${(err as Error).message}` });
    }
  },
  run(check, reply): CheckResult {
    const body = stripFence(reply);
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      return { type: "json", passed: false, detail: `not JSON: ${(err as Error).message} in "${excerpt(body, 40)}"` };
    }
    if (check.schema === undefined) return { type: "json", passed: true, detail: "valid JSON" };
    const validate = compileSchema(check.schema);
    if (validate(value)) return { type: "json", passed: true, detail: "valid JSON, matches the schema" };
    const errors = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"}`);
    return { type: "json", passed: false, detail: `schema mismatch: ${errors.join("; ")}` };
  },
};
