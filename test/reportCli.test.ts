// The `evalstack` command as a user runs it (npx, from the repository root): score one reply, refuse bad
// items with problem JSON, validate a suite, render a report from an exported run.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { syntheticRun } from "@evalstack/evaluator/reports/fixtures";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "evalstack-cli-"));

async function evalstack(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("npx", ["--no-install", "evalstack", ...args], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe("npx evalstack", () => {
  it("score: prints {passed, score, checks} as JSON", async () => {
    const item = file(
      "item.json",
      JSON.stringify({
        id: "math-01-seed-students",
        dimension: "math",
        prompt: "一个班级有30人……",
        checks: [
          { type: "numeric_answer", value: 5 },
          { type: "steps", min: 1 },
        ],
      }),
    );
    const good = await evalstack("score", "--item", item, "--reply", file("good.txt", "18 + 15 - 8 = 25，30 - 25 = 5人"));
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({
      passed: true,
      score: 1,
      checks: [
        { type: "numeric_answer", passed: true, detail: expect.stringContaining("answer 5") },
        { type: "steps", passed: true, detail: expect.stringContaining("1 calculation line") },
      ],
    });
    const bad = await evalstack("score", "--item", item, "--reply", file("bad.txt", "7人"));
    expect(bad.code).toBe(0);
    expect(JSON.parse(bad.stdout)).toMatchObject({ passed: false, score: 0 });
  });

  it("score: a code item runs in the sandbox", async () => {
    const item = file(
      "code.json",
      JSON.stringify({
        id: "c",
        dimension: "code",
        prompt: "f",
        checks: [{ type: "code", language: "python", tests: "assert f(3) == 9" }],
      }),
    );
    const r = await evalstack("score", "--item", item, "--reply", file("code.txt", "```python\ndef f(x):\n    return x * x\n```"));
    expect(JSON.parse(r.stdout).passed).toBe(true);
  });

  it("score: an unknown check type, an invalid regex or an invalid schema exits 2 with problem JSON naming the field", async () => {
    for (const [check, path] of [
      [{ type: "foo" }, "item.checks[0].type"],
      [{ type: "regex", pattern: "([" }, "item.checks[0].pattern"],
      [{ type: "json", schema: { type: "nope" } }, "item.checks[0].schema"],
    ] as const) {
      const item = file("bad-item.json", JSON.stringify({ id: "x", dimension: "structured", prompt: "p", checks: [check] }));
      const r = await evalstack("score", "--item", item, "--reply", file("r.txt", "{}"));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const problem = JSON.parse(r.stderr);
      expect(problem.status).toBe(422);
      expect(problem.errors[0].path).toBe(path);
    }
  });

  it("score: usage errors exit 2", async () => {
    expect((await evalstack("score", "--item", "x.json")).code).toBe(2);
    expect((await evalstack("score", "--item", join(dir, "missing.json"), "--reply", join(dir, "missing.txt"))).code).toBe(2);
    expect((await evalstack("frobnicate")).code).toBe(2);
  });

  it("validate: the built-in seed-50 file is valid; a broken suite is not", async () => {
    const ok = await evalstack("validate", "--suite", join(root, "services/evaluator/src/suites/builtin/seed-50.jsonl"));
    expect(JSON.parse(ok.stdout)).toEqual({
      valid: true,
      items: 50,
      by_dimension: { instruction_following: 10, math: 10, code: 10, structured: 10, latency: 10 },
    });
    const bad = await evalstack(
      "validate",
      "--suite",
      file("bad.jsonl", '{"id":"a","dimension":"math","prompt":"p","checks":[{"type":"foo"}]}\n'),
    );
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr).detail).toContain("items[0] (line 1).checks[0].type: unknown check type 'foo'");
  });

  it("report: renders md and csv from an exported run", async () => {
    const fixtures = JSON.parse(readFileSync(join(root, "services/evaluator/src/suites/builtin/seed-50.replies.json"), "utf8"));
    const input = file("run.json", JSON.stringify(syntheticRun(fixtures, 1)));
    const md = await evalstack("report", "--input", input, "--format", "md");
    expect(md.code).toBe(0);
    expect(md.stdout).toContain("## Scores per dimension (0-10)");
    const out = join(dir, "report.csv");
    expect((await evalstack("report", "--input", input, "--format", "csv", "--out", out)).code).toBe(0);
    expect(readFileSync(out, "utf8").split("\r\n")[0]).toMatch(/^item_id,dimension,model,/);
  });
});
