// Which code the `code` check runs (pure; running it is tested in test/sandbox*.test.ts).

import { describe, expect, it } from "vitest";
import { codeCheck, extractCode } from "./codeCheck.js";
import { assembleProgram, definesFunction } from "./codeProgram.js";

describe("extractCode", () => {
  it("takes the first fenced block in the check's language", () => {
    const reply = "Here:\n```js\nconsole.log(1)\n```\nand\n```python\ndef f():\n    return 1\n```\n```python\nprint(2)\n```";
    expect(extractCode(reply, "python")).toEqual({ code: "def f():\n    return 1", source: "fenced python block" });
    expect(extractCode(reply, "javascript").code).toBe("console.log(1)");
  });

  it("accepts the usual tags (py, python3, js, node) case-insensitively", () => {
    expect(extractCode("```PY\nx = 1\n```", "python").code).toBe("x = 1");
    expect(extractCode("```Python3\nx = 1\n```", "python").code).toBe("x = 1");
    expect(extractCode("```node\nlet x\n```", "javascript").code).toBe("let x");
  });

  it("falls back to the first fenced block, then to the whole reply", () => {
    expect(extractCode("```\nx = 1\n```", "python")).toEqual({ code: "x = 1", source: "first fenced block" });
    expect(extractCode("```ruby\nputs 1\n```", "python").source).toBe("first fenced block (ruby)");
    expect(extractCode("def f(): return 1", "python")).toEqual({ code: "def f(): return 1", source: "whole reply" });
  });

  it("keeps a block cut off by max_tokens (no closing fence)", () => {
    expect(extractCode("```python\ndef f():\n    return 1", "python").code).toBe("def f():\n    return 1");
  });

  it("handles ~~~ fences and longer backtick fences containing ```", () => {
    expect(extractCode("~~~python\nx = 2\n~~~", "python").code).toBe("x = 2");
    expect(extractCode("````python\ns = '```'\n````", "python").code).toBe("s = '```'");
  });
});

describe("code check validation", () => {
  it.each([
    [{ language: "ruby", tests: "x" }, "c.language"],
    [{ tests: "x" }, "c.language"],
    [{ language: "python" }, "c.tests"],
    [{ language: "python", tests: "" }, "c.tests"],
    [{ language: "python", tests: "x", timeout_ms: 0 }, "c.timeout_ms"],
    [{ language: "python", tests: "x", timeout_ms: 1.5 }, "c.timeout_ms"],
  ])("%j -> %s", (fields, path) => {
    const issues: { path: string; message: string }[] = [];
    codeCheck.validate({ type: "code", ...fields }, "c", issues);
    expect(issues.map((i) => i.path)).toEqual([path]);
  });
});

describe("code check programs with a prefix (the HumanEval harness's assembly)", () => {
  const prefix = 'from typing import List\n\ndef helper():\n    return 2\n\ndef double(xs: List[int]) -> List[int]:\n    """Doubles."""\n';
  it("appends a completion-style reply to the prefix, exactly", () => {
    expect(assembleProgram({ prefix, entry_point: "double" }, "    return [x * helper() for x in xs]\n")).toEqual({
      program: `${prefix}    return [x * helper() for x in xs]\n`,
      mode: "completing the prefix",
    });
  });

  it("runs a reply that defines the entry point after the prefix, whose stub it replaces", () => {
    const code = "def double(xs):\n    return [2 * x for x in xs]";
    expect(assembleProgram({ prefix, entry_point: "double" }, code)).toEqual({ program: `${prefix}\n\n${code}`, mode: "defining double" });
    expect(assembleProgram({ prefix, entry_point: "double" }, `import math\n\nasync def double(xs):\n    pass`).mode).toBe(
      "defining double",
    );
  });

  it("does not take a nested or differently named def for the entry point", () => {
    expect(definesFunction("    def double(xs):\n        pass", "double")).toBe(false);
    expect(definesFunction("def double_all(xs):\n    pass", "double")).toBe(false);
    expect(definesFunction("x = 1\ndef  double (xs):\n    pass", "double")).toBe(true);
  });

  it("leaves the code as it is without a prefix", () => {
    expect(assembleProgram({}, "print(1)")).toEqual({ program: "print(1)", mode: "as is" });
  });

  it.each([
    [{ language: "python", tests: "x", prefix: 3 }, "c.prefix"],
    [{ language: "python", tests: "x", prefix: "p", entry_point: "not a name" }, "c.entry_point"],
    [{ language: "python", tests: "x", entry_point: "f" }, "c.entry_point"],
    [{ language: "javascript", tests: "x", prefix: "p", entry_point: "f" }, "c.entry_point"],
  ])("refuses %j at %s", (fields, path) => {
    const issues: { path: string; message: string }[] = [];
    codeCheck.validate({ type: "code", ...fields }, "c", issues);
    expect(issues.map((i) => i.path)).toEqual([path]);
  });
});
