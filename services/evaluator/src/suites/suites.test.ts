// The built-in suites, the suite parser, and the seed-50 table: for every item one reply that must pass and
// one that must fail (code items run in the sandbox: test/sandboxSeedCode.test.ts).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scoreLatency } from "../scoring/latencyScore.js";
import { scoreReplySync } from "../scoring/scoreReply.js";
import type { WireTimings } from "../models/wireTimings.js";
import { builtinSuites, MAX_SUITE_ITEMS, MAX_SUITE_TEXT, parseSuiteText, SuiteValidationError, validateSuiteItems } from "./index.js";

const fixtures = JSON.parse(readFileSync(new URL("./builtin/seed-50.replies.json", import.meta.url), "utf8")) as Record<
  string,
  { pass: string | WireTimings; fail: string | WireTimings }
>;

const seed = builtinSuites().find((s) => s.id === "seed-50");

describe("built-in suites", () => {
  it("seed-50 has 50 items, 10 per dimension, unique ids", () => {
    expect(seed?.items).toHaveLength(50);
    const counts: Record<string, number> = {};
    for (const i of seed?.items ?? []) counts[i.dimension] = (counts[i.dimension] ?? 0) + 1;
    expect(counts).toEqual({ instruction_following: 10, math: 10, code: 10, structured: 10, latency: 10 });
    expect(new Set(seed?.items.map((i) => i.id)).size).toBe(50);
  });

  it("contains the seed article's four worked examples verbatim", () => {
    const prompt = (id: string) => seed?.items.find((i) => i.id === id)?.messages.at(-1)?.content ?? "";
    expect(prompt("if-01-seed-companies")).toBe("请列出三个中国著名的科技公司，并用英文输出，每个公司后标注成立年份。");
    expect(prompt("math-01-seed-students")).toBe(
      "一个班级有30人，其中18人喜欢数学，15人喜欢物理，8人两者都喜欢。问有多少人既不喜欢数学也不喜欢物理？",
    );
    expect(prompt("code-01-seed-even-squares")).toBe("写一个 Python 函数，接收一个整数列表，返回其中所有偶数的平方和。");
    expect(prompt("struct-01-seed-youngest")).toContain("| 王五 | 25 | 深圳 |");
    expect(prompt("struct-01-seed-youngest")).toContain("谁是最年轻的人？他来自哪个城市？");
  });

  it("scores the seed's replies to its worked examples as the article does", () => {
    const item = (id: string) => {
      const found = seed?.items.find((i) => i.id === id);
      if (!found) throw new Error(`missing ${id}`);
      return found;
    };
    // 3.1: Qwen's English list passes, Phi-3's mixed Chinese list fails.
    expect(scoreReplySync(item("if-01-seed-companies"), "Apple Inc. (1976)\nTencent (1998)\nBaidu (2000)").passed).toBe(true);
    expect(scoreReplySync(item("if-01-seed-companies"), "腾讯 (1998), Baidu (2000), Alibaba (1999)").passed).toBe(false);
    // 3.2: the working passes, a bare "7人" fails.
    expect(scoreReplySync(item("math-01-seed-students"), "18 + 15 - 8 = 25, 30 - 25 = 5").passed).toBe(true);
    expect(scoreReplySync(item("math-01-seed-students"), "7人").passed).toBe(false);
    // 3.4: both models' answers are right.
    expect(scoreReplySync(item("struct-01-seed-youngest"), "王五最年轻，来自深圳。").passed).toBe(true);
    expect(scoreReplySync(item("struct-01-seed-youngest"), "年龄最小的是王五，所在城市是深圳。").passed).toBe(true);
  });

  it("smoke-6 is a subset of seed-50", () => {
    const smoke = builtinSuites().find((s) => s.id === "smoke-6");
    expect(smoke?.items).toHaveLength(6);
    for (const i of smoke?.items ?? []) expect(seed?.items).toContainEqual(i);
  });

  it("hands out copies: changing one does not change the built-ins", () => {
    const a = builtinSuites();
    a[0]?.items.pop();
    expect(builtinSuites()[0]?.items).toHaveLength(50);
  });

  it("every item has a pass and a fail fixture", () => {
    expect(Object.keys(fixtures).sort()).toEqual(seed?.items.map((i) => i.id).sort());
  });
});

describe("seed-50: each item's passing reply passes and its failing reply fails", () => {
  const nonCode = (seed?.items ?? []).filter((i) => i.dimension !== "code");
  it.each(nonCode.map((i) => [i.id, i] as const))("%s", (_id, item) => {
    const fx = fixtures[item.id];
    if (!fx) throw new Error(`no fixture for ${item.id}`);
    if (item.dimension === "latency") {
      expect(scoreLatency(fx.pass as WireTimings).passed).toBe(true);
      expect(scoreLatency(fx.fail as WireTimings).passed).toBe(false);
      return;
    }
    const good = scoreReplySync(item, fx.pass as string);
    const bad = scoreReplySync(item, fx.fail as string);
    expect(good.passed, JSON.stringify(good.checks)).toBe(true);
    expect(good.score).toBe(1);
    expect(bad.passed, JSON.stringify(bad.checks)).toBe(false);
    expect(bad.score).toBeLessThan(1);
  });
});

describe("seed-50: a reply that only echoes the prompt fails every item", () => {
  // Tiny models often repeat the prompt; answers that appear in the prompt (a table, a product list) must not
  // pass on an echo.
  const nonCode = (seed?.items ?? []).filter((i) => i.dimension !== "code" && i.dimension !== "latency");
  it.each(nonCode.map((i) => [i.id, i] as const))("%s", (_id, item) => {
    const prompt = item.messages.at(-1)?.content ?? "";
    expect(scoreReplySync(item, prompt).passed).toBe(false);
    expect(scoreReplySync(item, `${prompt}\n${prompt}`).passed).toBe(false);
  });
});

describe("parseSuiteText", () => {
  const line = (o: object) => JSON.stringify(o);
  const a = { id: "a", dimension: "math", prompt: "1+1?", checks: [{ type: "numeric_answer", value: 2 }] };
  const b = { id: "b", dimension: "latency", prompt: "hi" };

  it("reads JSONL (blank lines ignored) and JSON arrays, detecting the format", () => {
    expect(parseSuiteText(`${line(a)}\n\n${line(b)}\n`)).toHaveLength(2);
    expect(parseSuiteText(JSON.stringify([a, b]))).toHaveLength(2);
    expect(parseSuiteText(`\uFEFF${JSON.stringify([a])}`, "json")).toHaveLength(1);
    expect(validateSuiteItems([a, b]).map((i) => i.id)).toEqual(["a", "b"]);
  });

  it("names the bad line of a JSONL file", () => {
    try {
      parseSuiteText(`${line(a)}\n{not json}\n`);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SuiteValidationError);
      expect((err as SuiteValidationError).issues[0]?.path).toBe("line 2");
    }
  });

  it("names each bad field by item index (and line), and duplicate ids", () => {
    const bad = { ...a, id: "a", checks: [{ type: "foo" }] };
    try {
      parseSuiteText(`${line(a)}\n${line(bad)}\n`);
      expect.unreachable();
    } catch (err) {
      const issues = (err as SuiteValidationError).issues;
      expect(issues.map((i) => i.path)).toEqual(["items[1] (line 2).checks[0].type", "items[1] (line 2).id"]);
      expect(issues[0]?.message).toContain("unknown check type 'foo'");
      expect(issues[1]?.message).toContain("duplicate id 'a'");
    }
    try {
      validateSuiteItems([a, { ...a, checks: [{ type: "foo" }] }, a]);
      expect.unreachable();
    } catch (err) {
      expect((err as SuiteValidationError).message).toContain("items[1].checks[0].type: unknown check type 'foo'");
    }
  });

  it("refuses an empty suite, a non-array JSON suite and invalid JSON", () => {
    expect(() => parseSuiteText("")).toThrow(SuiteValidationError);
    expect(() => parseSuiteText('{"id": "a"}', "json")).toThrow(/array/);
    expect(() => parseSuiteText("[1,", "json")).toThrow(/not valid JSON/);
    expect(() => validateSuiteItems("nope")).toThrow(SuiteValidationError);
  });

  it("refuses a suite over the size and item limits", () => {
    expect(() => parseSuiteText(" ".repeat(MAX_SUITE_TEXT + 1))).toThrow(/too large/);
    const many = Array.from({ length: MAX_SUITE_ITEMS + 1 }, (_, i) => ({ ...b, id: `l${i}` }));
    expect(() => validateSuiteItems(many)).toThrow(/too many items/);
  });
});
