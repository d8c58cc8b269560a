// User-supplied regular expressions (the `regex` check, JSON Schema `pattern` / `patternProperties`) run on
// RE2 (the pure-JS `re2js` port): matching is linear in the reply's length, so no pattern can stall the
// event loop the way a backtracking `^(a+)+$` does in V8. Patterns are written in JavaScript syntax; what RE2
// cannot express (backreferences, lookahead, lookbehind, the `v` flag's set operations) is refused when the
// check is validated, with a message that says why. The semantics are documented in scoring/README.md.
import { RE2JS } from "re2js";

/** A compiled linear-time pattern. */
export interface LinearRegex {
  readonly source: string;
  readonly flags: string;
  test(text: string): boolean;
  /** The first match's text, or null. */
  firstMatch(text: string): string | null;
}

export class UnsupportedRegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedRegexError";
  }
}

/** The JavaScript flags a pattern may carry: `d`, `g` and `y` change nothing for a "does it match" check. */
export const SUPPORTED_FLAGS = "dgimsuy";
const VALID_FLAGS = /^(?!.*(.).*\1)[dgimsuy]*$/;

// JavaScript's \s (WhiteSpace + LineTerminator); RE2's own \s is ASCII [\t\n\f\r ] only.
const JS_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
// JavaScript's `.` without the s flag excludes every line terminator; RE2's only \n.
const JS_DOT = "[^\\n\\r\\u2028\\u2029]";
// \p{Script=Han} and friends: RE2 names scripts and categories bare (\p{Han}, \p{Lu}).
const PROPERTY_PREFIX = /^(?:Script|sc|Script_Extensions|scx|General_Category|gc)=/;

/**
 * Rewrites the JavaScript-only parts of a pattern into RE2's syntax (then `re2js`'s translateRegExp does
 * the rest: named groups, \u escapes, [^]), and refuses what RE2 cannot match in linear time.
 */
function toRe2Source(pattern: string, dotAll: boolean): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) throw new UnsupportedRegexError("the pattern ends with a lone backslash");
      if (!inClass && next >= "1" && next <= "9") {
        throw new UnsupportedRegexError(`backreferences (\\${next}) are not supported: patterns run on a linear-time engine (RE2)`);
      }
      if (!inClass && next === "k" && pattern[i + 2] === "<") {
        throw new UnsupportedRegexError("named backreferences (\\k<name>) are not supported: patterns run on a linear-time engine (RE2)");
      }
      if ((next === "p" || next === "P") && pattern[i + 2] === "{") {
        const end = pattern.indexOf("}", i + 3);
        if (end > 0) {
          out += `\\${next}{${pattern.slice(i + 3, end).replace(PROPERTY_PREFIX, "")}}`;
          i = end;
          continue;
        }
      }
      if (next === "s") out += inClass ? JS_SPACE : `[${JS_SPACE}]`;
      else if (next === "S" && !inClass) out += `[^${JS_SPACE}]`;
      else out += `\\${next}`;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      out += ch;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      out += ch;
      // A leading ']' or '^]' is part of JavaScript's [] / [^] and closes the class: copy it as is.
      if (pattern[i + 1] === "^") out += pattern[++i];
      if (pattern[i + 1] === "]") {
        out += pattern[++i];
        inClass = false;
      }
      continue;
    }
    if (ch === "(" && pattern[i + 1] === "?") {
      const head = pattern.slice(i + 2, i + 4);
      if (head.startsWith("=") || head.startsWith("!")) {
        throw new UnsupportedRegexError(`lookahead (?${head[0]}...) is not supported: patterns run on a linear-time engine (RE2)`);
      }
      if (head === "<=" || head === "<!") {
        throw new UnsupportedRegexError(`lookbehind (?${head}...) is not supported: patterns run on a linear-time engine (RE2)`);
      }
    }
    out += ch === "." && !dotAll ? JS_DOT : ch;
  }
  return out;
}

/** Why `flags` cannot be used, or null. */
export function flagsProblem(flags: unknown): string | null {
  if (typeof flags !== "string" || !VALID_FLAGS.test(flags)) {
    if (typeof flags === "string" && flags.includes("v") && VALID_FLAGS.test(flags.replace("v", ""))) {
      return "the 'v' flag (set operations in classes) is not supported by the linear-time engine; use 'u'";
    }
    return `must be a string of distinct regex flags from '${SUPPORTED_FLAGS}'`;
  }
  return null;
}

const cache = new Map<string, LinearRegex>();

/**
 * Compiles (and caches) a JavaScript-syntax pattern for RE2. Throws UnsupportedRegexError for what RE2
 * cannot express, and for a pattern that is not valid at all (the message says which).
 */
export function compileLinearRegex(pattern: string, flags = ""): LinearRegex {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const problem = flagsProblem(flags);
  if (problem) throw new UnsupportedRegexError(`flags: ${problem}`);
  let re: RE2JS;
  try {
    const source = RE2JS.translateRegExp(toRe2Source(pattern, flags.includes("s")));
    let bits = 0;
    if (flags.includes("i")) bits |= RE2JS.CASE_INSENSITIVE;
    if (flags.includes("m")) bits |= RE2JS.MULTILINE;
    if (flags.includes("s")) bits |= RE2JS.DOTALL;
    re = RE2JS.compile(source, bits);
  } catch (error) {
    if (error instanceof UnsupportedRegexError) throw error;
    throw new UnsupportedRegexError((error as Error).message.replace(/^error parsing regexp: /, ""));
  }
  const compiled: LinearRegex = {
    source: pattern,
    flags,
    test: (text) => re.matcher(text).find(),
    firstMatch(text) {
      const m = re.matcher(text);
      return m.find() ? m.group() : null;
    },
  };
  if (cache.size > 10_000) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/**
 * ajv's `code.regExp` engine: every `pattern` and `patternProperties` key of a schema compiles here, so a
 * schema's patterns are as linear as the regex check's. ajv passes "u"; `code` is for standalone output only.
 */
export const ajvLinearRegExp = Object.assign(
  (pattern: string, flags: string) => compileLinearRegex(pattern, flags.replace(/[^imsu]/g, "")),
  {
    code: "linearRegex.compileLinearRegex",
  },
);
