// The evaluator end to end, as processes: the real evaluator (main.ts) against the real model services
// (qwen and phi3 slots, small profile, 2 slots and 1 thread each) with a real SQLite store. Runs complete
// with every reply stored once; a SIGKILLed evaluator resumes without resending stored items; a model that
// goes away mid-run is waited for within the retry budget, and past it its items fail with a reason.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "@evalstack/evaluator/store";
import { readEvents, startEvaluator, type EvaluatorProcess } from "./helpers/evaluator.js";
import { startTestModels, type TestModel } from "./helpers/modelServices.js";
import { stopAll, waitUntil } from "./helpers/processes.js";

interface ItemRow {
  seq: number;
  item_id: string;
  model: string;
  repeat: number;
  status: string;
  reply: string;
  passed: boolean | null;
  completion_tokens: number;
  ttft_ms: number;
  total_ms: number;
  tokens_per_second: number;
  attempts: number;
  error: string | null;
  checks: { type: string; passed: boolean }[];
  checks_total: number | null;
  completed_at: string;
}

interface RunView {
  id: string;
  status: string;
  total_items: number;
  progress: { done: number; by_model: Record<string, { done: number }> };
  summary: { model: string; dimension: string; score: number }[];
  model_snapshots: { name: string; model_name: string; sha256: string }[];
}

const TEN_ITEMS = [
  {
    id: "capital",
    dimension: "instruction_following",
    prompt: "What is the capital of France? Answer in one word.",
    checks: [{ type: "contains", value: "Paris", ignore_case: true }],
  },
  { id: "add", dimension: "math", prompt: "What is 2 + 3? Answer with the number only.", checks: [{ type: "numeric_answer", value: 5 }] },
  { id: "lower", dimension: "instruction_following", prompt: "Say hello in lowercase letters only.", checks: [{ type: "lowercase" }] },
  {
    id: "colors",
    dimension: "instruction_following",
    prompt: "Name three colors, separated by commas.",
    checks: [{ type: "contains_any", values: ["red", "blue", "green"], ignore_case: true }],
  },
  {
    id: "double",
    dimension: "math",
    prompt: "What is 7 times 2? Answer with the number only.",
    checks: [{ type: "numeric_answer", value: 14 }],
  },
  {
    id: "short",
    dimension: "instruction_following",
    prompt: "Describe the sea in at most ten words.",
    checks: [{ type: "word_count", max: 10 }],
  },
  { id: "english", dimension: "instruction_following", prompt: "Write one sentence about cats.", checks: [{ type: "english_only" }] },
  { id: "json", dimension: "structured", prompt: 'Reply with the JSON object {"a": 1} and nothing else.', checks: [{ type: "json" }] },
  {
    id: "minus",
    dimension: "math",
    prompt: "What is 10 - 4? Answer with the number only.",
    checks: [{ type: "numeric_answer", value: 6 }],
  },
  { id: "hi", dimension: "latency", prompt: "Say hi." },
];

let dir: string;
let models: { qwen: TestModel; phi3: TestModel; models: string; stop(): Promise<void> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-runs-"));
  models = await startTestModels();
});

afterAll(async () => {
  await stopAll();
  await models?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function evaluator(name: string, env: Record<string, string> = {}): Promise<EvaluatorProcess> {
  return startEvaluator({ models: models.models, dbPath: join(dir, `${name}.db`), instanceId: name, env });
}

async function startRun(ev: EvaluatorProcess, body: Record<string, unknown> = {}): Promise<RunView> {
  const suites = await ev.json<{ id: string }[]>("/v1/suites");
  if (!suites.some((s) => s.id === "ten"))
    await ev.json("/v1/suites", { body: { id: "ten", description: "ten quick items", items: TEN_ITEMS } });
  return ev.json<RunView>("/v1/runs", {
    body: { suite: "ten", models: ["qwen", "phi3"], max_tokens: 24, sampling: { temperature: 0 }, ...body },
  });
}

const finished = (status: string) => ["completed", "partial", "failed", "cancelled"].includes(status);

async function waitForEnd(ev: EvaluatorProcess, id: string, timeoutMs = 150_000): Promise<RunView> {
  return waitUntil(
    async () => {
      const run = await ev.json<RunView>(`/v1/runs/${id}`);
      return finished(run.status) ? run : null;
    },
    { timeoutMs, intervalMs: 250, what: `run ${id} to finish`, process: ev.process },
  );
}

describe("evaluator with real model services (SQLite)", () => {
  it("completes a run of 10 items on 2 models with 20 stored items, and an event stream sees every one", async () => {
    const ev = await evaluator("complete");
    const run = await startRun(ev);
    expect(run.total_items).toBe(20);

    const events = await readEvents(await ev.call(`/v1/runs/${run.id}/events`));
    const completedEvents = events.filter((e) => e.event === "item_completed");
    expect(new Set(completedEvents.map((e) => e.id)).size).toBe(20);
    expect(events.at(-1)!.event).toBe("run_completed");
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: "completed", done: 20, errors: 0 });
    expect(events.some((e) => e.event === "progress")).toBe(true);

    const items = await ev.json<ItemRow[]>(`/v1/runs/${run.id}/items`);
    expect(items).toHaveLength(20);
    expect(new Set(items.map((i) => `${i.item_id}|${i.model}|${i.repeat}`)).size).toBe(20);
    for (const item of items) {
      expect(item.status, JSON.stringify(item)).toBe("completed");
      expect(item.completion_tokens).toBeGreaterThan(0);
      expect(item.reply.length).toBeGreaterThan(0);
      expect(item.ttft_ms).toBeGreaterThan(0);
      expect(item.total_ms).toBeGreaterThanOrEqual(item.ttft_ms);
      expect(item.tokens_per_second).toBeGreaterThan(0);
      if (item.item_id === "hi")
        expect(item.passed).toBeNull(); // latency: scored from timings in the report
      else {
        expect(item.checks.length).toBe(item.checks_total);
        expect(item.checks_total).toBeGreaterThan(0);
        expect(typeof item.passed).toBe("boolean");
      }
    }
    // The event stream carried the same rows the store holds.
    expect(completedEvents.map((e) => Number(e.id)).sort((a, b) => a - b)).toEqual(items.map((i) => i.seq).sort((a, b) => a - b));

    const view = await ev.json<RunView>(`/v1/runs/${run.id}`);
    expect(view.status).toBe("completed");
    expect(new Set(view.summary.map((s) => s.model))).toEqual(new Set(["qwen", "phi3"]));
    expect(view.summary.map((s) => s.dimension)).toEqual(
      expect.arrayContaining(["instruction_following", "math", "structured", "latency"]),
    );
    // The snapshot names the model actually loaded, not the slot.
    for (const s of view.model_snapshots) {
      expect(s.model_name).not.toBe(s.name);
      expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    }

    const csv = await (await ev.call(`/v1/runs/${run.id}/items?format=csv`)).text();
    expect(csv.trimEnd().split("\r\n")[0]!.startsWith("seq,run_id,item_id,model,repeat,dimension,status,passed,score")).toBe(true);

    const modelRows = await ev.json<{ name: string; health: string; slots: number; model_name: string }[]>("/v1/models");
    expect(modelRows.map((m) => [m.name, m.health, m.slots])).toEqual([
      ["qwen", "SERVING", 2],
      ["phi3", "SERVING", 2],
    ]);

    const metrics = await (await fetch(`${ev.url}/metrics`)).text();
    expect(metrics).toMatch(/evalstack_pending_requests\{[^}]*model="qwen"[^}]*\} 0/);
    expect(metrics).toMatch(/evalstack_items_total\{[^}]*model="phi3"/);
    expect(metrics).toMatch(/gen_ai_client_operation_duration_bucket/);
    expect(metrics).toMatch(/gen_ai_client_token_usage_bucket/);
    expect(metrics).toMatch(/evalstack_runs_total\{[^}]*status="completed"[^}]*\} 1/);
    await ev.stop();
  });

  it("resumes after a SIGKILL with exactly 20 items, and sends no stored item to a model again", async () => {
    const before = (await models.qwen.requestCount()) + (await models.phi3.requestCount());
    const dbPath = join(dir, "sigkill.db");
    let ev = await startEvaluator({ models: models.models, dbPath, instanceId: "first" });
    const run = await startRun(ev, { max_tokens: 32 });
    await waitUntil(async () => (await ev.json<RunView>(`/v1/runs/${run.id}`)).progress.done >= 4, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: "4 stored items",
      process: ev.process,
    });
    await ev.kill();
    const killedAt = new Date().toISOString();

    // What the store held at the moment of the kill.
    const atKill = new SqliteStore(dbPath);
    const storedAtKill = (await atKill.listItems(run.id, {}, 100, 0)).items;
    await atKill.close();
    expect(storedAtKill.length).toBeGreaterThanOrEqual(4);
    expect(storedAtKill.length).toBeLessThan(20);

    ev = await startEvaluator({ models: models.models, dbPath, instanceId: "second" });
    const end = await waitForEnd(ev, run.id);
    expect(end.status).toBe("completed");
    const items = await ev.json<ItemRow[]>(`/v1/runs/${run.id}/items`);
    expect(items).toHaveLength(20);
    expect(new Set(items.map((i) => `${i.item_id}|${i.model}|${i.repeat}`)).size).toBe(20);
    await ev.stop();

    const store = new SqliteStore(dbPath);
    const dispatches = await store.listDispatches(run.id);
    await store.close();
    // The model services counted exactly the calls the evaluator recorded (every call is in the log)...
    const after = (await models.qwen.requestCount()) + (await models.phi3.requestCount());
    expect(after - before).toBe(dispatches.length);
    // ...and no item stored before the kill was sent again after it.
    const storedKeys = new Set(storedAtKill.map((i) => `${i.item_id}|${i.model}|${i.repeat}`));
    const resent = dispatches.filter((d) => d.sent_at > killedAt && storedKeys.has(`${d.item_id}|${d.model}|${d.repeat}`));
    expect(resent).toEqual([]);
    expect(dispatches.filter((d) => d.instance === "second").length).toBe(20 - storedAtKill.length);
    // Only items in flight at the kill (at most 2 slots x 2 models) were sent twice.
    expect(dispatches.length - 20).toBeLessThanOrEqual(4);
  });

  it("waits out a model killed mid-run and restarted within the budget: no item fails", async () => {
    const ev = await evaluator("restart-within", { EVALSTACK_RETRY_BUDGET_MS: "120000" });
    const run = await startRun(ev, { repeats: 3 });
    await waitUntil(async () => (await ev.json<RunView>(`/v1/runs/${run.id}`)).progress.by_model.phi3!.done >= 3, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: "3 phi3 items",
      process: ev.process,
    });
    await models.phi3.stop({ kill: true });
    const doneAtKill = (await ev.json<RunView>(`/v1/runs/${run.id}`)).progress.by_model.phi3!.done;
    expect(doneAtKill).toBeLessThan(30);
    await models.phi3.restart();
    const end = await waitForEnd(ev, run.id);
    expect(end.status).toBe("completed");
    const items = await ev.json<ItemRow[]>(`/v1/runs/${run.id}/items?limit=100`);
    expect(items).toHaveLength(60);
    expect(items.filter((i) => i.status !== "completed")).toEqual([]);
    // The outage was met: some phi3 item needed more than one attempt.
    expect(Math.max(...items.filter((i) => i.model === "phi3").map((i) => i.attempts))).toBeGreaterThan(1);
    await ev.stop();
  });

  it("fails a model's items with a reason when it stays down past the budget; the run ends partial", async () => {
    const ev = await evaluator("down-past-budget", { EVALSTACK_RETRY_BUDGET_MS: "4000" });
    const run = await startRun(ev, { repeats: 3 });
    await waitUntil(async () => (await ev.json<RunView>(`/v1/runs/${run.id}`)).progress.by_model.phi3!.done >= 2, {
      timeoutMs: 120_000,
      intervalMs: 50,
      what: "2 phi3 items",
      process: ev.process,
    });
    await models.phi3.stop();
    const end = await waitForEnd(ev, run.id, 120_000);
    expect(end.status).toBe("partial");
    const items = await ev.json<ItemRow[]>(`/v1/runs/${run.id}/items?limit=100`);
    expect(items).toHaveLength(60);
    expect(items.filter((i) => i.model === "qwen").every((i) => i.status === "completed")).toBe(true);
    const failed = items.filter((i) => i.status === "error");
    expect(failed.length).toBeGreaterThan(0);
    for (const item of failed) {
      expect(item.model).toBe("phi3");
      expect(item.error).toMatch(/UNAVAILABLE|CANCELLED/);
      expect(item.error).toMatch(/retry budget/);
    }
    const events = await readEvents(await ev.call(`/v1/runs/${run.id}/events`));
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: "partial", errors: failed.length });
    await ev.stop();
    await models.phi3.restart({ waitReady: false });
  });
});
