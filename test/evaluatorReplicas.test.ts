// Two evaluator replicas sharing one PostgreSQL (a throwaway cluster) and the real model services: the
// replica that owns a run is SIGKILLed mid-run and the other takes the run over when the lease lapses,
// finishing it with every item stored once. An event stream opened on the other replica follows it all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "@evalstack/evaluator/store";
import { readEvents, startEvaluator, type EvaluatorProcess } from "./helpers/evaluator.js";
import { startTestModels, type TestModel } from "./helpers/modelServices.js";
import { startPostgres, type TestPostgres } from "./helpers/postgres.js";
import { stopAll, waitUntil } from "./helpers/processes.js";

interface RunView {
  id: string;
  status: string;
  owner: string | null;
  progress: { done: number };
}

const ITEMS = Array.from({ length: 10 }, (_, i) => ({
  id: `sum-${i}`,
  dimension: "math",
  prompt: `What is ${i} + ${i + 1}? Answer with the number only.`,
  checks: [{ type: "numeric_answer", value: 2 * i + 1 }],
}));

let postgres: TestPostgres;
let databaseUrl: string;
let models: { qwen: TestModel; phi3: TestModel; models: string; stop(): Promise<void> };

beforeAll(async () => {
  [postgres, models] = await Promise.all([startPostgres(), startTestModels()]);
  databaseUrl = await postgres.createDatabase("replicas");
});

afterAll(async () => {
  await stopAll();
  await models?.stop();
  await postgres?.stop();
});

describe("evaluator replicas on PostgreSQL", () => {
  it("lets the surviving replica finish a run whose owner was killed", async () => {
    const env = { EVALSTACK_LEASE_MS: "3000" };
    const replicas: Record<string, EvaluatorProcess> = {};
    for (const id of ["replica-a", "replica-b"])
      replicas[id] = await startEvaluator({ models: models.models, databaseUrl, instanceId: id, env });
    const a = replicas["replica-a"]!;
    const before = (await models.qwen.requestCount()) + (await models.phi3.requestCount());

    await a.json("/v1/suites", { body: { id: "sums", items: ITEMS } });
    const run = await a.json<RunView>("/v1/runs", {
      body: { suite: "sums", models: ["qwen", "phi3"], max_tokens: 32, sampling: { temperature: 0 } },
    });
    const owned = await waitUntil(
      async () => {
        const view = await a.json<RunView>(`/v1/runs/${run.id}`);
        return view.owner && view.progress.done >= 4 ? view : null;
      },
      { timeoutMs: 120_000, intervalMs: 50, what: "the run to be claimed and 4 items stored" },
    );
    const owner = replicas[owned.owner!]!;
    const survivor = Object.values(replicas).find((r) => r !== owner)!;

    // The survivor streams events of a run another replica executes (it follows the store).
    const eventsDone = survivor.call(`/v1/runs/${run.id}/events`).then((res) => readEvents(res));
    await owner.kill();

    const end = await waitUntil(
      async () => {
        const view = await survivor.json<RunView>(`/v1/runs/${run.id}`);
        return ["completed", "partial", "failed"].includes(view.status) ? view : null;
      },
      { timeoutMs: 150_000, intervalMs: 250, what: "the survivor to finish the run", process: survivor.process },
    );
    expect(end.status).toBe("completed");

    const items = await survivor.json<{ item_id: string; model: string; repeat: number; status: string }[]>(`/v1/runs/${run.id}/items`);
    expect(items).toHaveLength(20);
    expect(new Set(items.map((i) => `${i.item_id}|${i.model}|${i.repeat}`)).size).toBe(20);
    expect(items.every((i) => i.status === "completed")).toBe(true);

    const store = new PostgresStore(databaseUrl);
    const dispatches = await store.listDispatches(run.id);
    await store.close();
    const byInstance = new Set(dispatches.map((d) => d.instance));
    expect(byInstance).toEqual(new Set([owner.instanceId, survivor.instanceId]));
    const after = (await models.qwen.requestCount()) + (await models.phi3.requestCount());
    expect(after - before).toBe(dispatches.length);
    expect(dispatches.length - 20).toBeLessThanOrEqual(4);

    const events = await eventsDone;
    expect(new Set(events.filter((e) => e.event === "item_completed").map((e) => e.id)).size).toBe(20);
    expect(events.at(-1)).toMatchObject({ event: "run_completed" });
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: "completed", done: 20 });
    await survivor.stop();
  });
});
