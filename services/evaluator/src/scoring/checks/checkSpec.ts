// What every check type provides: field validation (run once, when an item is loaded) and evaluation.

import type { Check } from "../../suites/types.js";
import type { CheckResult } from "../types.js";
import type { ValidationIssue } from "../validationError.js";
import type { Sandbox } from "../sandbox/sandbox.js";

export interface CheckContext {
  /** The process's sandbox (code checks); built from the evaluator's config. */
  sandbox?: Sandbox;
}

export interface CheckSpec {
  /** The fields this type accepts besides `type` (anything else is reported as unknown). */
  fields: readonly string[];
  /** Appends one issue per bad field; `path` is the check's own path, e.g. `items[3].checks[0]`. */
  validate(check: Check, path: string, issues: ValidationIssue[]): void;
  /** Synchronous checks return a result; the code check returns a promise. */
  run(check: Check, reply: string, ctx: CheckContext): CheckResult | Promise<CheckResult>;
}

/** Field helpers shared by the check types. */
export function requireString(check: Check, field: string, path: string, issues: ValidationIssue[], nonEmpty = true): void {
  const v = check[field];
  if (typeof v !== "string") issues.push({ path: `${path}.${field}`, message: v === undefined ? "is required" : "must be a string" });
  else if (nonEmpty && v.length === 0) issues.push({ path: `${path}.${field}`, message: "must not be empty" });
}

export function optionalBoolean(check: Check, field: string, path: string, issues: ValidationIssue[]): void {
  const v = check[field];
  if (v !== undefined && typeof v !== "boolean") issues.push({ path: `${path}.${field}`, message: "must be a boolean" });
}

export function optionalNonNegativeInt(check: Check, field: string, path: string, issues: ValidationIssue[]): void {
  const v = check[field];
  if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v >= 0)) {
    issues.push({ path: `${path}.${field}`, message: "must be a non-negative integer" });
  }
}

/** `min`/`max` bounds: each optional, non-negative integers, min <= max. */
export function validateBounds(check: Check, path: string, issues: ValidationIssue[]): void {
  optionalNonNegativeInt(check, "min", path, issues);
  optionalNonNegativeInt(check, "max", path, issues);
  const { min, max } = check;
  if (typeof min === "number" && typeof max === "number" && min > max) {
    issues.push({ path: `${path}.max`, message: `must be >= min (${min})` });
  }
}

export function boundsText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return min === max ? `exactly ${min}` : `${min}-${max}`;
  if (min !== undefined) return `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return "any number";
}

export function inBounds(n: number, check: Check): boolean {
  const min = typeof check.min === "number" ? check.min : undefined;
  const max = typeof check.max === "number" ? check.max : undefined;
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

/** A short, single-line excerpt for check details. */
export function excerpt(text: string, max = 60): string {
  // Flatten only the head: a reply can be long, and the detail needs its first few words.
  const flat = text
    .slice(0, max * 4)
    .replace(/\s+/g, " ")
    .trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
