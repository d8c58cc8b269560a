// Migration 3 (the per-run item sequence and counters) on a database written by the first schema (both backends): the per-run item sequence is
// backfilled in insertion order per run, the runs' counters and the per-model counts match the items, and
// the next insert continues the sequence.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_MIGRATIONS as PG_MIGRATIONS, SQLITE_MIGRATIONS } from "@evalstack/evaluator/store";
import { PostgresStore, SqliteStore, type Store } from "@evalstack/evaluator/store";
import type { RunItemResult } from "@evalstack/evaluator/runs/types";
import { startPostgres, type TestPostgres } from "./helpers/postgres.js";

let postgres: TestPostgres;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-migrate-"));
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const V1_RUN = `INSERT INTO runs (id, suite_id, status, models, repeats, sampling, max_tokens, concurrency, items, total_items, created_at)
  VALUES ($id, 's', 'running', '["a","b"]', 1, '{}', NULL, '{}', '[]', 8, '2026-01-01T00:00:00.000Z')`;
// Items of two runs, interleaved: r1 a/i0, r2 a/i0, r1 b/i0 (error), r1 a/i1 (passed), r2 b/i0.
const V1_ITEMS: [run: string, model: string, item: string, status: string, passed: boolean | null][] = [
  ["r1", "a", "i0", "completed", false],
  ["r2", "a", "i0", "completed", true],
  ["r1", "b", "i0", "error", null],
  ["r1", "a", "i1", "completed", true],
  ["r2", "b", "i0", "completed", false],
];

function result(run: string, model: string, item: string): RunItemResult {
  return {
    run_id: run,
    item_id: item,
    model,
    repeat: 0,
    dimension: "math",
    status: "completed",
    reply: "x",
    finish_reason: "stop",
    prompt_tokens: 1,
    completion_tokens: 1,
    timings: { queue_ms: 0, ttft_ms: 1, decode_ms: 1, total_ms: 1, tokens_per_second: 1 },
    score: { passed: true, score: 1, checks: [] },
    error: null,
    attempts: 1,
    completed_at: "2026-01-01T00:00:01.000Z",
  };
}

async function expectMigrated(store: Store) {
  await store.migrate();
  const r1 = await store.listItems("r1", {}, 100, 0);
  expect(r1.items.map((i) => [i.seq, `${i.model}/${i.item_id}`])).toEqual([
    [1, "a/i0"],
    [2, "b/i0"],
    [3, "a/i1"],
  ]);
  expect((await store.itemsAfter("r2", 0, 100)).map((i) => [i.seq, `${i.model}/${i.item_id}`])).toEqual([
    [1, "a/i0"],
    [2, "b/i0"],
  ]);
  expect(await store.counts("r1")).toEqual({
    done: 3,
    completed: 2,
    errors: 1,
    passed: 1,
    by_model: { a: { done: 2, completed: 2, errors: 0, passed: 1 }, b: { done: 1, completed: 0, errors: 1, passed: 0 } },
  });
  expect((await store.insertItem(result("r1", "b", "i1")))?.seq).toBe(4);
  expect(await store.insertItem(result("r1", "b", "i1"))).toBeNull(); // a duplicate draws no number
  expect((await store.insertItem(result("r1", "a", "i2")))?.seq).toBe(5);
  expect((await store.counts("r1")).done).toBe(5);
  await store.close();
}

describe("migration 3: per-run item sequence and counters", () => {
  it("SQLite", async () => {
    const path = join(dir, "v1.db");
    const db = new Database(path);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    db.exec(SQLITE_MIGRATIONS[0]!.sql);
    db.prepare("INSERT INTO schema_migrations VALUES (1, ?)").run(new Date().toISOString());
    for (const id of ["r1", "r2"]) db.prepare(V1_RUN.replace("$id", "?")).run(id);
    for (const [run, model, item, status, passed] of V1_ITEMS) {
      db.prepare(
        `INSERT INTO run_items (run_id, item_id, model, "repeat", dimension, status, reply, finish_reason, prompt_tokens, completion_tokens,
         queue_ms, ttft_ms, decode_ms, total_ms, tokens_per_second, passed, score, checks, error, attempts, completed_at)
         VALUES (?, ?, ?, 0, 'math', ?, '', 'stop', 0, 0, 0, 0, 0, 0, 0, ?, NULL, NULL, NULL, 1, '2026-01-01T00:00:00.000Z')`,
      ).run(run, item, model, status, passed === null ? null : passed ? 1 : 0);
    }
    db.close();
    await expectMigrated(new SqliteStore(path));
  });

  it("PostgreSQL", async () => {
    const url = await postgres.createDatabase("migrate_v1");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)");
    await client.query(PG_MIGRATIONS[0]!.sql);
    await client.query("INSERT INTO schema_migrations VALUES (1, now())");
    for (const id of ["r1", "r2"]) await client.query(V1_RUN.replace("$id", "$1").replace(/'(\[[^']*\]|\{\})'/g, "'$1'::jsonb"), [id]);
    for (const [run, model, item, status, passed] of V1_ITEMS) {
      await client.query(
        `INSERT INTO run_items (run_id, item_id, model, "repeat", dimension, status, reply, finish_reason, prompt_tokens, completion_tokens,
         queue_ms, ttft_ms, decode_ms, total_ms, tokens_per_second, passed, score, checks, error, attempts, completed_at)
         VALUES ($1, $2, $3, 0, 'math', $4, '', 'stop', 0, 0, 0, 0, 0, 0, 0, $5, NULL, NULL, NULL, 1, '2026-01-01T00:00:00.000Z')`,
        [run, item, model, status, passed],
      );
    }
    await client.end();
    await expectMigrated(new PostgresStore(url));
  });
});
