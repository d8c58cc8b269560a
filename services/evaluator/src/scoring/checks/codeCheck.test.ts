// Which code the `code` check runs (pure; running it is tested in test/sandbox*.test.ts).

import { describe, expect, it } from "vitest";
import { codeCheck, extractCode } from "./codeCheck.js";

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
