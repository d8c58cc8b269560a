// Checks on numbers in the reply: the final numeric answer, and calculation steps shown on the way.

import type { CheckResult } from "../types.js";
import { type CheckSpec, excerpt, optionalNonNegativeInt } from "./checkSpec.js";

/** Full-width digits and signs to ASCII, so "５人" reads as "5人". */
function toHalfWidth(text: string): string {
  return text.replace(/[\uFF10-\uFF19\uFF0B\uFF0D\uFF0E\uFF0C\uFF04\uFF05]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0));
}

// A number as written: an optional sign (only where it cannot be a minus between two operands, as in
// "30-25"), an optional currency sign, digits with optional thousands separators ("1,234,567"; a space is not
// a separator), optional decimals, an optional "/denominator". Trailing units ("5人", "5 kg", "5%") and a
// trailing period are simply not part of the match.
const NUMBER_SOURCE = "(?:(?<![\\w.)\\]])[-+−])?[$¥€£￥]?\\s?(?:\\d{1,3}(?:,\\d{3})+(?!\\d)|\\d+)(?:\\.\\d+)?(?:/\\d+(?:\\.\\d+)?)?";
const NUMBER = new RegExp(NUMBER_SOURCE, "g");

/** Parses one matched number: drops currency signs and thousands separators, evaluates a fraction. */
export function parseNumber(raw: string): number | null {
  const cleaned = raw
    .replace(/[$¥€£￥\s]/g, "")
    .replace(/,/g, "")
    .replace(/^−/, "-")
    .replace(/^\+/, "");
  const slash = cleaned.indexOf("/");
  if (slash > 0) {
    const num = Number(cleaned.slice(0, slash));
    const den = Number(cleaned.slice(slash + 1));
    return den === 0 || !Number.isFinite(num) || !Number.isFinite(den) ? null : num / den;
  }
  const n = Number(cleaned);
  return Number.isFinite(n) ? n : null;
}

export interface ExtractedAnswer {
  value: number;
  /** Which rule found it: "####", "boxed", "marker" or "last number". */
  source: string;
  text: string;
}

const HASHES = new RegExp(`####\\s*(?:\\*\\*)?\\s*(${NUMBER_SOURCE})`, "g");
const BOXED = new RegExp(`\\\\boxed\\s*\\{\\s*(?:\\\\text\\{)?\\s*(${NUMBER_SOURCE}|\\\\d?frac\\{\\d+\\}\\{\\d+\\})`, "g");
// An explicit marker, then (after optional colon, markdown bold or "=") the number.
const MARKER = new RegExp(
  `(?:final answer|answer is|answer\\s*[:=]|答案是|答案\\s*[:：]|答\\s*[:：]|结果是)\\s*[:：=]?\\s*(?:\\*\\*|\\$)?\\s*(${NUMBER_SOURCE})`,
  "gi",
);

function lastMatch(re: RegExp, text: string): RegExpExecArray | null {
  re.lastIndex = 0;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    last = m;
    if (m[0].length === 0) re.lastIndex++;
  }
  return last;
}

function parseBoxed(raw: string): number | null {
  const frac = /\\d?frac\{(\d+)\}\{(\d+)\}/.exec(raw);
  if (frac) return Number(frac[2]) === 0 ? null : Number(frac[1]) / Number(frac[2]);
  return parseNumber(raw);
}

/**
 * The reply's numeric answer, in this order of preference: `#### N`, `\boxed{N}`, an explicit marker
 * (answer is / Answer: / final answer / 答案是 / 答案： / 答： / 结果是) followed by a number, else the last
 * number in the reply. Where a rule matches several times, its last match wins.
 */
export function extractNumericAnswer(reply: string): ExtractedAnswer | null {
  const text = toHalfWidth(reply);
  const rules: [string, RegExp, (raw: string) => number | null][] = [
    ["####", HASHES, parseNumber],
    ["boxed", BOXED, parseBoxed],
    ["marker", MARKER, parseNumber],
  ];
  for (const [source, re, parse] of rules) {
    const m = lastMatch(re, text);
    const value = m?.[1] !== undefined ? parse(m[1]) : null;
    if (m && value !== null) return { value, source, text: m[0] };
  }
  const m = lastMatch(NUMBER, text);
  const value = m ? parseNumber(m[0]) : null;
  return m && value !== null ? { value, source: "last number", text: m[0] } : null;
}

export const numericAnswer: CheckSpec = {
  fields: ["value", "tolerance"],
  validate(check, path, issues) {
    if (typeof check.value !== "number" || !Number.isFinite(check.value)) {
      issues.push({ path: `${path}.value`, message: check.value === undefined ? "is required" : "must be a finite number" });
    }
    const t = check.tolerance;
    if (t !== undefined && !(typeof t === "number" && Number.isFinite(t) && t >= 0)) {
      issues.push({ path: `${path}.tolerance`, message: "must be a non-negative number" });
    }
  },
  run(check, reply): CheckResult {
    const expected = check.value as number;
    const tolerance = typeof check.tolerance === "number" ? check.tolerance : 1e-6;
    const got = extractNumericAnswer(reply);
    if (!got) return { type: "numeric_answer", passed: false, detail: `no number found, expected ${expected}` };
    const passed = Math.abs(got.value - expected) <= tolerance;
    return {
      type: "numeric_answer",
      passed,
      detail: `answer ${got.value} (${got.source}: "${excerpt(got.text, 30)}"), expected ${expected}${tolerance !== 1e-6 ? ` ± ${tolerance}` : ""}`,
    };
  },
};

// A calculation line: "=" plus a binary operation between operands, and at least one digit.
const OPERATION = /[\w)\]]\s*(?:[+\-−*×÷/^·]|\\times|\\cdot|\\div)\s*[\w(\\[]/u;

export function isCalculationLine(line: string): boolean {
  const t = toHalfWidth(line)
    .replace(/^[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+/, "")
    .replace(/＝/g, "=");
  return t.includes("=") && /\d/.test(t) && OPERATION.test(t);
}

export const steps: CheckSpec = {
  fields: ["min"],
  validate(check, path, issues) {
    optionalNonNegativeInt(check, "min", path, issues);
  },
  run(check, reply): CheckResult {
    const min = typeof check.min === "number" ? check.min : 2;
    const lines = reply.split(/\r?\n/).filter(isCalculationLine);
    return {
      type: "steps",
      passed: lines.length >= min,
      detail: `${lines.length} calculation line(s), wanted >= ${min}${lines[0] ? `; first: "${excerpt(lines[0], 40)}"` : ""}`,
    };
  },
};
