// The evaluator's store contract, run against both backends: SQLite (a temp file) and PostgreSQL (a throwaway
// cluster started by test/helpers/postgres.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PostgresStore, SqliteStore, StoreConflictError, type Store } from "@evalstack/evaluator/store";
import type { ModelSnapshot, RunItemResult } from "@evalstack/evaluator/runs/types";
import type { SuiteItem } from "@evalstack/evaluator/suites";
import { startPostgres, type TestPostgres } from "./helpers/postgres.js";
import { waitUntil } from "./helpers/processes.js";

const items: SuiteItem[] = [
  { id: "a", dimension: "math", messages: [{ role: "user", content: "1+1?" }], checks: [{ type: "numeric_answer", value: 2 }] },
  {
    id: "b",
    dimension: "instruction_following",
    messages: [{ role: "user", content: "Say hi" }],
    checks: [{ type: "contains", value: "hi" }],
  },
];

function result(
  runId: string,
  itemId: string,
  model: string,
  repeat: number,
  passed: boolean | null,
  status: "completed" | "error" = "completed",
): RunItemResult {
  return {
    run_id: runId,
    item_id: itemId,
    model,
    repeat,
    dimension: itemId === "a" ? "math" : "instruction_following",
    status,
    reply: status === "error" ? "" : `reply to ${itemId}`,
    finish_reason: status === "error" ? "error" : "stop",
    prompt_tokens: 12,
    completion_tokens: 3,
    timings: { queue_ms: 0.5, ttft_ms: 10.25, decode_ms: 20, total_ms: 30.5, tokens_per_second: 100 },
    score: passed === null ? null : { passed, score: passed ? 1 : 0, checks: [{ type: "contains", passed, detail: "x" }] },
    error: status === "error" ? "UNAVAILABLE: down" : null,
    attempts: 1,
    completed_at: new Date().toISOString(),
  };
}

const snapshot = (name: string, slots: number): ModelSnapshot => ({
  name,
  target: "localhost:1",
  model_name: `${name}-model`,
  architecture: "llama",
  quantization: "Q4_K_M",
  parameter_count: 1000,
  file_size_bytes: 2000,
  sha256: "ab".repeat(32),
  context_size: 4096,
  slots,
  load_ms: 12.5,
  peak_ram_bytes: 1,
  vram_bytes: 0,
  gpu: "none",
});

let postgres: TestPostgres | undefined;
let sqliteDir: string;
let dbCounter = 0;

beforeAll(async () => {
  sqliteDir = mkdtempSync(join(tmpdir(), "evalstack-store-"));
  postgres = await startPostgres();
});

afterAll(async () => {
  await postgres?.stop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const backends: { name: string; open: () => Promise<Store> }[] = [
  { name: "sqlite", open: async () => new SqliteStore(join(sqliteDir, `store-${++dbCounter}.db`)) },
  { name: "postgres", open: async () => new PostgresStore(await postgres!.createDatabase(`store_${++dbCounter}`)) },
];

describe.each(backends)("store contract: $name", ({ open }) => {
  let store: Store;
  const newRun = (id: string, createdAt = new Date().toISOString()) =>
    store.createRun({
      id,
      suite_id: "smoke",
      models: ["qwen", "phi3"],
      repeats: 2,
      sampling: { temperature: 0, seed: 7 },
      max_tokens: 16,
      concurrency: { qwen: 2 },
      items,
      created_at: createdAt,
    });

  beforeEach(async () => {
    store = await open();
    await store.migrate();
    return async () => {
      await store.close();
    };
  });

  it("migrates idempotently and answers ping", async () => {
    await store.migrate();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("stores suites and refuses a duplicate id", async () => {
    await store.createSuite({ id: "mine", description: "two items", items, builtin: false }, "2025-01-02T03:04:05.000Z");
    await expect(
      store.createSuite({ id: "mine", description: "again", items, builtin: false }, "2025-01-02T03:04:05.000Z"),
    ).rejects.toBeInstanceOf(StoreConflictError);
    const suite = await store.getSuite("mine");
    expect(suite).toMatchObject({ id: "mine", description: "two items", items, created_at: "2025-01-02T03:04:05.000Z" });
    expect(await store.getSuite("nope")).toBeNull();
    expect(await store.listSuites()).toEqual([
      { id: "mine", description: "two items", item_count: 2, created_at: "2025-01-02T03:04:05.000Z" },
    ]);
  });

  it("creates, reads and lists runs with status filter and pagination", async () => {
    const run = await newRun("r1", "2025-01-01T00:00:00.000Z");
    expect(run).toMatchObject({
      id: "r1",
      status: "queued",
      total_items: 8,
      repeats: 2,
      max_tokens: 16,
      items,
      model_snapshots: [],
      owner: null,
    });
    expect(run.created_at).toBe("2025-01-01T00:00:00.000Z");
    await newRun("r2", "2025-01-02T00:00:00.000Z");
    await newRun("r3", "2025-01-03T00:00:00.000Z");
    expect(await store.cancelRun("r2", "2025-01-04T00:00:00.000Z")).toMatchObject({
      status: "cancelled",
      completed_at: "2025-01-04T00:00:00.000Z",
    });
    const all = await store.listRuns({ limit: 2, offset: 0 });
    expect(all.total).toBe(3);
    expect(all.runs.map((r) => r.id)).toEqual(["r3", "r2"]);
    expect((await store.listRuns({ limit: 2, offset: 2 })).runs.map((r) => r.id)).toEqual(["r1"]);
    const queued = await store.listRuns({ status: ["queued"], limit: 10, offset: 0 });
    expect(queued.runs.map((r) => r.id)).toEqual(["r3", "r1"]);
    expect(queued.total).toBe(2);
    expect(await store.getRun("missing")).toBeNull();
    const header = await store.getRunHeader("r1");
    expect(header).toMatchObject({ id: "r1", status: "queued", total_items: 8 });
    expect(header).not.toHaveProperty("items");
    expect(await store.getRunHeader("missing")).toBeNull();
  });

  it("stores each (run, item, model, repeat) once and filters items", async () => {
    await newRun("r1");
    const first = await store.insertItem(result("r1", "a", "qwen", 0, true));
    expect(first?.seq).toBeGreaterThan(0);
    expect(await store.insertItem({ ...result("r1", "a", "qwen", 0, false), reply: "second" })).toBeNull();
    await store.insertItem(result("r1", "b", "qwen", 0, false));
    await store.insertItem(result("r1", "a", "phi3", 0, null, "error"));
    await store.insertItem(result("r1", "a", "qwen", 1, true));

    const keys = await store.storedKeys("r1");
    expect([...keys].sort()).toEqual(["a|phi3|0", "a|qwen|0", "a|qwen|1", "b|qwen|0"]);

    const all = await store.listItems("r1", {}, 100, 0);
    expect(all.total).toBe(4);
    expect(all.items[0]).toMatchObject({ item_id: "a", model: "qwen", repeat: 0, reply: "reply to a", score: { passed: true, score: 1 } });
    expect(all.items[0]!.timings).toEqual({ queue_ms: 0.5, ttft_ms: 10.25, decode_ms: 20, total_ms: 30.5, tokens_per_second: 100 });
    expect(all.items.map((i) => i.seq)).toEqual([...all.items.map((i) => i.seq)].sort((x, y) => x - y));

    expect((await store.listItems("r1", { model: "qwen" }, 100, 0)).total).toBe(3);
    expect((await store.listItems("r1", { dimension: "instruction_following" }, 100, 0)).items.map((i) => i.item_id)).toEqual(["b"]);
    expect((await store.listItems("r1", { passed: true }, 100, 0)).total).toBe(2);
    expect((await store.listItems("r1", { passed: false }, 100, 0)).total).toBe(1);
    const errors = await store.listItems("r1", { status: "error" }, 100, 0);
    expect(errors.items).toMatchObject([{ model: "phi3", error: "UNAVAILABLE: down", score: null }]);
    const page = await store.listItems("r1", {}, 2, 1);
    expect(page.items.map((i) => i.seq)).toEqual(all.items.slice(1, 3).map((i) => i.seq));
    expect((await store.listItems("r1", { after_seq: all.items[1]!.seq }, 100, 0)).items.map((i) => i.seq)).toEqual(
      all.items.slice(2).map((i) => i.seq),
    );

    const counts = await store.counts("r1");
    expect(counts).toMatchObject({ done: 4, completed: 3, errors: 1, passed: 2 });
    expect(counts.by_model).toEqual({
      qwen: { done: 3, completed: 3, errors: 0, passed: 2 },
      phi3: { done: 1, completed: 0, errors: 1, passed: 0 },
    });
    await newRun("r2");
    const many = await store.countsFor(["r1", "r2"]);
    expect(many.get("r2")).toMatchObject({ done: 0, by_model: { qwen: { done: 0 }, phi3: { done: 0 } } });
  });

  it("keeps the first model snapshot per model", async () => {
    await newRun("r1");
    await store.setModelSnapshot("r1", snapshot("qwen", 2));
    await store.setModelSnapshot("r1", snapshot("qwen", 9));
    await store.setModelSnapshot("r1", snapshot("phi3", 4));
    const run = await store.getRun("r1");
    expect(run!.model_snapshots.map((s) => [s.name, s.slots])).toEqual([
      ["qwen", 2],
      ["phi3", 4],
    ]);
  });

  it("hands a run to one replica at a time and to another when the lease expires", async () => {
    await newRun("r1", "2025-01-01T00:00:00.000Z");
    await newRun("r2", "2025-01-02T00:00:00.000Z");
    expect(await store.claimRuns("A", 60_000, 1)).toEqual(["r1"]);
    expect(await store.claimRuns("B", 60_000, 5)).toEqual(["r2"]);
    expect(await store.claimRuns("B", 60_000, 5)).toEqual([]);
    expect(await store.markRunning("r1", "B")).toBe(false);
    expect(await store.markRunning("r1", "A")).toBe(true);
    expect((await store.getRun("r1"))!).toMatchObject({ status: "running", owner: "A" });
    expect((await store.getRun("r1"))!.started_at).not.toBeNull();

    // A's lease on r1 becomes short; once it lapses B takes r1 over, and A can no longer renew or finish it.
    expect(await store.renewLeases("A", ["r1", "r2"], 300)).toEqual(["r1"]);
    const claimed = await waitUntil(
      async () => {
        const ids = await store.claimRuns("B", 60_000, 5);
        return ids.length ? ids : null;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: "r1's lease to lapse" },
    );
    expect(claimed).toEqual(["r1"]);
    expect(await store.renewLeases("A", ["r1"], 60_000)).toEqual([]);
    expect(await store.finishRun("r1", "A", "completed", null, new Date().toISOString())).toBe(false);
    expect(await store.finishRun("r1", "B", "partial", "1 item failed", "2025-02-01T00:00:00.000Z")).toBe(true);
    expect(await store.finishRun("r1", "B", "completed", null, new Date().toISOString())).toBe(false);
    expect((await store.getRun("r1"))!).toMatchObject({
      status: "partial",
      error: "1 item failed",
      owner: null,
      completed_at: "2025-02-01T00:00:00.000Z",
    });

    await store.releaseLeases("B", ["r2"]);
    expect(await store.claimRuns("A", 60_000, 5)).toEqual(["r2"]);
    expect(await store.cancelRun("r2", new Date().toISOString())).toMatchObject({ status: "cancelled", owner: null });
    expect(await store.renewLeases("A", ["r2"], 60_000)).toEqual([]);
    expect(await store.claimRuns("A", 60_000, 5)).toEqual([]);
  });

  it("clears every lease at once (a store one process owns, after a crash)", async () => {
    await newRun("r1");
    await newRun("r2");
    expect((await store.claimRuns("dead", 60_000, 5)).sort()).toEqual(["r1", "r2"]);
    expect(await store.claimRuns("new", 60_000, 5)).toEqual([]);
    expect(await store.clearLeases()).toBe(2);
    expect((await store.claimRuns("new", 60_000, 5)).sort()).toEqual(["r1", "r2"]);
  });

  it("records dispatches in order", async () => {
    await newRun("r1");
    await store.recordDispatch({
      run_id: "r1",
      item_id: "a",
      model: "qwen",
      repeat: 0,
      attempt: 1,
      instance: "A",
      sent_at: "2025-01-01T00:00:00.000Z",
    });
    await store.recordDispatch({
      run_id: "r1",
      item_id: "a",
      model: "qwen",
      repeat: 0,
      attempt: 2,
      instance: "A",
      sent_at: "2025-01-01T00:00:01.000Z",
    });
    expect(await store.listDispatches("r1")).toEqual([
      { run_id: "r1", item_id: "a", model: "qwen", repeat: 0, attempt: 1, instance: "A", sent_at: "2025-01-01T00:00:00.000Z" },
      { run_id: "r1", item_id: "a", model: "qwen", repeat: 0, attempt: 2, instance: "A", sent_at: "2025-01-01T00:00:01.000Z" },
    ]);
  });
});
