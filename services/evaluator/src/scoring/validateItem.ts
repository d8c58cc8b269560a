// Validation of suite items: every problem is collected and reported with its path, nothing is guessed.

import { checkSpec, CHECK_TYPES } from "./checks/registry.js";
import { type Check, type ChatMessage, DIMENSIONS, type Dimension, type SuiteItem } from "../suites/types.js";
import { SuiteValidationError, type ValidationIssue } from "./validationError.js";

const ITEM_FIELDS = new Set(["id", "dimension", "messages", "prompt", "max_tokens", "checks"]);
const ROLES = new Set(["system", "user", "assistant"]);
// '/' is allowed for the standard benchmarks' task ids (HumanEval/0); links encode it.
const ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
export const MAX_TOKENS_CEILING = 32_768;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates one item at `path` (e.g. `items[3]`), appending issues; returns the normalised item when valid. */
export function checkItem(raw: unknown, path: string, issues: ValidationIssue[]): SuiteItem | null {
  const before = issues.length;
  if (!isObject(raw)) {
    issues.push({ path, message: "must be an object" });
    return null;
  }
  for (const key of Object.keys(raw)) {
    if (!ITEM_FIELDS.has(key)) issues.push({ path: `${path}.${key}`, message: "unknown field" });
  }
  const { id, dimension, messages, prompt, max_tokens: maxTokens, checks } = raw;
  if (typeof id !== "string") issues.push({ path: `${path}.id`, message: id === undefined ? "is required" : "must be a string" });
  else if (!ID.test(id))
    issues.push({ path: `${path}.id`, message: "must be 1-128 characters: letters, digits, '.', '_', ':', '/', '-' (not first)" });

  if (typeof dimension !== "string" || !DIMENSIONS.includes(dimension as Dimension)) {
    issues.push({
      path: `${path}.dimension`,
      message: dimension === undefined ? "is required" : `unknown dimension ${JSON.stringify(dimension)} (one of ${DIMENSIONS.join(", ")})`,
    });
  }

  let normalised: ChatMessage[] = [];
  if (messages !== undefined && prompt !== undefined) {
    issues.push({ path: `${path}.prompt`, message: "give either messages or prompt, not both" });
  } else if (prompt !== undefined) {
    if (typeof prompt !== "string" || prompt.trim() === "") issues.push({ path: `${path}.prompt`, message: "must be a non-empty string" });
    else normalised = [{ role: "user", content: prompt }];
  } else if (messages === undefined) {
    issues.push({ path: `${path}.messages`, message: "is required (or give prompt)" });
  } else if (!Array.isArray(messages) || messages.length === 0) {
    issues.push({ path: `${path}.messages`, message: "must be a non-empty array" });
  } else {
    messages.forEach((m, i) => {
      const mp = `${path}.messages[${i}]`;
      if (!isObject(m)) {
        issues.push({ path: mp, message: "must be an object" });
        return;
      }
      for (const key of Object.keys(m))
        if (key !== "role" && key !== "content") issues.push({ path: `${mp}.${key}`, message: "unknown field" });
      if (typeof m.role !== "string" || !ROLES.has(m.role))
        issues.push({ path: `${mp}.role`, message: `must be "system", "user" or "assistant"` });
      if (typeof m.content !== "string") issues.push({ path: `${mp}.content`, message: "must be a string" });
      else normalised.push({ role: m.role as ChatMessage["role"], content: m.content });
    });
    const last = messages[messages.length - 1];
    if (isObject(last) && last.role !== "user")
      issues.push({ path: `${path}.messages[${messages.length - 1}].role`, message: "the last message must be the user's" });
  }

  if (
    maxTokens !== undefined &&
    !(typeof maxTokens === "number" && Number.isInteger(maxTokens) && maxTokens >= 1 && maxTokens <= MAX_TOKENS_CEILING)
  ) {
    issues.push({ path: `${path}.max_tokens`, message: `must be an integer from 1 to ${MAX_TOKENS_CEILING}` });
  }

  const normalisedChecks: Check[] = [];
  if (checks === undefined) {
    if (dimension !== "latency") issues.push({ path: `${path}.checks`, message: "is required (only latency items have no checks)" });
  } else if (!Array.isArray(checks)) {
    issues.push({ path: `${path}.checks`, message: "must be an array" });
  } else if (dimension === "latency" && checks.length > 0) {
    issues.push({ path: `${path}.checks`, message: "latency items are scored from timings and take no checks" });
  } else if (dimension !== "latency" && checks.length === 0) {
    issues.push({ path: `${path}.checks`, message: "must have at least one check (only latency items have none)" });
  } else {
    checks.forEach((c, i) => {
      const cp = `${path}.checks[${i}]`;
      if (!isObject(c)) {
        issues.push({ path: cp, message: "must be an object" });
        return;
      }
      if (typeof c.type !== "string") {
        issues.push({ path: `${cp}.type`, message: c.type === undefined ? "is required" : "must be a string" });
        return;
      }
      const spec = checkSpec(c.type);
      if (!spec) {
        issues.push({ path: `${cp}.type`, message: `unknown check type '${c.type}' (one of ${CHECK_TYPES.join(", ")})` });
        return;
      }
      for (const key of Object.keys(c)) {
        if (key !== "type" && !spec.fields.includes(key))
          issues.push({ path: `${cp}.${key}`, message: `unknown field for a ${c.type} check` });
      }
      spec.validate(c as Check, cp, issues);
      normalisedChecks.push({ ...c } as Check);
    });
  }

  if (issues.length > before) return null;
  return {
    id: id as string,
    dimension: dimension as Dimension,
    messages: normalised,
    ...(maxTokens !== undefined ? { max_tokens: maxTokens as number } : {}),
    checks: normalisedChecks,
  };
}

/** One item, validated and normalised; throws SuiteValidationError naming each bad field. */
export function validateItem(item: unknown): SuiteItem {
  const issues: ValidationIssue[] = [];
  const result = checkItem(item, "item", issues);
  if (!result || issues.length > 0) throw new SuiteValidationError(issues);
  return result;
}

/** A list of items: each validated, ids unique. Paths read `items[i]...`. */
export function validateItemList(items: unknown, pathOf: (i: number) => string = (i) => `items[${i}]`): SuiteItem[] {
  if (!Array.isArray(items)) throw new SuiteValidationError([{ path: "items", message: "must be an array of items" }]);
  const issues: ValidationIssue[] = [];
  if (items.length === 0) issues.push({ path: "items", message: "a suite needs at least one item" });
  const seen = new Map<string, number>();
  const out: SuiteItem[] = [];
  items.forEach((raw, i) => {
    const item = checkItem(raw, pathOf(i), issues);
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === "string") {
      const first = seen.get(id);
      if (first !== undefined) issues.push({ path: `${pathOf(i)}.id`, message: `duplicate id '${id}' (first at ${pathOf(first)})` });
      else seen.set(id, i);
    }
    if (item) out.push(item);
  });
  if (issues.length > 0) throw new SuiteValidationError(issues);
  return out;
}
