// A rolling restart loses nothing: two replicas of one model service (real small model, one slot each)
// behind one target (grpc-js's `ipv4:` address list, balanced round-robin, as a headless Service's pods are),
// a run of 40 items with requests queued at both, and one replica SIGTERMed mid-run. Its queued requests are
// answered UNAVAILABLE at once and retried on the other replica, its generating one drains: 0 items end as
// errors, none is stored twice.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startModelService, type ModelServiceProcess } from "@evalstack/local-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEvaluator, type EvaluatorProcess } from "./helpers/evaluator.js";
import { stopAll, waitUntil } from "./helpers/processes.js";

const REPLICA_ENV = { MODEL_SLOTS: "1", MODEL_THREADS: "1", MODEL_CONTEXT_SIZE: "2048", LOG_LEVEL: "warn", SHUTDOWN_GRACE_MS: "120000" };
const ITEMS = Array.from({ length: 40 }, (_, i) => ({
  id: `item-${String(i).padStart(2, "0")}`,
  dimension: "instruction_following",
  prompt: `Say the number ${i} in words.`,
  checks: [{ type: "word_count", max: 200 }],
}));

interface ItemRow {
  item_id: string;
  model: string;
  repeat: number;
  status: string;
  attempts: number;
  error: string | null;
}

let dir = "";
let replicas: ModelServiceProcess[] = [];
let ev: EvaluatorProcess;

async function queueDepth(replica: ModelServiceProcess): Promise<number> {
  const text = await (await fetch(replica.metricsUrl)).text();
  return Number(/^evalstack_server_queue_depth\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-replicas-"));
  replicas = await Promise.all([0, 1].map(() => startModelService({ service: "qwen", env: REPLICA_ENV, parentDeathSignal: "SIGKILL" })));
  const target = `ipv4:${replicas.map((r) => `127.0.0.1:${r.grpcPort}`).join(",")}`;
  ev = await startEvaluator({ models: `qwen=${target}`, dbPath: join(dir, "replicas.db") });
}, 300_000);

afterAll(async () => {
  await stopAll();
  await Promise.all(replicas.map((r) => r.process.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("two replicas behind one target, one SIGTERMed mid-run", () => {
  it("40 items: 0 errors, none stored twice, the refused ones retried on the other replica", async () => {
    await ev.json("/v1/suites", { body: { id: "forty", description: "forty short items", items: ITEMS } });
    // Six calls in flight for two one-slot replicas: each has one generating and two queued.
    const run = await ev.json<{ id: string; total_items: number }>("/v1/runs", {
      body: { suite: "forty", models: ["qwen"], max_tokens: 12, sampling: { temperature: 0 }, concurrency: 6 },
    });
    expect(run.total_items).toBe(40);

    const [victim, survivor] = replicas as [ModelServiceProcess, ModelServiceProcess];
    // Mid-run, with requests waiting in the victim's queue.
    await waitUntil(
      async () => {
        const view = await ev.json<{ progress: { done: number } }>(`/v1/runs/${run.id}`);
        return view.progress.done >= 4 && (await queueDepth(victim)) > 0;
      },
      { timeoutMs: 300_000, intervalMs: 100, what: "the run under way with requests queued at the first replica", process: ev.process },
    );
    const doneAtSignal = (await ev.json<{ progress: { done: number } }>(`/v1/runs/${run.id}`)).progress.done;
    victim.process.signal("SIGTERM");
    expect(await victim.process.exited).toEqual({ code: 0, signal: null });

    const final = await waitUntil(
      async () => {
        const view = await ev.json<{ status: string; progress: { done: number; errors?: number } }>(`/v1/runs/${run.id}`);
        return ["completed", "partial", "failed", "cancelled"].includes(view.status) ? view : null;
      },
      { timeoutMs: 600_000, intervalMs: 500, what: "the run to finish on the surviving replica", process: ev.process },
    );
    expect(final.status).toBe("completed");
    expect(doneAtSignal).toBeLessThan(40);

    const items = await ev.json<ItemRow[]>(`/v1/runs/${run.id}/items`);
    expect(items).toHaveLength(40);
    expect(new Set(items.map((i) => `${i.item_id}|${i.model}|${i.repeat}`)).size).toBe(40);
    expect(items.filter((i) => i.status !== "completed").map((i) => `${i.item_id}: ${i.error}`)).toEqual([]);
    // The queued requests the victim refused came back as retries, not as errors.
    expect(items.some((i) => i.attempts > 1)).toBe(true);
    // The survivor is still serving and took the rest.
    expect(survivor.process.running).toBe(true);
  });
});
