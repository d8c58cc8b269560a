// Evaluator overhead (issue 3): runs against fake model servers (@evalstack/testing) (contract-conformant, no model), so
// every millisecond measured is the evaluator's own: HTTP, orchestration, the gRPC call, scoring, the store.
//
//   npx tsx bench/evaluatorOverhead.ts [--items 1000] [--slots 8] [--postgres]
//
// Throughput: a run of `items` x 2 models with `slots` calls in flight per model → items/s.
// Latency: one model, one slot, items one after another → per-item overhead p50/p95, measured from just
// before the dispatch is recorded to just after the reply is stored (gRPC round trip and scoring included).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startTelemetry } from "@evalstack/telemetry";
import { loadConfig } from "@evalstack/evaluator/config";
import { startServer } from "@evalstack/evaluator/server";
import { PostgresStore, SqliteStore } from "@evalstack/evaluator/store";
import { startFakeModelServer } from "@evalstack/testing";
import { startPostgres } from "../test/helpers/postgres.js";
import { percentile as pct, timedStore } from "./evaluatorTiming.js";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "1000" },
    slots: { type: "string", default: "8" },
    postgres: { type: "boolean", default: false },
  },
});
const ITEMS = Number(values.items);
const SLOTS = Number(values.slots);
const KEY = "bench-key-0123456789abcdef";

const suiteItems = Array.from({ length: ITEMS }, (_, i) => ({
  id: `item-${i}`,
  dimension: "instruction_following",
  prompt: `Reply with ok (${i})`,
  checks: [{ type: "contains", value: "ok" }, { type: "lowercase" }],
}));

const telemetry = await startTelemetry({ serviceName: "bench-evaluator", prometheus: "handler" });

async function scenario(name: string, backend: "sqlite" | "postgres", models: number, slots: number, items: number) {
  const servers = await Promise.all(Array.from({ length: models }, () => startFakeModelServer({ slots, reply: () => "ok" })));
  for (const s of servers) s.keepRequests = false;
  const dir = mkdtempSync(join(tmpdir(), "evalstack-bench-"));
  const pg = backend === "postgres" ? await startPostgres() : undefined;
  const env = {
    EVALSTACK_HOST: "127.0.0.1",
    EVALSTACK_PORT: "0",
    EVALSTACK_MODELS: servers.map((s, i) => `m${i}=${s.target}`).join(","),
    EVALSTACK_DB_PATH: join(dir, "bench.db"),
    EVALSTACK_API_KEYS: KEY,
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  const config = loadConfig(env);
  const rawStore = pg ? new PostgresStore(pg.url) : new SqliteStore(join(dir, "bench.db"));
  await rawStore.migrate();
  const store = timedStore(rawStore);
  const server = await startServer({ config, store, telemetry, log: pino({ level: "silent" }) });
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  await fetch(`${server.url}/v1/suites`, {
    method: "POST",
    headers,
    body: JSON.stringify({ id: "bench", items: suiteItems.slice(0, items) }),
  });

  const started = performance.now();
  const res = await fetch(`${server.url}/v1/runs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ suite: "bench", models: servers.map((_, i) => `m${i}`) }),
  });
  const run = (await res.json()) as { id: string; total_items: number };
  const status = await new Promise<string>((resolve) => {
    const onStatus = (id: string, s: string) => {
      if (id !== run.id || s === "queued" || s === "running") return;
      server.runs.events.off("status", onStatus);
      resolve(s);
    };
    server.runs.events.on("status", onStatus);
  });
  if (status !== "completed") throw new Error(`run ended ${status}`);
  const wall = performance.now() - started;
  const overheads = [...store.timings.values()].filter((s) => s.stored !== undefined).map((s) => s.stored! - s.sent);
  const row = {
    name,
    backend,
    items: run.total_items,
    concurrency: `${models} x ${slots}`,
    itemsPerSecond: run.total_items / (wall / 1000),
    p50: pct(overheads, 50),
    p95: pct(overheads, 95),
    calls: servers.reduce((n, s) => n + s.calls, 0),
  };
  if (row.calls !== run.total_items) throw new Error(`expected ${run.total_items} model calls, got ${row.calls}`);
  await server.close();
  for (const s of servers) await s.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
  return row;
}

const rows = [];
const backends: ("sqlite" | "postgres")[] = values.postgres ? ["sqlite", "postgres"] : ["sqlite"];
for (const backend of backends) {
  // A short warm-up run (JIT, first prepared statements), then the measured ones.
  await scenario("warm-up", backend, 2, SLOTS, 100);
  rows.push(await scenario("throughput", backend, 2, SLOTS, ITEMS));
  rows.push(await scenario("latency", backend, 1, 1, Math.min(ITEMS, 500)));
}
await telemetry.shutdown();

console.log(`\n| scenario | store | run items | calls in flight (models x slots) | items/s | per-item overhead p50 | p95 |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.backend} | ${r.items} | ${r.concurrency} | ${r.itemsPerSecond.toFixed(0)} | ${r.p50.toFixed(2)} ms | ${r.p95.toFixed(2)} ms |`,
  );
}
