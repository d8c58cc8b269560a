// Suite files (a JSON array, or JSONL: one item per line) to validated, normalised items.

import { validateItemList } from "../scoring/validateItem.js";
import { SuiteValidationError, type ValidationIssue } from "../scoring/validationError.js";
import type { SuiteItem } from "./types.js";

/** Largest suite text accepted (UTF-16 code units, roughly characters), and most items. */
export const MAX_SUITE_TEXT = 20 * 1024 * 1024;
export const MAX_SUITE_ITEMS = 10_000;

/** JSON array or JSONL text -> normalised items. Throws SuiteValidationError naming each bad field. */
export function parseSuiteText(text: string, format?: "json" | "jsonl"): SuiteItem[] {
  if (typeof text !== "string") throw new SuiteValidationError([{ path: "suite", message: "must be text (a JSON array or JSONL)" }]);
  if (text.length > MAX_SUITE_TEXT)
    throw new SuiteValidationError([{ path: "suite", message: `too large: ${text.length} characters, at most ${MAX_SUITE_TEXT}` }]);
  const body = text.replace(/^\uFEFF/, "");
  const kind = format ?? (body.trimStart().startsWith("[") ? "json" : "jsonl");
  if (kind === "json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      throw new SuiteValidationError([{ path: "suite", message: `not valid JSON: ${(err as Error).message}` }]);
    }
    if (!Array.isArray(parsed)) throw new SuiteValidationError([{ path: "suite", message: "a JSON suite must be an array of items" }]);
    return validateSuiteItems(parsed);
  }
  const issues: ValidationIssue[] = [];
  const items: unknown[] = [];
  const lineOf: number[] = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      items.push(JSON.parse(line));
      lineOf.push(i + 1);
    } catch (err) {
      issues.push({ path: `line ${i + 1}`, message: `not valid JSON: ${(err as Error).message}` });
    }
  });
  if (issues.length > 0) throw new SuiteValidationError(issues);
  if (items.length > MAX_SUITE_ITEMS)
    throw new SuiteValidationError([{ path: "items", message: `too many items: ${items.length}, at most ${MAX_SUITE_ITEMS}` }]);
  // Paths name the item's position and its line, so an error can be found in the file.
  return validateItemList(items, (i) => `items[${i}] (line ${lineOf[i] ?? "?"})`);
}

/** The same validation for already-parsed JSON (an array of items). */
export function validateSuiteItems(items: unknown): SuiteItem[] {
  if (Array.isArray(items) && items.length > MAX_SUITE_ITEMS) {
    throw new SuiteValidationError([{ path: "items", message: `too many items: ${items.length}, at most ${MAX_SUITE_ITEMS}` }]);
  }
  return validateItemList(items);
}
