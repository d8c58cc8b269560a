// Every non-code check type: passing, failing and edge cases (at least five each), including the seed
// article's worked replies. The code check runs processes and is tested in test/sandbox*.test.ts.

import { describe, expect, it } from "vitest";
import type { Check } from "../../suites/types.js";
import { CHECKS } from "./registry.js";

type Case = [name: string, check: Omit<Check, "type">, reply: string, passes: boolean];

function table(type: string, cases: Case[]): void {
  describe(type, () => {
    it.each(cases)("%s", (_name, fields, reply, passes) => {
      const check = { type, ...fields } as Check;
      const issues: { path: string; message: string }[] = [];
      CHECKS[type]?.validate(check, "check", issues);
      expect(issues).toEqual([]);
      const result = CHECKS[type]?.run(check, reply, {});
      expect(result).not.toBeInstanceOf(Promise);
      const r = result as { type: string; passed: boolean; detail: string };
      expect(r.type).toBe(type);
      expect(r.detail.length).toBeGreaterThan(0);
      expect(r.passed, r.detail).toBe(passes);
    });
  });
}

table("contains", [
  ["substring present", { value: "Tencent" }, "Tencent (1998)", true],
  ["absent", { value: "Alibaba" }, "Tencent (1998)", false],
  ["case differs, case-sensitive", { value: "tencent" }, "Tencent", false],
  ["case differs, ignore_case", { value: "tencent", ignore_case: true }, "TENCENT", true],
  ["Chinese substring", { value: "深圳" }, "王五最年轻，来自深圳。", true],
  ["empty reply", { value: "x" }, "", false],
  ["NFC vs NFD forms match", { value: "caf\u00e9" }, "cafe\u0301 au lait", true],
]);

table("not_contains", [
  ["absent", { value: "首都" }, "北京是一座历史名城。", true],
  ["present", { value: "首都" }, "北京是中国的首都。", false],
  ["case-insensitive present", { value: "sorry", ignore_case: true }, "SORRY, I cannot", false],
  ["case-sensitive absent", { value: "sorry" }, "SORRY", true],
  ["empty reply passes", { value: "x" }, "", true],
]);

table("contains_all", [
  ["all present", { values: ["王五", "深圳"] }, "王五最年轻，来自深圳。", true],
  ["seed Phi-3 wording also passes", { values: ["王五", "深圳"] }, "年龄最小的是王五，所在城市是深圳。", true],
  ["one missing", { values: ["王五", "深圳"] }, "王五最年轻，来自上海。", false],
  ["ignore_case", { values: ["paris", "tokyo"], ignore_case: true }, "PARIS and Tokyo", true],
  ["case-sensitive miss", { values: ["paris"] }, "Paris", false],
  ["empty reply", { values: ["a"] }, "", false],
]);

table("contains_any", [
  ["one of them", { values: ["Friday", "星期五"] }, "It will be 星期五.", true],
  ["none", { values: ["Friday", "星期五"] }, "Thursday", false],
  ["ignore_case", { values: ["friday"], ignore_case: true }, "FRIDAY", true],
  ["case-sensitive miss", { values: ["friday"] }, "Friday", false],
  ["prefix of a word counts", { values: ["comput"] }, "it computes", true],
]);

table("regex", [
  ["matches", { pattern: "^\\s*In short:" }, "In short: scattering.", true],
  ["anchored miss", { pattern: "^\\s*In short:" }, "Well. In short: no", false],
  ["flags i", { pattern: "country", flags: "i" }, "| Country |", true],
  ["multiline flag", { pattern: "^B$", flags: "m" }, "A\nB\nC", true],
  ["without m flag", { pattern: "^B$" }, "A\nB\nC", false],
  ["g flag does not make test() stateful", { pattern: "a", flags: "g" }, "a", true],
  [
    "three years, seed Qwen reply",
    { pattern: "(?:(?:19|20)\\d{2}[\\s\\S]*?){3}" },
    "Apple Inc. (1976)\nTencent (1998)\nBaidu (2000)",
    true,
  ],
  ["unicode class", { pattern: "\\p{Script=Han}", flags: "u" }, "abc 中", true],
]);

table("english_only", [
  ["seed Qwen reply (English list)", {}, "Apple Inc. (1976)\nTencent (1998)\nBaidu (2000)", true],
  ["seed Phi-3 reply (mixed Chinese)", {}, "腾讯 (1998), Baidu (2000), Alibaba (1999)", false],
  ["Japanese kana", {}, "Sony (ソニー) 1946", false],
  ["Hiragana", {}, "ありがとう", false],
  ["Korean Hangul", {}, "Samsung 삼성", false],
  ["accents and emoji are fine", {}, "Café Müller — naïve 🙂", true],
  ["full-width punctuation alone is not CJK script", {}, "Hello，world", true],
  ["empty reply", {}, "", true],
]);

table("lowercase", [
  ["all lowercase", {}, "cold rain on the roof", true],
  ["a capital", {}, "Cold rain", false],
  ["title-case digraph", {}, "ǅ", false],
  ["no letters at all", {}, "123 !!", false],
  ["non-ASCII lowercase", {}, "été à paris", true],
  ["uppercase accented", {}, "été À paris", false],
]);

table("no_comma", [
  ["no commas", {}, "The wall is long. It is old.", true],
  ["ASCII comma", {}, "long, old", false],
  ["full-width comma", {}, "长城很长，很古老", false],
  ["ideographic enumeration comma is not a comma", {}, "春、夏、秋、冬", true],
  ["empty", {}, "", true],
]);

table("word_count", [
  ["within", { min: 3, max: 20 }, "A CPU executes program instructions.", true],
  ["too many", { max: 5 }, "one two three four five six", false],
  ["too few", { min: 3 }, "hello there", false],
  ["hyphen and apostrophe words count once", { min: 3, max: 3 }, "don't well-known words", true],
  ["CJK ideographs count one each", { min: 6, max: 6 }, "北京很美丽!", false],
  ["CJK ideographs count one each (5)", { min: 5, max: 5 }, "北京很美丽!", true],
  ["numbers are words", { min: 2, max: 2 }, "42 apples", true],
  ["empty reply has zero", { max: 0 }, "", true],
]);

table("list_items", [
  ["three dash bullets", { min: 3, max: 3 }, "- a\n- b\n- c", true],
  ["four bullets, max 3", { min: 3, max: 3 }, "- a\n- b\n- c\n- d", false],
  ["numbered 1. and 1)", { min: 2, max: 2 }, "1. first\n2) second", true],
  ["bullets • and *", { min: 2 }, "• one\n* two", true],
  ["inline list is not a list", { min: 1 }, "春、夏、秋、冬", false],
  ["bold text and rules are not items", { max: 0 }, "**bold**\n---\n-no space", true],
  ["indented items count", { min: 2, max: 2 }, "  - a\n\t- b", true],
  ["default min is 1", {}, "no list here", false],
]);

table("numeric_answer", [
  ["seed Qwen working: 18 + 15 - 8 = 25, 30 - 25 = 5", { value: 5 }, "18 + 15 - 8 = 25, 30 - 25 = 5", true],
  ["seed Phi-3 bare 7人", { value: 5 }, "7人", false],
  ["#### marker wins over a later number", { value: 391 }, "#### 391\nchecked with 17 and 23", true],
  ["\\boxed{}", { value: 12 }, "so the answer is \\boxed{12}. Other: 99", true],
  ["boxed fraction", { value: 0.5 }, "\\boxed{\\frac{1}{2}}", true],
  ["Answer: marker beats the last number", { value: 27 }, "Answer: 27 (from 40 × 0.75 × 0.9)", true],
  ["答案是 marker", { value: 6 }, "答案是6个，因为12-4-2", true],
  ["答： marker", { value: 40 }, "答：40平方厘米。8 × 5", true],
  ["thousands separators and currency", { value: 1234567.5 }, "The total is $1,234,567.50.", true],
  ["trailing unit and period", { value: 80 }, "Average speed = 80 km/h.", true],
  ["full-width digits", { value: 25 }, "答案是２５", true],
  ["negative number", { value: -3 }, "x = -3", true],
  ["minus between operands is not a sign", { value: 5 }, "30-25 = 5", true],
  ["fraction within tolerance", { value: 0.1667, tolerance: 0.0001 }, "6/36", true],
  ["outside tolerance", { value: 0.1667, tolerance: 0.0001 }, "0.1389", false],
  ["no number", { value: 1 }, "I don't know.", false],
  ["default tolerance is tight", { value: 1 }, "1.001", false],
]);

table("steps", [
  ["seed Qwen working on one line", { min: 1 }, "18 + 15 - 8 = 25，30 - 25 = 5人", true],
  ["seed Phi-3 bare answer", { min: 1 }, "7人", false],
  ["two lines by default", {}, "3x = 31 - 7 = 24\nx = 24 / 3 = 8", true],
  ["one line < default 2", {}, "3x = 31 - 7 = 24", false],
  ["× and ÷ operators", { min: 2 }, "40 × 0.75 = 30\n30 ÷ 2 = 15", true],
  ["= without an operator is not a step", { min: 1 }, "x = 8", false],
  ["operator without = is not a step", { min: 1 }, "18 + 15 - 8", false],
  ["LaTeX \\times", { min: 1 }, "$50 \\times 101 = 5050$", true],
  ["bullet markers are not operators", { min: 1 }, "- x = 8", false],
]);

describe("every check type is covered", () => {
  it("has a table above or a code test in test/", () => {
    const tested = [
      "contains",
      "not_contains",
      "contains_all",
      "contains_any",
      "regex",
      "english_only",
      "lowercase",
      "no_comma",
      "word_count",
      "list_items",
      "numeric_answer",
      "steps",
      "json",
      "code",
      // Runs the reference verifier: test/ifevalReference.test.ts (validation: validateItem.test.ts).
      "ifeval",
      "ifbench",
    ];
    expect(Object.keys(CHECKS).sort()).toEqual(tested.sort());
  });
});
