// Polling a running run (issue 12): p95 of GET /v1/runs/{id} while a 10,000-item run fills, early (the first
// 10% of its items) against late (the last 10%). The run view's summary is kept incrementally, so the ratio
// should stay near 1 (target <= 1.5); before, every poll after a new item rebuilt the report from every stored
// item. Instant-reply model servers (test/helpers), an in-process evaluator on SQLite (or --postgres).
//
//   npx tsx bench/runPolling.ts [--items 5000] [--models 2] [--postgres]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { loadConfig } from "@evalstack/evaluator/config";
import { startServer } from "@evalstack/evaluator/server";
import { PostgresStore, SqliteStore } from "@evalstack/evaluator/store";
import { startFakeModelServer } from "@evalstack/testing";
import { startPostgres } from "../test/helpers/postgres.js";
import { percentile } from "./evaluatorTiming.js";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "5000" },
    models: { type: "string", default: "2" },
    slots: { type: "string", default: "8" },
    postgres: { type: "boolean", default: false },
  },
});
const ITEMS = Number(values.items);
const MODELS = Number(values.models);
const KEY = "bench-key-0123456789abcdef";

const servers = await Promise.all(
  Array.from({ length: MODELS }, () => startFakeModelServer({ slots: Number(values.slots), reply: () => "ok" })),
);
for (const s of servers) s.keepRequests = false;
const dir = mkdtempSync(join(tmpdir(), "evalstack-bench-poll-"));
const pg = values.postgres ? await startPostgres() : undefined;
const config = loadConfig({
  EVALSTACK_HOST: "127.0.0.1",
  EVALSTACK_PORT: "0",
  EVALSTACK_MODELS: servers.map((s, i) => `m${i}=${s.target}`).join(","),
  EVALSTACK_DB_PATH: join(dir, "bench.db"),
  EVALSTACK_API_KEYS: KEY,
});
const store = pg ? new PostgresStore(pg.url) : new SqliteStore(join(dir, "bench.db"));
await store.migrate();
const server = await startServer({ config, store, log: pino({ level: "silent" }) });
const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
const suiteItems = Array.from({ length: ITEMS }, (_, i) => ({
  id: `item-${i}`,
  dimension: (["instruction_following", "math", "structured", "code"] as const)[i % 4],
  prompt: `Reply with ok (${i})`,
  checks: [
    { type: "contains", value: "ok" },
    { type: "regex", pattern: "^o" },
  ],
}));
const upload = await fetch(`${server.url}/v1/suites`, {
  method: "POST",
  headers,
  body: JSON.stringify({ id: "poll", description: "bench", items: suiteItems }),
});
if (upload.status !== 201) throw new Error(`suite upload: ${upload.status} ${await upload.text()}`);
const created = (await (
  await fetch(`${server.url}/v1/runs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ suite: "poll", models: servers.map((_, i) => `m${i}`) }),
  })
).json()) as { id: string; total_items: number };
const total = created.total_items;

// One client polling back to back, as a UI or notebook would (but without its pause).
const polls: { done: number; ms: number }[] = [];
const started = performance.now();
for (;;) {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/v1/runs/${created.id}`, { headers });
  const view = (await res.json()) as { status: string; progress: { done: number }; summary: unknown[] };
  polls.push({ done: view.progress.done, ms: performance.now() - t0 });
  if (!["queued", "running"].includes(view.status)) {
    if (view.status !== "completed") throw new Error(`run ended ${view.status}`);
    break;
  }
}
const wall = (performance.now() - started) / 1000;
const early = polls.filter((p) => p.done > 0 && p.done <= total * 0.1).map((p) => p.ms);
const late = polls.filter((p) => p.done >= total * 0.9 && p.done < total).map((p) => p.ms);
const p95 = (xs: number[]) => percentile(xs, 95);
const ratio = p95(late) / p95(early);
const load = loadavg()
  .map((l) => l.toFixed(1))
  .join(", ");
console.log(`# GET /v1/runs/{id} while a ${total}-item run fills (${values.postgres ? "PostgreSQL" : "SQLite"}, ${MODELS} instant-reply models)

| window | polls | p50 ms | p95 ms |
|---|---|---|---|
| early (items 1-${Math.round(total * 0.1)}) | ${early.length} | ${percentile(early, 50).toFixed(2)} | ${p95(early).toFixed(2)} |
| late (items ${Math.round(total * 0.9)}-${total - 1}) | ${late.length} | ${percentile(late, 50).toFixed(2)} | ${p95(late).toFixed(2)} |

p95 late / early = **${ratio.toFixed(2)}** (target <= 1.5); ${polls.length} polls in ${wall.toFixed(1)} s; load average ${load} (shared machine).`);
await server.close();
for (const s of servers) await s.close();
await pg?.stop();
rmSync(dir, { recursive: true, force: true });
if (ratio > 1.5) process.exitCode = 1;
