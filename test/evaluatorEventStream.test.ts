// The event stream under concurrent writers, on real PostgreSQL and on SQLite: four writers (each its own
// store and connection pool, as four replicas would be) store one run's items at once, while one client
// follows GET /v1/runs/{id}/events from the start and another disconnects part-way and resumes with
// Last-Event-ID. Each sees every item exactly once. On PostgreSQL a trigger sleeps a random few
// milliseconds after each insert, so commits land out of the order their sequence numbers were drawn in
// (the race a bigserial cursor lost items to).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@evalstack/evaluator/config";
import { startServer } from "@evalstack/evaluator/server";
import { PostgresStore, SqliteStore, type Store } from "@evalstack/evaluator/store";
import type { RunItemResult } from "@evalstack/evaluator/runs/types";
import type { SuiteItem } from "@evalstack/evaluator/suites";
import { readEvents, TEST_API_KEY } from "./helpers/evaluator.js";
import { freePort } from "./helpers/ports.js";
import { startPostgres, type TestPostgres } from "./helpers/postgres.js";

const WRITERS = 4;
const ITEMS = 30; // per writer: 4 writers x 30 items = 120 stored items on one run
const MODELS = ["w0", "w1", "w2", "w3"];

let postgres: TestPostgres;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-events-"));
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function item(runId: string, model: string, i: number): RunItemResult {
  return {
    run_id: runId,
    item_id: `i${i}`,
    model,
    repeat: 0,
    dimension: "math",
    status: "completed",
    reply: `${i}`,
    finish_reason: "stop",
    prompt_tokens: 1,
    completion_tokens: 1,
    timings: { queue_ms: 0, ttft_ms: 1, decode_ms: 1, total_ms: 2, tokens_per_second: 1 },
    score: { passed: i % 2 === 0, score: i % 2 === 0 ? 1 : 0, checks: [] },
    error: null,
    attempts: 1,
    completed_at: new Date().toISOString(),
  };
}

const suiteItems: SuiteItem[] = Array.from({ length: ITEMS }, (_, i) => ({
  id: `i${i}`,
  dimension: "math",
  messages: [{ role: "user", content: `${i}?` }],
  checks: [{ type: "numeric_answer", value: i }],
}));

async function scenario(primary: Store, writers: Store[]) {
  await primary.migrate();
  const runId = `run_events_${primary.kind}`;
  await primary.createRun({
    id: runId,
    suite_id: "s",
    models: MODELS,
    repeats: 1,
    sampling: {},
    max_tokens: null,
    concurrency: {},
    items: suiteItems,
    created_at: new Date().toISOString(),
  });
  // The test's writers own the run: an evaluator serving the API leaves it alone.
  expect(await primary.claimRuns("writers", 600_000, 1)).toEqual([runId]);
  expect(await primary.markRunning(runId, "writers")).toBe(true);

  const port = await freePort();
  const config = loadConfig({
    EVALSTACK_HOST: "127.0.0.1",
    EVALSTACK_PORT: String(port),
    EVALSTACK_MODELS: `w0=127.0.0.1:${await freePort()}`,
    EVALSTACK_DB_PATH: join(dir, "unused.db"),
    EVALSTACK_API_KEYS: TEST_API_KEY,
  });
  const server = await startServer({ config, log: pino({ level: "silent" }), store: primary, executeRuns: false });
  const headers = { authorization: `Bearer ${TEST_API_KEY}` };
  const url = `${server.url}/v1/runs/${runId}/events`;
  try {
    const follower = readEvents(await fetch(url, { headers }));
    // The resumer reads a few items, drops the connection, and comes back with the last id it saw.
    const resumer = (async () => {
      const controller = new AbortController();
      const first = await readEvents(
        await fetch(url, { headers, signal: controller.signal }),
        (e) => e.event === "item_completed" && Number(e.id) >= 25,
      );
      controller.abort();
      const lastId = first.filter((e) => e.event === "item_completed").at(-1)!.id!;
      const rest = await readEvents(await fetch(url, { headers: { ...headers, "last-event-id": lastId } }));
      return [...first, ...rest];
    })();

    await Promise.all(
      writers.map(async (store, w) => {
        for (let i = 0; i < ITEMS; i++) expect(await store.insertItem(item(runId, MODELS[w]!, i))).not.toBeNull();
      }),
    );
    expect(await primary.finishRun(runId, "writers", "completed", null, new Date().toISOString())).toBe(true);

    const expected = MODELS.flatMap((m) => Array.from({ length: ITEMS }, (_, i) => `${m}/i${i}`)).sort();
    for (const [who, events] of [
      ["follower", await follower],
      ["resumer", await resumer],
    ] as const) {
      const items = events
        .filter((e) => e.event === "item_completed")
        .map((e) => JSON.parse(e.data) as { model: string; item_id: string; seq: number });
      expect(items.map((i) => `${i.model}/${i.item_id}`).sort(), who).toEqual(expected);
      // Ids are the per-run sequence: 1..120, each once, in order.
      expect(
        items.map((i) => i.seq),
        who,
      ).toEqual(Array.from({ length: WRITERS * ITEMS }, (_, i) => i + 1));
      expect(events.at(-1)!.event, who).toBe("run_completed");
    }
    const counts = await primary.counts(runId);
    expect(counts).toMatchObject({ done: 120, completed: 120, errors: 0, passed: 60 });
    expect(counts.by_model.w2).toEqual({ done: 30, completed: 30, errors: 0, passed: 15 });
  } finally {
    await server.close();
  }
}

describe("event stream: every item exactly once under concurrent writers", () => {
  it("PostgreSQL: 4 writers, a follower and a Last-Event-ID resume", async () => {
    const dbUrl = await postgres.createDatabase("events_pg");
    const primary = new PostgresStore(dbUrl);
    await primary.migrate();
    const admin = new pg.Client({ connectionString: dbUrl });
    await admin.connect();
    // Widen the window between drawing a sequence number and committing it.
    await admin.query(
      `CREATE FUNCTION linger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(random() * 0.01); RETURN NEW; END $$`,
    );
    await admin.query("CREATE TRIGGER linger AFTER INSERT ON run_items FOR EACH ROW EXECUTE FUNCTION linger()");
    await admin.end();
    const writers = Array.from({ length: WRITERS }, () => new PostgresStore(dbUrl, { max: 2 }));
    try {
      await scenario(primary, writers);
    } finally {
      for (const w of writers) await w.close();
    }
  });

  it("SQLite: the same semantics", async () => {
    const path = join(dir, "events.db");
    const primary = new SqliteStore(path);
    const writers = Array.from({ length: WRITERS }, () => new SqliteStore(path));
    try {
      await scenario(primary, writers);
    } finally {
      for (const w of writers) await w.close();
    }
  });
});
