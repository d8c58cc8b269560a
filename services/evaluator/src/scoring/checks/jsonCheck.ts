// The `json` check: the reply (after removing one surrounding code fence) is JSON, optionally matching a schema.

import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { CheckResult } from "../types.js";
import { type CheckSpec, excerpt } from "./checkSpec.js";

// ajv-formats is CommonJS with a default export; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const OPTIONS = { allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false } as const;
const engines = {
  draft7: addFormats(new Ajv(OPTIONS)),
  draft2019: addFormats(new Ajv2019(OPTIONS) as unknown as Ajv),
  draft2020: addFormats(new Ajv2020(OPTIONS) as unknown as Ajv),
};

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
