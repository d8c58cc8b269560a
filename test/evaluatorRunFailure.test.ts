// A run execution that fails part-way: a store error injected into one item's insert (a wrapping store
// around a real SQLite store) must stop every worker of that execution at once, release the lease and resume
// the run exactly once, ending with every item stored exactly once; the pending-requests gauge (the sum of
// the deltas the evaluator exports) never reads below zero and is back at zero at the end. A transient store
// error while recording a dispatch is retried, not stored as an item error. The model services are
// instant-reply gRPC servers with a small delay (test/helpers): what is under test is the evaluator's own
// execution loop.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvaluatorMetrics } from "@evalstack/telemetry";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@evalstack/evaluator/config";
import { startServer } from "@evalstack/evaluator/server";
import { SqliteStore, type Store } from "@evalstack/evaluator/store";
import { startFakeModelServer } from "@evalstack/testing";
import { TEST_API_KEY } from "./helpers/evaluator.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-failure-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ITEMS = 30;
const MODELS = ["alpha", "beta"];

interface Timeline {
  events: { what: "dispatch" | "dispatch-failed" | "insert-failed" | "aborted" | "markRunning"; key?: string; modelCalls: number }[];
}

/** The real store, with one insert failing and one dispatch record failing, each once; everything logged. */
function faultyStore(store: Store, timeline: Timeline, modelCalls: () => number): Store {
  let insertFailed = false;
  let dispatchFailed = false;
  const log = (what: Timeline["events"][number]["what"], key?: string) => timeline.events.push({ what, key, modelCalls: modelCalls() });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "insertItem") {
        return async (item: Parameters<Store["insertItem"]>[0]) => {
          if (!insertFailed && item.item_id === "q7" && item.model === "alpha") {
            insertFailed = true;
            log("insert-failed", "q7/alpha");
            // One macrotask later the failure has propagated and the execution has aborted.
            setImmediate(() => log("aborted"));
            throw new Error("injected: disk I/O error");
          }
          return target.insertItem(item);
        };
      }
      if (prop === "recordDispatch") {
        return async (d: Parameters<Store["recordDispatch"]>[0]) => {
          if (!dispatchFailed && d.item_id === "q3" && d.model === "beta") {
            dispatchFailed = true;
            log("dispatch-failed", "q3/beta");
            throw new Error("injected: connection reset while recording a dispatch");
          }
          await target.recordDispatch(d);
          log("dispatch", `${d.item_id}/${d.model}`);
        };
      }
      if (prop === "markRunning") {
        return async (runId: string, owner: string) => {
          log("markRunning");
          return target.markRunning(runId, owner);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A metrics recorder: the pending gauge as Prometheus would read it (the running sum of the deltas). */
function gaugeRecorder() {
  const gauge = new Map<string, number>();
  let min = 0;
  const metrics: EvaluatorMetrics = {
    runStatus() {},
    itemCompleted() {},
    recordOperation() {},
    addPending(model: string, delta: number) {
      const value = (gauge.get(model) ?? 0) + delta;
      gauge.set(model, value);
      min = Math.min(min, value);
    },
  };
  return { metrics, gauge, min: () => min };
}

describe("a failed run execution", () => {
  it("stops all its workers, releases its lease, resumes once and completes every item exactly once; the gauge never < 0", async () => {
    const servers = await Promise.all(MODELS.map(() => startFakeModelServer({ slots: 3, firstTokenDelayMs: 15 })));
    const timeline: Timeline = { events: [] };
    const modelCalls = () => servers.reduce((n, s) => n + s.calls, 0);
    const store = faultyStore(new SqliteStore(join(dir, "failure.db")), timeline, modelCalls);
    await store.migrate();
    const recorder = gaugeRecorder();
    const config = loadConfig({
      EVALSTACK_HOST: "127.0.0.1",
      EVALSTACK_PORT: "0",
      EVALSTACK_MODELS: MODELS.map((m, i) => `${m}=${servers[i]!.target}`).join(","),
      EVALSTACK_DB_PATH: join(dir, "unused.db"),
      EVALSTACK_API_KEYS: TEST_API_KEY,
      EVALSTACK_LEASE_MS: "60000", // a lapsing lease cannot be what resumes the run: the release must
    });
    const server = await startServer({
      config,
      log: pino({ level: "silent" }),
      store,
      runOptions: { backoff: { baseMs: 5, maxMs: 20 }, metrics: recorder.metrics },
    });
    // Sample the gauge as a scraper would, all along.
    let sampledMin = 0;
    const sampler = setInterval(() => {
      for (const v of recorder.gauge.values()) sampledMin = Math.min(sampledMin, v);
    }, 1);
    try {
      const headers = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
      const items = Array.from({ length: ITEMS }, (_, i) => ({
        id: `q${i}`,
        dimension: "instruction_following",
        prompt: `Say ok ${i}`,
        checks: [{ type: "contains", value: "ok" }],
      }));
      expect(
        (
          await fetch(`${server.url}/v1/suites`, {
            method: "POST",
            headers,
            body: JSON.stringify({ id: "thirty", description: "x", items }),
          })
        ).status,
      ).toBe(201);
      const created = (await (
        await fetch(`${server.url}/v1/runs`, { method: "POST", headers, body: JSON.stringify({ suite: "thirty", models: MODELS }) })
      ).json()) as { id: string };
      let run = await server.store.getRun(created.id);
      for (let i = 0; i < 600 && !["completed", "partial", "failed", "cancelled"].includes(run!.status); i++) {
        await server.runs.events.nextFor(created.id, 100);
        run = await server.store.getRun(created.id);
      }
      expect(run!.status).toBe("completed");

      const events = timeline.events;
      const marks = events.filter((e) => e.what === "markRunning");
      expect(marks).toHaveLength(2); // the first execution and exactly one resume
      const aborted = events.findIndex((e) => e.what === "aborted");
      const resumed = events.lastIndexOf(marks[1]!);
      expect(aborted).toBeGreaterThan(0);
      expect(resumed).toBeGreaterThan(aborted);
      // Between the abort and the resume no worker of the failed execution dispatched anything more.
      expect(events.slice(aborted, resumed).filter((e) => e.what === "dispatch")).toEqual([]);
      // ... and the model services saw no new calls beyond the ones in flight when it failed (at most the slots).
      const inFlightAtFailure = events[resumed]!.modelCalls - events[aborted]!.modelCalls;
      expect(inFlightAtFailure).toBeLessThanOrEqual(6);

      // Every (item, model) stored exactly once, none an error (the failed dispatch record was retried).
      const stored = await server.store.listItems(created.id, {}, 1_000, 0);
      expect(stored.total).toBe(ITEMS * MODELS.length);
      expect(new Set(stored.items.map((i) => `${i.item_id}/${i.model}`)).size).toBe(ITEMS * MODELS.length);
      expect(stored.items.filter((i) => i.status !== "completed")).toEqual([]);
      expect(events.some((e) => e.what === "dispatch-failed")).toBe(true);
      expect(events.filter((e) => e.what === "dispatch" && e.key === "q3/beta")).toHaveLength(1);
      // No work done twice: dispatches = items + those lost in flight with the failed execution.
      const dispatches = events.filter((e) => e.what === "dispatch").length;
      expect(dispatches).toBeGreaterThanOrEqual(ITEMS * MODELS.length);
      expect(dispatches).toBeLessThanOrEqual(ITEMS * MODELS.length + 6);

      expect(recorder.min()).toBe(0);
      expect(sampledMin).toBe(0);
      for (const m of MODELS) {
        expect(recorder.gauge.get(m), m).toBe(0);
        expect(server.runs.pendingFor(m)).toBe(0);
      }
    } finally {
      clearInterval(sampler);
      await server.close();
      for (const s of servers) await s.close();
    }
  });
});
