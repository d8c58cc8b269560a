// A real 2-model run (issue 3): the evaluator in-process against the real model services (qwen and phi3
// slots, small profile; 2 slots and 1 thread each, so the two share the 2 cores), the built-in seed-50
// suite. The evaluator should keep both models busy: wall time / the slower model's busy time <= 1.1.
//
//   npx tsx bench/evaluatorRealRun.ts [--suite seed-50] [--max-tokens 32] [--repeats 1]
//
// Busy time of a model = the union of its requests' [sent, sent + the service's total_ms] intervals: the
// time it had at least one request queued or generating.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startModelService } from "@evalstack/local-stack";
import { loadConfig } from "@evalstack/evaluator/config";
import { startServer } from "@evalstack/evaluator/server";
import { SqliteStore } from "@evalstack/evaluator/store";
import { percentile, timedStore, unionLength } from "./evaluatorTiming.js";

const { values } = parseArgs({
  options: {
    suite: { type: "string", default: "seed-50" },
    "max-tokens": { type: "string", default: "32" },
    repeats: { type: "string", default: "1" },
  },
});

const modelEnv = { MODEL_SLOTS: "2", MODEL_THREADS: "1", MODEL_CONTEXT_SIZE: "2048", LOG_LEVEL: "warn" };
const [qwen, phi3] = await Promise.all([
  startModelService({ service: "qwen", env: modelEnv }),
  startModelService({ service: "phi3", env: modelEnv }),
]);
const dir = mkdtempSync(join(tmpdir(), "evalstack-realrun-"));
try {
  const config = loadConfig({
    EVALSTACK_HOST: "127.0.0.1",
    EVALSTACK_PORT: "0",
    EVALSTACK_MODELS: `qwen=${qwen.target},phi3=${phi3.target}`,
    EVALSTACK_DB_PATH: join(dir, "run.db"),
    EVALSTACK_AUTH: "off",
  });
  const raw = new SqliteStore(join(dir, "run.db"));
  await raw.migrate();
  const store = timedStore(raw);
  const server = await startServer({ config, store, log: pino({ level: "warn" }) });
  const started = performance.now();
  const res = await fetch(`${server.url}/v1/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      suite: values.suite,
      models: ["qwen", "phi3"],
      max_tokens: Number(values["max-tokens"]),
      repeats: Number(values.repeats),
      sampling: { temperature: 0 },
    }),
  });
  if (res.status !== 201) throw new Error(`POST /v1/runs: ${res.status} ${await res.text()}`);
  const run = (await res.json()) as { id: string; total_items: number };
  const status = await new Promise<string>((resolve) => {
    server.runs.events.on("status", (id, s) => id === run.id && s !== "running" && s !== "queued" && resolve(s));
  });
  const wall = performance.now() - started;
  const counts = await server.store.counts(run.id);
  await server.close();

  const rows: string[] = [];
  let slowest = 0;
  for (const model of ["qwen", "phi3"]) {
    const ts = [...store.timings.values()].filter((t) => t.model === model && t.stored !== undefined);
    const busy = unionLength(ts.map((t) => [t.sent, t.sent + (t.modelTotalMs ?? 0)]));
    const gaps = ts.map((t) => t.stored! - t.sent - (t.modelTotalMs ?? 0));
    slowest = Math.max(slowest, busy);
    rows.push(
      `| ${model} busy time | ${(busy / 1000).toFixed(1)} s (${ts.length} replies; evaluator time per reply p50 ${percentile(gaps, 50).toFixed(1)} ms) | |`,
    );
  }
  console.log(`\n| figure | value | target |`);
  console.log(`|---|---|---|`);
  console.log(
    `| run | ${values.suite} x 2 models x ${values.repeats}, max_tokens ${values["max-tokens"]}: ${run.total_items} items, ${status}, ${counts.errors} errors | |`,
  );
  console.log(`| wall time | ${(wall / 1000).toFixed(1)} s | |`);
  for (const r of rows) console.log(r);
  console.log(`| wall / slower model's busy time | ${(wall / slowest).toFixed(3)} | <= 1.1 |`);
} finally {
  await Promise.all([qwen.process.stop(), phi3.process.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
