// The standard suites' conversion from the pinned data (fetched into the cache by the test set-up; fetched
// here too when missing), and the loader's refusal of a cached file that fails its pin.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateSuiteItems } from "../parseSuite.js";
import { ensureAllSuiteData, suiteDataReady } from "./fetchSuiteData.js";
import { gsm8kAnswer, parseGsm8k } from "./gsm8k.js";
import { humanEvalItem, parseHumanEval } from "./humaneval.js";
import { SUITE_DATA_SOURCES, suiteDataPath } from "./sources.js";
import { readSuiteData, standardSuites, standardSuitesMissing } from "./standardSuites.js";

beforeAll(async () => {
  await ensureAllSuiteData();
}, 120_000);

const saved = process.env.EVALSTACK_SUITE_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.EVALSTACK_SUITE_CACHE_DIR;
  else process.env.EVALSTACK_SUITE_CACHE_DIR = saved;
});

describe("standard suites from the cached data", () => {
  it("humaneval: 164 valid items, task ids kept, the harness's program parts in the code check", () => {
    const suite = standardSuites().find((s) => s.id === "humaneval")!;
    expect(suite.items).toHaveLength(164);
    expect(validateSuiteItems(suite.items)).toHaveLength(164);
    expect(suite.items.map((i) => i.id)).toEqual(Array.from({ length: 164 }, (_, i) => `HumanEval/${i}`));
    const first = suite.items[0]!;
    expect(first.dimension).toBe("code");
    expect(first.checks).toEqual([expect.objectContaining({ type: "code", language: "python", entry_point: "has_close_elements" })]);
    expect(first.checks[0]!.prefix).toMatch(/^from typing import List\n\n\ndef has_close_elements/);
    expect(first.checks[0]!.tests).toMatch(/def check\(candidate\):[\s\S]*\ncheck\(has_close_elements\)\n$/);
    expect(first.messages.at(-1)!.content).toContain("```python\nfrom typing import List");
    expect(suite.description).toMatch(/License: MIT/);
    expect(suite.description).toMatch(/Differs from the reference harness/);
  });

  it("gsm8k: 100 valid items checked against the #### answer", () => {
    const suite = standardSuites().find((s) => s.id === "gsm8k")!;
    expect(suite.items).toHaveLength(100);
    expect(validateSuiteItems(suite.items)).toHaveLength(100);
    expect(suite.items.every((i) => /^gsm8k-test-\d{4}$/.test(i.id) && i.dimension === "math")).toBe(true);
    expect(suite.items.find((i) => i.id === "gsm8k-test-0013")!.checks).toEqual([{ type: "numeric_answer", value: 18 }]);
  });

  it("ifeval: 541 valid items, one strict ifeval check per instruction (834), the loose suite the same with loose", () => {
    const suite = standardSuites().find((s) => s.id === "ifeval")!;
    expect(suite.items).toHaveLength(541);
    expect(validateSuiteItems(suite.items)).toHaveLength(541);
    expect(suite.items.every((i) => /^ifeval-\d+$/.test(i.id) && i.dimension === "instruction_following")).toBe(true);
    expect(suite.items.flatMap((i) => i.checks)).toHaveLength(834);
    const first = suite.items.find((i) => i.id === "ifeval-1000")!;
    expect(first.checks.map((c) => c.instruction_id)).toEqual([
      "punctuation:no_comma",
      "detectable_format:number_highlighted_sections",
      "length_constraints:number_words",
    ]);
    expect(first.checks[2]).toEqual(
      expect.objectContaining({ type: "ifeval", kwargs: { relation: "at least", num_words: 300 }, prompt: first.messages[0]!.content }),
    );
    expect(first.checks.every((c) => c.loose === undefined)).toBe(true);
    expect(suite.description).toMatch(/License: Apache-2.0/);
    expect(suite.description).toMatch(/Differs from the reference harness/);
    const loose = standardSuites().find((s) => s.id === "ifeval-loose")!;
    expect(loose.items.flatMap((i) => i.checks).every((c) => c.loose === true)).toBe(true);
    expect(validateSuiteItems(loose.items)).toHaveLength(541);
  });

  it("ifbench: the 276 prompts whose verifiers have their data, one strict ifbench check per instruction, null arguments dropped", () => {
    const suite = standardSuites().find((s) => s.id === "ifbench")!;
    expect(suite.items).toHaveLength(276);
    expect(validateSuiteItems(suite.items)).toHaveLength(276);
    const checks = suite.items.flatMap((i) => i.checks);
    expect(checks.every((c) => c.type === "ifbench" && c.loose === undefined)).toBe(true);
    expect(checks.some((c) => c.instruction_id === "ratio:stop_words" || c.instruction_id === "words:start_verb")).toBe(false);
    expect(checks.every((c) => Object.values(c.kwargs as object).every((v) => v !== null))).toBe(true);
    expect(suite.items.find((i) => i.id === "ifbench-0")!.checks[0]).toEqual(
      expect.objectContaining({ instruction_id: "count:keywords_multiple", kwargs: expect.objectContaining({ keyword1: "kaleidoscope" }) }),
    );
    expect(suite.description).toMatch(/License: Apache-2.0/);
    expect(suite.description).toMatch(/Differs from the reference harness/);
  });

  it("lists a suite only when its data is cached, and says which are missing", () => {
    process.env.EVALSTACK_SUITE_CACHE_DIR = mkdtempSync(path.join(tmpdir(), "evalstack-suites-empty-"));
    try {
      expect(standardSuites()).toEqual([]);
      expect(standardSuitesMissing()).toEqual(["humaneval", "gsm8k", "ifeval", "ifeval-loose", "ifbench"]);
      expect(suiteDataReady("humaneval")).toBe(false);
    } finally {
      rmSync(process.env.EVALSTACK_SUITE_CACHE_DIR, { recursive: true, force: true });
    }
  });

  it("refuses a cached file that does not match its pin", () => {
    const real = suiteDataPath("gsm8k");
    const dir = mkdtempSync(path.join(tmpdir(), "evalstack-suites-bad-"));
    process.env.EVALSTACK_SUITE_CACHE_DIR = dir;
    try {
      mkdirSync(path.dirname(suiteDataPath("gsm8k")), { recursive: true });
      copyFileSync(real, suiteDataPath("gsm8k"));
      expect(readSuiteData("gsm8k")).not.toBeNull();
      writeFileSync(suiteDataPath("gsm8k"), "tampered\n");
      expect(() => readSuiteData("gsm8k")).toThrow(/does not match the pinned/);
      expect(suiteDataReady("gsm8k")).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("conversion", () => {
  it("reads GSM8K answers with thousands separators and refuses a packager answer that disagrees", () => {
    expect(gsm8kAnswer("so 2 * 500 = 1000\n#### 1,000")).toBe(1000);
    expect(gsm8kAnswer("#### -3")).toBe(-3);
    expect(() => gsm8kAnswer("no answer here")).toThrow(/no "#### n" answer/);
    const line = (expected: string) => JSON.stringify({ id: "g1", prompt: "q", expected, upstream_answer: "1 + 1 = 2\n#### 2" });
    expect(parseGsm8k(line("2"))).toHaveLength(1);
    expect(() => parseGsm8k(line("3"))).toThrow(/differs from the solution's #### answer/);
  });

  it("refuses a HumanEval problem without one of its fields", () => {
    const gz = gzipSync(
      JSON.stringify({ task_id: "HumanEval/x", prompt: "def f():\n", entry_point: "f", canonical_solution: "    return 1\n" }),
    );
    expect(() => parseHumanEval(gz)).toThrow(/HumanEval\/x has no test/);
    const ok = gzipSync(
      JSON.stringify({
        task_id: "T/1",
        prompt: "def f():\n",
        entry_point: "f",
        canonical_solution: "    return 1\n",
        test: "def check(c):\n    assert c() == 1\n",
      }),
    );
    expect(humanEvalItem(parseHumanEval(ok)[0]!).checks[0]!.tests).toBe("def check(c):\n    assert c() == 1\n\ncheck(f)\n");
  });

  it("pins every source by sha256 and names its license", () => {
    for (const s of Object.values(SUITE_DATA_SOURCES)) {
      expect(s.wheel).toMatch(/^[a-z0-9-]+==[\d.]+$/);
      expect(s.wheelSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(s.memberSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(s.license).toMatch(/MIT|Apache/);
    }
  });
});
