// Checks on the reply's text: substrings, regular expressions, script, case, commas, words and list items.

import type { Check } from "../../suites/types.js";
import type { CheckResult } from "../types.js";
import { type CheckSpec, boundsText, excerpt, inBounds, optionalBoolean, requireString, validateBounds } from "./checkSpec.js";
import { compileLinearRegex, flagsProblem } from "./linearRegex.js";

const result = (type: string, passed: boolean, detail: string): CheckResult => ({ type, passed, detail });

// The reply is folded once for all of an item's substring checks (a one-entry memo per case mode).
const foldMemo: [input: string | null, output: string][] = [
  [null, ""],
  [null, ""],
];

function fold(text: string, ignoreCase: boolean): string {
  const memo = foldMemo[ignoreCase ? 1 : 0] as [string | null, string];
  if (memo[0] === text) return memo[1];
  const n = text.normalize("NFC");
  const out = ignoreCase ? n.toLowerCase() : n;
  if (text.length > 256) {
    memo[0] = text;
    memo[1] = out;
  }
  return out;
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

export const regex: CheckSpec = {
  fields: ["pattern", "flags"],
  validate(check, path, issues) {
    requireString(check, "pattern", path, issues);
    const flags = check.flags;
    const problem = flags === undefined ? null : flagsProblem(flags);
    if (problem) {
      issues.push({ path: `${path}.flags`, message: problem });
      return;
    }
    if (typeof check.pattern === "string") {
      try {
        compileLinearRegex(check.pattern, (flags as string | undefined) ?? "");
      } catch (err) {
        issues.push({ path: `${path}.pattern`, message: `invalid regex: ${(err as Error).message}` });
      }
    }
  },
  run(check, reply) {
    const re = compileLinearRegex(check.pattern as string, (check.flags as string | undefined) ?? "");
    const m = re.firstMatch(reply);
    return result("regex", m !== null, m !== null ? `matched "${excerpt(m, 40)}"` : `no match for /${check.pattern as string}/`);
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
    return result(
      "english_only",
      false,
      `CJK text found: ${found
        .slice(0, 5)
        .map((s) => `"${excerpt(s, 12)}"`)
        .join(", ")}`,
    );
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

// A word: one CJK ideograph or kana (those scripts put no spaces between words), or a run of other letters,
// digits and marks, with single inner apostrophes or hyphens ("don't", "well-known"). A hand-written scanner
// (ASCII fast path): a regex over a 2,000-word reply was the slowest non-code check.
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
const OTHER = 0;
const WORD = 1;
const CJK_WORD = 2;
const JOINER = 3;

/** The kind of the (possibly astral) character at i; its width in UTF-16 units is 2 for astral ones. */
function kindAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 128) {
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return WORD;
    return c === 39 || c === 45 ? JOINER : OTHER;
  }
  if (c === 0x2019) return JOINER;
  const ch = c >= 0xd800 && c <= 0xdbff ? text.slice(i, i + 2) : (text[i] as string);
  if (CJK_CHAR.test(ch)) return CJK_WORD;
  return WORD_CHAR.test(ch) ? WORD : OTHER;
}

export function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    // ASCII fast path.
    if (c < 128 && c !== 39 && c !== 45) {
      if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
        if (!inWord) n++;
        inWord = true;
      } else {
        inWord = false;
      }
      continue;
    }
    const kind = kindAt(text, i);
    const width = c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    if (kind === WORD) {
      if (!inWord) n++;
      inWord = true;
    } else if (kind === CJK_WORD) {
      n++;
      inWord = false;
    } else if (kind === JOINER) {
      // Inside a word only when a word character follows.
      inWord = inWord && i + width < len && kindAt(text, i + width) === WORD;
    } else {
      inWord = false;
    }
    i += width - 1;
  }
  return n;
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
