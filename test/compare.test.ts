// `npm run compare` end to end, as a user runs it: a subprocess (its own process group; Ctrl-C is SIGINT to
// the whole group, as a terminal sends it) on the small models and free ports. The printed tables and every
// written report are checked against each other; Ctrl-C during a run cancels it and leaves no process of the
// stack behind; without python3 the code items are errors, never passes. (A second Ctrl-C: test/stack.test.ts,
// the same launcher code.)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { descendantsOf, freePort, isRunning, ManagedProcess, REPO_ROOT, type ProcessIdentity } from "@evalstack/local-stack";
import type { Report } from "@evalstack/evaluator/reports";
import { builtinSuite, selectItems } from "@evalstack/evaluator/suites";
import { parseCsvRows } from "@evalstack/testing";

const tmp = mkdtempSync(path.join(os.tmpdir(), "evalstack-compare-test-"));
const launched: ManagedProcess[] = [];
let launches = 0;
const reportDirs: string[] = [];

const trees: (() => ProcessIdentity[])[] = [];

afterEach(async () => {
  // A failed test may leave its launcher running: kill its group, then anything recorded below it.
  await Promise.all(launched.splice(0).map((p) => p.stop("SIGKILL", 5_000)));
  for (const p of trees
    .splice(0)
    .flatMap((tree) => tree())
    .filter(isRunning))
    process.kill(p.pid, "SIGKILL");
});
afterAll(() => {
  for (const dir of reportDirs) rmSync(dir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

async function freePortArgs(): Promise<string[]> {
  const args: string[] = [];
  for (const flag of ["--evaluator-port", "--qwen-port", "--phi3-port", "--qwen-metrics-port", "--phi3-metrics-port"])
    args.push(flag, String(await freePort()));
  return args;
}

/** `npm run compare -- <args>` in its own process group; every process below it is recorded as it appears. */
function compare(args: string[], env: Record<string, string> = {}) {
  const dbPath = path.join(tmp, `compare-${launches++}.db`); // a store of its own per launch
  const p = new ManagedProcess({
    name: "npm run compare",
    command: "npm",
    args: ["run", "compare", "--", ...args],
    env: { EVALSTACK_DB_PATH: dbPath, NO_COLOR: "1", ...env },
    detached: true,
  });
  launched.push(p);
  const seen = new Map<string, ProcessIdentity>();
  const poll = () => {
    for (const d of descendantsOf(p.pid!)) seen.set(`${d.pid}:${d.startTime}`, d);
  };
  const timer = setInterval(poll, 100);
  void p.exited.then(() => clearInterval(timer));
  trees.push(() => [...seen.values()]);
  const tree = () => {
    poll();
    return [...seen.values()];
  };
  return { process: p, dbPath, tree, ctrlC: () => p.signal("SIGINT") };
}

/** npm passes the script's exit code on, or ends by the signal the group got. */
function exitedWith(status: { code: number | null; signal: NodeJS.Signals | null }): string {
  return status.signal ?? String(status.code);
}

function cell(s: { score: number; interval: { low: number; high: number } }): string {
  return `${s.score.toFixed(1)} [${s.interval.low.toFixed(1)}–${s.interval.high.toFixed(1)}]`;
}

describe("npm run compare", () => {
  it("smoke-6 on both small models: exit 0, the tables printed, every report written, nothing left running", async () => {
    const run = compare(["--suite", "smoke-6", "--max-tokens", "64", ...(await freePortArgs())]);
    const status = await run.process.exited;
    const out = run.process.logs();
    expect(exitedWith(status), out).toBe("0");

    // Live progress reached 6/6 for both models, with a generation speed.
    for (const model of ["qwen", "phi3"])
      expect(out).toMatch(new RegExp(`^ {2}${model} +█+ +6/6 100% +passed \\d +errors 0 +\\d+\\.\\d tokens/s$`, "m"));

    // The report files, printed under "Reports".
    const runId = out.match(/^Run (run_\w+): suite smoke-6, 6 items per model/m)![1]!;
    const dir = path.join(REPO_ROOT, "reports", runId);
    reportDirs.push(dir);
    const printed = out
      .slice(out.indexOf("\nReports\n"))
      .split("\n")
      .slice(2, 6)
      .map((l) => path.resolve(REPO_ROOT, l.trim()));
    expect(printed).toEqual(["md", "html", "json", "csv"].map((f) => path.join(dir, `report.${f}`)));
    for (const file of printed) expect(existsSync(file), file).toBe(true);

    const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8")) as Report;
    expect(report.run).toMatchObject({ id: runId, suite_id: "smoke-6", status: "completed", models: ["qwen", "phi3"], repeats: 1 });
    expect(report.items).toHaveLength(12);
    expect(report.dimensions.map((d) => d.dimension).sort()).toEqual(["code", "instruction_following", "latency", "math", "structured"]);
    for (const m of report.models) expect(m.snapshot?.sha256, m.name).toMatch(/^[0-9a-f]{64}$/);

    // The terminal's score table is the report's numbers: one row per dimension, both models, p and verdict.
    expect(out).toMatch(/Dimension +Items +qwen +phi3 +McNemar p +Verdict/);
    for (const d of report.dimensions) {
      const row = out.split("\n").find((l) => l.startsWith(`  ${d.label} `));
      expect(row, d.label).toBeDefined();
      const [qwen, phi3] = ["qwen", "phi3"].map((m) => d.per_model.find((s) => s.model === m)!);
      expect(row).toContain(`${cell(qwen!)}  ${cell(phi3!)}`);
      expect(row).toMatch(/(\d\.\d{3}|\d\.\de-\d) +(sample too small|no significant difference|qwen better|phi3 better)$/);
    }
    // The performance table names the models actually loaded and their measured speed.
    const perf = report.performance;
    const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(out).toMatch(new RegExp(`^ {2}Model +${escapeRegExp(perf[0]!.model_name)} +${escapeRegExp(perf[1]!.model_name)}$`, "m"));
    expect(out).toMatch(
      new RegExp(
        `^ {2}Generation speed p50 \\(tokens/s\\) +${perf[0]!.tokens_per_second_p50!.toFixed(1)} +${perf[1]!.tokens_per_second_p50!.toFixed(1)}$`,
        "m",
      ),
    );
    expect(out).toMatch(/^ {2}Peak RAM +\d/m);

    const md = readFileSync(path.join(dir, "report.md"), "utf8");
    expect(md.startsWith("# Evaluation report: qwen vs phi3")).toBe(true);
    expect(md).toContain(`Run \`${runId}\``);
    expect(md).toContain(cell(report.dimensions[0]!.per_model[0]!));
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain(runId);
    const csv = parseCsvRows(readFileSync(path.join(dir, "report.csv"), "utf8"));
    expect(csv[0]).toEqual([
      "item_id",
      "dimension",
      "model",
      "replies",
      "errors",
      "pass_rate",
      "instruction_score",
      "ttft_ms",
      "tokens_per_second",
      "total_ms",
      "prompt",
      "reply",
      "checks",
    ]);
    expect(
      csv
        .slice(1)
        .map((r) => `${r[0]}/${r[2]}`)
        .sort(),
    ).toEqual(report.items.map((i) => `${i.item_id}/${i.model}`).sort());

    // It stopped what it started.
    expect(out).toMatch(/stopped \(qwen pid \d+, phi3 pid \d+, evaluator pid \d+\)/);
    expect(run.tree().filter(isRunning)).toEqual([]);
  }, 400_000);

  it("humaneval --limit 40 --shuffle-seed 1 on both small models: the seeded subset, every reply run in the sandbox, the suites table", async () => {
    const out = path.join(tmp, "humaneval-reports");
    const run = compare([
      "--suite",
      "humaneval",
      "--limit",
      "40",
      "--shuffle-seed",
      "1",
      "--max-tokens",
      "128",
      "--out",
      out,
      ...(await freePortArgs()),
    ]);
    const status = await run.process.exited;
    const log = run.process.logs();
    // Kept for the docs (README's excerpt): the terminal output of a real run.
    mkdirSync(path.join(REPO_ROOT, "test-results"), { recursive: true });
    writeFileSync(path.join(REPO_ROOT, "test-results", "compare-humaneval.txt"), log);
    expect(exitedWith(status), log).toBe("0");
    const runId = log.match(/^Run (run_\w+): suite humaneval \(at most 40 items each, shuffle seed 1\), 40 items per model/m)![1]!;
    const report = JSON.parse(readFileSync(path.join(out, runId, "report.json"), "utf8")) as Report;

    // The items are the ones the seed picks, the same as the evaluator's selection gives in-process.
    const humaneval = builtinSuite("humaneval")!;
    const expected = selectItems([humaneval], { limit: 40, shuffleSeed: 1 })
      .items.map((i) => i.id)
      .sort();
    for (const model of ["qwen", "phi3"])
      expect(
        report.items
          .filter((i) => i.model === model)
          .map((i) => i.item_id)
          .sort(),
        model,
      ).toEqual(expected);
    expect(expected.every((id) => /^HumanEval\/\d+$/.test(id))).toBe(true);

    // Every reply was scored by the code check in the sandbox: a pass or a fail with its reason, no errors.
    expect(report.items).toHaveLength(80);
    for (const item of report.items) {
      expect(item.errors, `${item.item_id} ${item.model}`).toBe(0);
      expect(item.checks, `${item.item_id} ${item.model}`).toMatch(/^[✓✗] code: (tests passed|exit \d+|timed out|killed by|not tested)/);
    }
    expect(report.dimensions.map((d) => d.dimension)).toEqual(["code"]);

    // The suites table: 40 of 164 items, pass@1 with its interval, no published score for these small models.
    expect(report.suites).toHaveLength(1);
    expect(report.suites[0]).toMatchObject({ suite: "humaneval", items: 40, suite_items: 164 });
    for (const m of report.suites[0]!.per_model) {
      expect(m.items).toBe(40);
      expect(m.references).toEqual([]);
      expect(m.interval.low).toBeLessThanOrEqual(m.pass_at_1);
      expect(m.interval.high).toBeGreaterThanOrEqual(m.pass_at_1);
    }
    expect(log).toMatch(/^ {2}humaneval +40 of 164 +qwen +\d+\.\d \[/m);
    expect(report.notes.join("\n")).toContain("humaneval: a subset of 40 of the suite's 164 items");
    expect(run.tree().filter(isRunning)).toEqual([]);
    // 80 generations of up to 128 tokens on two cores: a few minutes alone, much longer on a shared machine.
  }, 2_400_000);

  it("Ctrl-C during a run cancels it and stops every process of the stack", async () => {
    const run = compare(["--suite", "seed-50", "--max-tokens", "64", ...(await freePortArgs())]);
    // Wait until items are being answered (a model's progress line shows at least one done).
    await run.process.waitForOutput(/^ {2}(qwen|phi3) +█+░* +[1-9]\d*\/50 /m, 300_000);
    const runId = run.process.logs().match(/^Run (run_\w+)/m)![1]!;
    const tree = run.tree();
    const pids = [...run.process.logs().matchAll(/(qwen|phi3|evaluator): starting \(pid (\d+)\)/g)].map((m) => Number(m[2]));
    expect(pids).toHaveLength(3);
    expect(tree.map((p) => p.pid)).toEqual(expect.arrayContaining(pids));

    const sentAt = Date.now();
    run.ctrlC();
    const status = await run.process.exited;
    const stopMs = Date.now() - sentAt;
    const out = run.process.logs();
    expect(["SIGINT", "130"]).toContain(exitedWith(status));
    expect(out).toContain(`Ctrl-C: cancelling run ${runId} and stopping everything compare started (Ctrl-C again to kill at once)`);
    expect(out).toContain(`run ${runId} cancelled`);
    expect(out).not.toContain("killing every process");
    expect(out).toMatch(/stopped \(qwen pid \d+, phi3 pid \d+, evaluator pid \d+\)/);
    expect(stopMs).toBeLessThan(30_000);
    expect(tree.filter(isRunning)).toEqual([]);
    expect(run.tree().filter(isRunning)).toEqual([]);
    // The store says so too: the run is cancelled, not left running to resume on the next start.
    const db = new Database(run.dbPath, { readonly: true });
    try {
      expect(db.prepare("SELECT status FROM runs WHERE id = ?").get(runId)).toEqual({ status: "cancelled" });
    } finally {
      db.close();
    }
  }, 400_000);

  it("without python3 the code items are errors, never passes (a suite file, one model, --keep-running)", async () => {
    const suite = path.join(tmp, "code only.jsonl");
    const items = [
      {
        id: "add-two",
        dimension: "code",
        prompt: "Write a Python function add(a, b) that returns a + b. Reply with code only.",
        max_tokens: 48,
        checks: [{ type: "code", language: "python", tests: "assert add(2, 3) == 5\n" }],
      },
      { id: "hello", dimension: "latency", prompt: "Say hello in one word.", max_tokens: 8 },
    ];
    writeFileSync(suite, items.map((i) => `${JSON.stringify(i)}\n`).join(""));
    const run = compare(
      ["--suite", suite, "--models", "qwen", "--out", path.join(tmp, "reports"), "--keep-running", ...(await freePortArgs())],
      {
        EVALSTACK_SANDBOX_PYTHON: path.join(tmp, "no-python3"),
      },
    );
    // --keep-running: the stack stays up after the reports, its endpoints printed, until Ctrl-C.
    await run.process.waitForOutput(/The stack keeps running \(--keep-running\); Ctrl-C stops it\./, 240_000);
    const url = run.process.logs().match(/^ {2}evaluator {2}(http:\/\/127\.0\.0\.1:\d+)/m)![1]!;
    const runs = (await (await fetch(`${url}/v1/runs`)).json()) as { id: string; status: string }[];
    expect(runs.map((r) => r.status)).toEqual(["partial"]);
    expect(run.process.running).toBe(true);
    run.ctrlC();
    const status = await run.process.exited;
    const out = run.process.logs();
    expect(["SIGINT", "0"], out).toContain(exitedWith(status));
    expect(out).toMatch(/stopped \(qwen pid \d+, evaluator pid \d+\)/);
    expect(out).toContain(
      `warning: EVALSTACK_SANDBOX_PYTHON=${path.join(tmp, "no-python3")} is not a working python3: the code items' checks cannot run here, so those items are recorded as errors (never as passes)`,
    );
    expect(out).toMatch(/suite code-only-[0-9a-f]{12}: 2 items from /);
    expect(out).toMatch(/^ {2}qwen +█+ +2\/2 100% +passed 0 +errors 1 /m);
    expect(out).toMatch(/^ {2}Code generation +1 +0\.0 \[0\.0–7\.9\]$/m);
    expect(out).toContain("Replies that ended in an error (counted as failures): Code generation / qwen: 1.");
    const runId = out.match(/^Run (run_\w+)/m)![1]!;
    const report = JSON.parse(readFileSync(path.join(tmp, "reports", runId, "report.json"), "utf8")) as Report;
    expect(report.run.status).toBe("partial");
    const code = report.items.find((i) => i.item_id === "add-two");
    expect(code).toMatchObject({ model: "qwen", errors: 1, pass_rate: 0 });
    expect(code!.checks).toMatch(/check could not run/);
    expect(report.items.find((i) => i.item_id === "hello")).toMatchObject({ errors: 0 });
    expect(run.tree().filter(isRunning)).toEqual([]);
  }, 300_000);
});
