// Scoring benchmark (issue 4): non-code item checks scored per second.
//
//   npx tsx bench/scoring.ts [--seconds 3]
//
// Scores every non-code seed-50 item against its passing and its failing reply (the suite's fixtures) in a
// loop on one thread, and prints item-checks per second (target >= 10,000). Code checks are measured by
// bench/sandbox.ts (they start a process each).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { scoreReplySync } from "@evalstack/evaluator/scoring";
import { builtinSuites } from "@evalstack/evaluator/suites";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "3" } } });
const seconds = Number(values.seconds);

const fixtures = JSON.parse(
  readFileSync(new URL("../services/evaluator/src/suites/builtin/seed-50.replies.json", import.meta.url), "utf8"),
) as Record<string, { pass: string; fail: string }>;
const items = (builtinSuites().find((s) => s.id === "seed-50")?.items ?? []).filter(
  (i) => i.dimension !== "code" && i.dimension !== "latency",
);
const cases = items.flatMap((item) => [
  { item, reply: fixtures[item.id]?.pass as string },
  { item, reply: fixtures[item.id]?.fail as string },
]);
// A long reply too: a model that rambles to max_tokens (~2,000 words) must not be the slow path.
const long = `${"The answer follows from the table above, step by step. ".repeat(250)}\nAnswer: 5`;
const longCases = items.map((item) => ({ item, reply: long }));

function run(label: string, set: typeof cases): { label: string; checksPerSecond: number; itemsPerSecond: number; checks: number } {
  // Warm-up (regex compilation, ajv schema compilation, JIT).
  for (let i = 0; i < 200; i++) for (const c of set) scoreReplySync(c.item, c.reply);
  let checks = 0;
  let scored = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    for (const c of set) {
      const s = scoreReplySync(c.item, c.reply);
      checks += s.checks.length;
      scored++;
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    label,
    checksPerSecond: checks / elapsed,
    itemsPerSecond: scored / elapsed,
    checks: set.reduce((n, c) => n + c.item.checks.length, 0),
  };
}

const results = [run("seed-50 replies (pass + fail fixtures)", cases), run("2,000-word replies", longCases)];
const checkTypes = new Set(items.flatMap((i) => i.checks.map((c) => c.type)));
console.log(`## Scoring (issue 4) — \`npx tsx bench/scoring.ts --seconds ${seconds}\``);
console.log("");
console.log(
  `${items.length} non-code, non-latency seed-50 items, ${checkTypes.size} check types (${[...checkTypes].sort().join(", ")}), one thread.`,
);
console.log("");
console.log("| replies | item-checks/s | items/s | target |");
console.log("|---|---:|---:|---|");
for (const r of results) {
  console.log(
    `| ${r.label} | ${Math.round(r.checksPerSecond).toLocaleString("en-US")} | ${Math.round(r.itemsPerSecond).toLocaleString("en-US")} | >= 10,000 checks/s |`,
  );
}
