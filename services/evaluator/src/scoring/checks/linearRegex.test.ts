// The linear-time regex engine: catastrophic shapes for a backtracking engine come back with the right answer
// (V8 would take minutes-to-ages on these inputs), JavaScript syntax and flags keep their meaning, and what RE2
// cannot express is refused with a reason. The 1 s / 200 ms responsiveness bounds are asserted end to end in
// test/evaluatorHostileRegex.test.ts.
import { describe, expect, it } from "vitest";
import type { Check } from "../../suites/types.js";
import { compileLinearRegex, UnsupportedRegexError } from "./linearRegex.js";
import { jsonCheck } from "./jsonCheck.js";
import { regex } from "./textChecks.js";

const A40B = `${"a".repeat(40)}b`;
const X40 = "x".repeat(48);

describe("catastrophic patterns match in linear time", () => {
  it.each([
    ["^(a+)+$", A40B, false],
    ["^(a+)+$", "a".repeat(5_000), true],
    ["(a|aa)+$", A40B, false],
    ["(a|aa)+c", `${"a".repeat(60)}`, false],
    ["(a*)*b", `${"a".repeat(60)}`, false],
    ["(a*)*b", A40B, true],
    ["(x+x+)+y", X40, false],
    ["^(\\w+\\s?)*$", "The quick brown fox jumps over the lazy dog and keeps running far away!", false],
    ["^([a-zA-Z0-9]+\\s?)*$", "the quick brown fox jumps over the lazy dog again and again and again.", false],
  ])("%s against %j", (pattern, text, expected) => {
    expect(compileLinearRegex(pattern).test(text)).toBe(expected);
  });
});

describe("JavaScript syntax and flags", () => {
  it.each<[string, string, string, string | null]>([
    ["^\\s*In short:", "", "  In short: yes", "  In short:"],
    ["country", "i", "| Country |", "Country"],
    ["^B$", "m", "A\nB\nC", "B"],
    ["^B$", "", "A\nB\nC", null],
    ["a.c", "", "a\nc", null],
    ["a.c", "s", "a\nc", "a\nc"],
    ["a.c", "", "a\u2028c", null],
    ["\\s", "", "\u00a0", "\u00a0"],
    ["\\S+", "", "\u00a0ab\u3000", "ab"],
    ["[\\s\\S]{3}", "", "a\nb", "a\nb"],
    ["\\p{Script=Han}+", "u", "abc 中文", "中文"],
    ["\\p{sc=Hiragana}", "u", "ひ", "ひ"],
    ["(?<year>(?:19|20)\\d{2})", "", "founded 1998", "1998"],
    ["\\u00e9", "", "café", "é"],
    ["[^]", "", "\n", "\n"],
    ["\\bcat\\b", "", "concat cat", "cat"],
    ["(?:(?:19|20)\\d{2}[\\s\\S]*?){3}", "", "Apple (1976)\nTencent (1998)\nBaidu (2000)", "1976)\nTencent (1998)\nBaidu (2000"],
    ["a", "g", "a", "a"],
    ["a", "dy", "ba", "a"],
  ])("/%s/%s on %j", (pattern, flags, text, match) => {
    expect(compileLinearRegex(pattern, flags).firstMatch(text)).toBe(match);
  });
});

describe("what RE2 cannot express is refused", () => {
  it.each([
    ["(\\w)\\1", /backreferences \(\\1\)/],
    ["(?<q>['\"]).*\\k<q>", /named backreferences/],
    ["foo(?=bar)", /lookahead \(\?=/],
    ["foo(?!bar)", /lookahead \(\?!/],
    ["(?<=\\$)\\d+", /lookbehind \(\?<=/],
    ["(?<!no )way", /lookbehind \(\?<!/],
    ["a{1001}", /invalid repeat count/],
    ["(", /missing closing \)/],
    ["abc\\", /lone backslash/],
  ])("%s", (pattern, message) => {
    expect(() => compileLinearRegex(pattern)).toThrow(UnsupportedRegexError);
    expect(() => compileLinearRegex(pattern)).toThrow(message);
  });

  it("a backslash-digit inside a class is not a backreference", () => {
    expect(compileLinearRegex("[\\d]+").firstMatch("ab12")).toBe("12");
  });

  it("the regex check names the field", () => {
    const issues: { path: string; message: string }[] = [];
    regex.validate({ type: "regex", pattern: "(a)\\1" } as Check, "item.checks[0]", issues);
    expect(issues).toEqual([{ path: "item.checks[0].pattern", message: expect.stringMatching(/backreferences .* linear-time engine/) }]);
    const flagIssues: { path: string; message: string }[] = [];
    regex.validate({ type: "regex", pattern: "a", flags: "v" } as Check, "item.checks[0]", flagIssues);
    expect(flagIssues).toEqual([{ path: "item.checks[0].flags", message: expect.stringMatching(/'v' flag/) }]);
  });

  it("a JSON Schema pattern or patternProperties key is refused at its own path", () => {
    const issues: { path: string; message: string }[] = [];
    const schema = {
      type: "object",
      properties: { name: { type: "string", pattern: "^(?!admin)" }, pattern: { type: "string" } },
      patternProperties: { "^(x)\\1$": { type: "number" } },
      enum: [{ pattern: "(?=data, not a schema)" }],
    };
    jsonCheck.validate({ type: "json", schema } as Check, "item.checks[1]", issues);
    expect(issues.map((i) => i.path)).toEqual([
      "item.checks[1].schema.properties.name.pattern",
      'item.checks[1].schema.patternProperties["^(x)\\\\1$"]',
    ]);
    expect(issues[0]!.message).toMatch(/lookahead/);
  });
});

describe("schema patterns run on the linear-time engine", () => {
  it.each([
    [{ type: "string", pattern: "^(a+)+$" }, JSON.stringify(A40B)],
    [{ type: "object", patternProperties: { "^(x+x+)+y$": { type: "number" } } }, JSON.stringify({ [X40]: 1 })],
    [
      { type: "object", properties: { id: { type: "string", pattern: "(a|aa)+$" } }, required: ["id"] },
      JSON.stringify({ id: `${"a".repeat(45)}!` }),
    ],
  ])("%j", (schema, reply) => {
    const check = { type: "json", schema } as Check;
    const issues: unknown[] = [];
    jsonCheck.validate(check, "c", issues as { path: string; message: string }[]);
    expect(issues).toEqual([]);
    const result = jsonCheck.run(check, reply, {}) as { passed: boolean; detail: string };
    // patternProperties only constrains the matching keys' values (1 is a number): that one passes.
    expect(result.passed, result.detail).toBe("patternProperties" in schema);
  });
});

describe("the built-in suites' patterns", () => {
  it("every regex check and schema pattern of seed-50 and smoke-6 compiles under RE2", async () => {
    const { builtinSuites } = await import("../../suites/builtinSuites.js");
    let patterns = 0;
    for (const suite of builtinSuites()) {
      for (const item of suite.items) {
        for (const check of item.checks) {
          if (check.type === "regex") {
            expect(
              () => compileLinearRegex(check.pattern as string, (check.flags as string | undefined) ?? ""),
              `${suite.id}/${item.id}`,
            ).not.toThrow();
            patterns++;
          }
          if (check.type === "json" && check.schema !== undefined) {
            const issues: unknown[] = [];
            jsonCheck.validate(check, item.id, issues as { path: string; message: string }[]);
            expect(issues).toEqual([]);
          }
        }
      }
    }
    expect(patterns).toBeGreaterThanOrEqual(8);
  });
});
