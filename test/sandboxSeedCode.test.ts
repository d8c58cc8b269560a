// The `code` check end to end through the real sandbox: the seed-50 code items (each with a reply that must
// pass and one that must fail) and the check's own edge cases.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultSandboxConfig, Sandbox, scoreReply as scoreWith, validateItem } from "@evalstack/evaluator/scoring";
import type { SuiteItem } from "@evalstack/evaluator/suites";
import { builtinSuites } from "@evalstack/evaluator/suites";

const fixtures = JSON.parse(
  readFileSync(new URL("../services/evaluator/src/suites/builtin/seed-50.replies.json", import.meta.url), "utf8"),
) as Record<string, { pass: string; fail: string }>;
const sandbox = new Sandbox(defaultSandboxConfig());
const scoreReply = (item: SuiteItem, reply: string) => scoreWith(item, reply, { sandbox });
const codeItems =
  builtinSuites()
    .find((s) => s.id === "seed-50")
    ?.items.filter((i) => i.dimension === "code") ?? [];

describe("seed-50 code items: the passing reply passes, the failing reply fails", () => {
  it("has ten code items", () => expect(codeItems).toHaveLength(10));

  it.each(codeItems.map((i) => [i.id, i] as const))("%s", async (_id, item) => {
    const fx = fixtures[item.id];
    if (!fx) throw new Error(`no fixture for ${item.id}`);
    const [good, bad] = await Promise.all([scoreReply(item, fx.pass), scoreReply(item, fx.fail)]);
    expect(good.passed, JSON.stringify(good.checks)).toBe(true);
    expect(bad.passed, JSON.stringify(bad.checks)).toBe(false);
    expect(bad.error, "a failing reply is a fail, not an infrastructure error").toBeUndefined();
  });
});

describe("code check", () => {
  const py = (tests: string, extra: object = {}) =>
    validateItem({ id: "c", dimension: "code", prompt: "write f", checks: [{ type: "code", language: "python", tests, ...extra }] });
  const js = (tests: string) =>
    validateItem({ id: "j", dimension: "code", prompt: "write f", checks: [{ type: "code", language: "javascript", tests }] });

  it("passes both of the seed article's answers (the two function names differ)", async () => {
    const item = codeItems.find((i) => i.id === "code-01-seed-even-squares");
    if (!item) throw new Error("seed item missing");
    const qwen = "```python\ndef sum_of_even_squares(nums):\n    return sum(x**2 for x in nums if x % 2 == 0)\n```";
    const phi3 =
      "```python\ndef square_sum_evens(lst):\n    total = 0\n    for num in lst:\n        if num % 2 == 0:\n            total += num * num\n    return total\n```";
    expect((await scoreReply(item, qwen)).passed).toBe(true);
    expect((await scoreReply(item, phi3)).passed).toBe(true);
  });

  it("fails a syntax error and says why", async () => {
    const r = await scoreReply(py("assert f() == 1"), "```python\ndef f(:\n    return 1\n```");
    expect(r.passed).toBe(false);
    expect(r.checks[0]?.detail).toMatch(/SyntaxError/);
  });

  it("fails a failing assertion, passes a correct function (unfenced reply used whole)", async () => {
    expect((await scoreReply(py("assert f() == 1"), "def f():\n    return 2")).passed).toBe(false);
    expect((await scoreReply(py("assert f() == 1"), "def f():\n    return 1")).passed).toBe(true);
  });

  it("runs only the python block of a reply that also shows prose and a shell block", async () => {
    const reply = "Install nothing:\n```bash\npip install nothing\n```\nThen:\n```python\ndef f():\n    return 1\n```\nDone.";
    expect((await scoreReply(py("assert f() == 1"), reply)).passed).toBe(true);
  });

  it("runs JavaScript as CommonJS with node:assert", async () => {
    const tests = "const assert = require('node:assert'); assert.strictEqual(add(2, 3), 5);";
    expect((await scoreReply(js(tests), "```js\nfunction add(a, b) { return a + b; }\n```")).passed).toBe(true);
    expect((await scoreReply(js(tests), "```js\nfunction add(a, b) { return a - b; }\n```")).passed).toBe(false);
  });

  it("fails on the item's timeout_ms", async () => {
    const started = performance.now();
    const r = await scoreReply(py("f()", { timeout_ms: 1000 }), "def f():\n    while True: pass");
    expect(r.passed).toBe(false);
    expect(r.checks[0]?.detail).toMatch(/timed out/);
    expect(performance.now() - started).toBeLessThan(8_000);
  });

  it("does not pass code that exits 0 before the tests have run", async () => {
    const r = await scoreReply(py("assert f() == 1"), "import sys\nsys.exit(0)\ndef f():\n    return 2");
    expect(r.passed).toBe(false);
    expect(r.checks[0]?.detail).toMatch(/before the tests completed/);
    const j = await scoreReply(js("require('node:assert').strictEqual(f(), 1);"), "process.exit(0);\nfunction f() { return 2; }");
    expect(j.passed).toBe(false);
  });

  it("code-10: a correct median that imports the forbidden statistics module fails (the judge learns the code's imports)", async () => {
    const item = codeItems.find((i) => i.id === "code-10-median")!;
    const r = await scoreReply(item, "```python\nimport statistics\ndef median(values):\n    return statistics.median(values)\n```");
    expect(r.passed).toBe(false);
    expect(r.checks[0]?.detail).toMatch(/the prompt forbids the statistics module/);
    expect((await scoreReply(item, fixtures["code-10-median"]!.pass)).passed).toBe(true);
  });

  it("passes a correct solution that prints a lot", async () => {
    const r = await scoreReply(py("assert f() == 1"), "for i in range(20000):\n    print('noise', i)\ndef f():\n    return 1");
    expect(r.passed, r.checks[0]?.detail).toBe(true);
  });
});
