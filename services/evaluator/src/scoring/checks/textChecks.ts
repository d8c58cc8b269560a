// Checks on the reply's text: substrings, regular expressions, script, case, commas, words and list items.

import type { Check, CheckResult } from "../types.js";
import {
  type CheckSpec,
  boundsText,
  excerpt,
  inBounds,
  optionalBoolean,
  requireString,
  validateBounds,
} from "./checkSpec.js";

const result = (type: string, passed: boolean, detail: string): CheckResult => ({ type, passed, detail });

function fold(text: string, ignoreCase: boolean): string {
  const n = text.normalize("NFC");
  return ignoreCase ? n.toLowerCase() : n;
}

function validateValues(check: Check, path: string, issues: { path: string; message: string }[]): void {
  const v = check.values;
  if (!Array.isArray(v)) {
    issues.push({ path: `${path}.values`, message: v === undefined ? "is required" : "must be an array of strings" });
    return;
  }
  if (v.length === 0) issues.push({ path: `${path}.values`, message: "must not be empty" });
  v.forEach((s, i) => {
    if (typeof s !== "string" || s.length === 0) issues.push({ path: `${path}.values[${i}]`, message: "must be a non-empty string" });
  });
}

export const contains: CheckSpec = {
  fields: ["value", "ignore_case"],
  validate(check, path, issues) {
    requireString(check, "value", path, issues);
    optionalBoolean(check, "ignore_case", path, issues);
  },
  run(check, reply) {
    const value = check.value as string;
    const found = fold(reply, check.ignore_case === true).includes(fold(value, check.ignore_case === true));
    return result("contains", found, found ? `found "${value}"` : `"${value}" not found`);
  },
};

export const notContains: CheckSpec = {
  fields: ["value", "ignore_case"],
  validate: contains.validate,
  run(check, reply) {
    const value = check.value as string;
    const found = fold(reply, check.ignore_case === true).includes(fold(value, check.ignore_case === true));
    return result("not_contains", !found, found ? `"${value}" is present` : `"${value}" absent`);
  },
};

export const containsAll: CheckSpec = {
  fields: ["values", "ignore_case"],
  validate(check, path, issues) {
    validateValues(check, path, issues);
    optionalBoolean(check, "ignore_case", path, issues);
  },
  run(check, reply) {
    const ic = check.ignore_case === true;
    const text = fold(reply, ic);
    const missing = (check.values as string[]).filter((v) => !text.includes(fold(v, ic)));
    return result(
      "contains_all",
      missing.length === 0,
      missing.length === 0 ? `all ${(check.values as string[]).length} found` : `missing: ${missing.map((m) => `"${m}"`).join(", ")}`,
    );
  },
};

export const containsAny: CheckSpec = {
  fields: ["values", "ignore_case"],
  validate: containsAll.validate,
  run(check, reply) {
    const ic = check.ignore_case === true;
    const text = fold(reply, ic);
    const hit = (check.values as string[]).find((v) => text.includes(fold(v, ic)));
    return result("contains_any", hit !== undefined, hit !== undefined ? `found "${hit}"` : "none of the values found");
  },
};

const VALID_FLAGS = /^(?!.*(.).*\1)[dgimsuyv]*$/;
const regexCache = new Map<string, RegExp>();

/** Compiles (and caches) a check's regex; throws SyntaxError for an invalid pattern or flags. */
export function compileRegex(pattern: string, flags: string): RegExp {
  const key = `${flags}/${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    // `g` and `y` make test() stateful; a check asks only "does it match anywhere".
    re = new RegExp(pattern, flags.replace(/[gy]/g, ""));
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

export const regex: CheckSpec = {
  fields: ["pattern", "flags"],
  validate(check, path, issues) {
    requireString(check, "pattern", path, issues);
    const flags = check.flags;
    if (flags !== undefined && (typeof flags !== "string" || !VALID_FLAGS.test(flags))) {
      issues.push({ path: `${path}.flags`, message: "must be a string of distinct regex flags from 'dgimsuyv'" });
      return;
    }
    if (flags !== undefined && flags.includes("u") && flags.includes("v")) {
      issues.push({ path: `${path}.flags`, message: "cannot combine 'u' and 'v'" });
      return;
    }
    if (typeof check.pattern === "string") {
      try {
        compileRegex(check.pattern, (flags as string | undefined) ?? "");
      } catch (err) {
        issues.push({ path: `${path}.pattern`, message: `invalid regex: ${(err as Error).message}` });
      }
    }
  },
  run(check, reply) {
    const re = compileRegex(check.pattern as string, (check.flags as string | undefined) ?? "");
    const m = re.exec(reply);
    return result("regex", m !== null, m ? `matched "${excerpt(m[0], 40)}"` : `no match for /${check.pattern as string}/`);
  },
};

// Han (CJK ideographs), Hiragana, Katakana and Hangul: the scripts that make a reply "not English".
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_ALL = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;

export const englishOnly: CheckSpec = {
  fields: [],
  validate() {},
  run(_check, reply) {
    if (!CJK.test(reply)) return result("english_only", true, "no CJK characters");
    const found = reply.match(CJK_ALL) ?? [];
    return result("english_only", false, `CJK text found: ${found.slice(0, 5).map((s) => `"${excerpt(s, 12)}"`).join(", ")}`);
  },
};

export const lowercase: CheckSpec = {
  fields: [],
  validate() {},
  run(_check, reply) {
    const upper = reply.match(/\p{Lu}|\p{Lt}/gu);
    if (upper) return result("lowercase", false, `${upper.length} uppercase letter(s), first "${upper[0]}"`);
    if (!/\p{L}/u.test(reply)) return result("lowercase", false, "no letters in the reply");
    return result("lowercase", true, "no uppercase letters");
  },
};

export const noComma: CheckSpec = {
  fields: [],
  validate() {},
  run(_check, reply) {
    const n = (reply.match(/[,\uFF0C]/g) ?? []).length;
    return result("no_comma", n === 0, n === 0 ? "no commas" : `${n} comma(s)`);
  },
};

const NOT_WORDLIKE = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}";
// A word: one CJK ideograph/kana (those scripts put no spaces between words), or a run of other letters and
// digits, with inner apostrophes and hyphens ("don't", "well-known").
const WORD = new RegExp(
  `[${NOT_WORDLIKE}]|(?:(?![${NOT_WORDLIKE}])[\\p{L}\\p{N}\\p{M}])+(?:['’\\-](?:(?![${NOT_WORDLIKE}])[\\p{L}\\p{N}\\p{M}])+)*`,
  "gu",
);

export function countWords(text: string): number {
  return (text.match(WORD) ?? []).length;
}

export const wordCount: CheckSpec = {
  fields: ["min", "max"],
  validate(check, path, issues) {
    validateBounds(check, path, issues);
    if (check.min === undefined && check.max === undefined) issues.push({ path, message: "word_count needs min or max" });
  },
  run(check, reply) {
    const n = countWords(reply);
    const ok = inBounds(n, check);
    return result("word_count", ok, `${n} word(s), wanted ${boundsText(check.min as number | undefined, check.max as number | undefined)}`);
  },
};

// A list item line: optional indent, then a bullet (-, *, •) or a number with "." or ")", then a space.
const LIST_ITEM = /^[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+\S/;

export function countListItems(text: string): number {
  let n = 0;
  for (const line of text.split(/\r?\n/)) if (LIST_ITEM.test(line)) n++;
  return n;
}

export const listItems: CheckSpec = {
  fields: ["min", "max"],
  validate(check, path, issues) {
    validateBounds(check, path, issues);
  },
  run(check, reply) {
    const n = countListItems(reply);
    // With neither bound given, the reply must contain a list (at least one item).
    const min = typeof check.min === "number" ? check.min : typeof check.max === "number" ? 0 : 1;
    const ok = n >= min && inBounds(n, check);
    return result("list_items", ok, `${n} list item(s), wanted ${boundsText(min, check.max as number | undefined)}`);
  },
};
