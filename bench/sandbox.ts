// Sandbox benchmark (issue 4): wall time per code execution, interpreter start included, as a code check sees
// it (temp dir, bwrap namespaces, rlimits, the program, clean-up). Target: p50 <= 150 ms.
//
//   npx tsx bench/sandbox.ts [--runs 60] [--concurrency 2]
//
// Prints a Markdown table. The first run of each language (interpreter probe) is a warm-up and not counted.
// A second table compares a code check as it now runs (Sandbox.runTests: the candidate and the judge in two
// sandboxes, calls relayed) with one execution of the same code and tests in one program, interleaved in
// one run, so the ratio holds on a busy machine.
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { defaultSandboxConfig, percentile, Sandbox, type SandboxLanguage } from "@evalstack/evaluator/scoring";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "60" },
    concurrency: { type: "string", default: String(Math.min(2, availableParallelism())) },
  },
});
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(runs) || runs < 5) throw new Error("--runs must be an integer >= 5");
if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error("--concurrency must be a positive integer");

// What a code check runs: the seed's code answer followed by its tests.
const PROGRAMS: Record<SandboxLanguage, string> = {
  python: [
    "def sum_of_even_squares(nums):",
    "    return sum(x**2 for x in nums if x % 2 == 0)",
    "",
    "assert sum_of_even_squares([1, 2, 3, 4]) == 20",
    "assert sum_of_even_squares([]) == 0",
  ].join("\n"),
  javascript: [
    "function chunk(arr, size) { const out = []; for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size)); return out; }",
    "const assert = require('node:assert');",
    "assert.deepStrictEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);",
  ].join("\n"),
};

const single = new Sandbox(defaultSandboxConfig({ concurrency: 1 }));
const pool = new Sandbox(defaultSandboxConfig({ concurrency }));
const isolation = await single.isolation();
const rows: string[] = [];
const fmt = (n: number) => n.toFixed(1);

for (const language of ["python", "javascript"] as const) {
  const warm = await single.run(language, PROGRAMS[language]);
  if (warm.exitCode !== 0) throw new Error(`${language} warm-up failed: ${warm.stderr}`);

  // Sequential: one execution at a time, as latency.
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = await single.run(language, PROGRAMS[language]);
    times.push(performance.now() - started);
    if (r.exitCode !== 0) throw new Error(`${language} run ${i} failed: ${r.stderr}`);
  }

  // Concurrent: `concurrency` slots kept busy, as throughput.
  await pool.run(language, PROGRAMS[language]);
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: runs }, () => pool.run(language, PROGRAMS[language])));
  const seconds = (performance.now() - started) / 1000;
  if (results.some((r) => r.exitCode !== 0)) throw new Error(`${language}: a concurrent run failed`);

  const p50 = percentile(times, 50);
  rows.push(
    `| ${language} | ${isolation.mode} | ${runs} | ${fmt(Math.min(...times))} | ${fmt(p50)} | ${fmt(percentile(times, 95))} | ${fmt(Math.max(...times))} | ${(runs / seconds).toFixed(1)} (${concurrency} slots) | ${p50 <= 150 ? "met" : "MISSED"} |`,
  );
}

// The code check's cost: the same answer and tests, judged in two sandboxes vs run as one program.
const CHECKS: Record<SandboxLanguage, { code: string; tests: string }> = {
  python: {
    code: "def sum_of_even_squares(nums):\n    return sum(x**2 for x in nums if x % 2 == 0)",
    tests: "assert sum_of_even_squares([1, 2, 3, 4]) == 20\nassert sum_of_even_squares([]) == 0",
  },
  javascript: {
    code: "function chunk(arr, size) { const out = []; for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size)); return out; }",
    tests: "const assert = require('node:assert');\nassert.deepStrictEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);",
  },
};
const checkRows: string[] = [];
for (const language of ["python", "javascript"] as const) {
  const { code, tests } = CHECKS[language];
  const judged = await single.runTests(language, code, tests);
  if (!judged.passed) throw new Error(`${language} judged warm-up failed: ${judged.judge.stderr}`);
  const one: number[] = [];
  const two: number[] = [];
  for (let i = 0; i < runs; i++) {
    let started = performance.now();
    const r = await single.run(language, PROGRAMS[language]);
    one.push(performance.now() - started);
    if (r.exitCode !== 0) throw new Error(`${language} run ${i} failed: ${r.stderr}`);
    started = performance.now();
    const t = await single.runTests(language, code, tests);
    two.push(performance.now() - started);
    if (!t.passed) throw new Error(`${language} judged run ${i} failed: ${t.judge.stderr}`);
  }
  const p1 = percentile(one, 50);
  const p2 = percentile(two, 50);
  checkRows.push(`| ${language} | ${runs} | ${fmt(p1)} | ${fmt(p2)} | ${(p2 / p1).toFixed(2)} |`);
}

console.log(
  `Sandbox: wall time per execution (temp dir + bwrap + rlimits + interpreter start + program + clean-up), ${availableParallelism()} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log("");
console.log("| language | isolation | runs | min ms | p50 ms | p95 ms | max ms | executions/s | target p50 <= 150 ms |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
console.log("");
console.log("A code check judged in two sandboxes (runTests) vs the same code and tests as one program (run), interleaved:");
console.log("");
console.log("| language | runs each | one program p50 ms | judged check p50 ms | ratio |");
console.log("|---|---|---|---|---|");
for (const row of checkRows) console.log(row);
