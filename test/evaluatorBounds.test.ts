// Event-stream bounds: 200 clients on one run get 429 problem+json with Retry-After past the per-run cap,
// clients on a second run past the evaluator-wide cap, and /healthz, polled all the while, answers within
// 200 ms; closed streams give their slots back. The evaluator is a real process (the clients' own work is
// not on its event loop); the model service is an instant-reply gRPC server that holds each reply for a
// minute (test/helpers), so the runs stay running while the clients pile up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEvaluator, TEST_API_KEY } from "./helpers/evaluator.js";
import { startFakeModelServer } from "@evalstack/testing";
import { stopAll, waitUntil } from "./helpers/processes.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-bounds-"));
});
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("event-stream bounds", () => {
  it("200 clients on one run: the cap's worth stream, the rest get 429 with Retry-After; /healthz answers within 200 ms while they are open", async () => {
    const model = await startFakeModelServer({ slots: 1, firstTokenDelayMs: 60_000 });
    const server = await startEvaluator({
      models: `slow=${model.target}`,
      dbPath: join(dir, "bounds.db"),
      env: { EVALSTACK_MAX_EVENT_STREAMS_PER_RUN: "20", EVALSTACK_MAX_EVENT_STREAMS: "30" },
    });
    const auth = { authorization: `Bearer ${TEST_API_KEY}` };
    const json = { ...auth, "content-type": "application/json" };
    const controllers: AbortController[] = [];
    try {
      const items = [{ id: "q", dimension: "instruction_following", prompt: "hi", checks: [{ type: "contains", value: "ok" }] }];
      expect(
        (
          await fetch(`${server.url}/v1/suites`, {
            method: "POST",
            headers: json,
            body: JSON.stringify({ id: "one", description: "x", items }),
          })
        ).status,
      ).toBe(201);
      const newRun = async () =>
        (
          (await (
            await fetch(`${server.url}/v1/runs`, {
              method: "POST",
              headers: json,
              body: JSON.stringify({ suite: "one", models: ["slow"] }),
            })
          ).json()) as { id: string }
        ).id;
      const [runA, runB] = [await newRun(), await newRun()];

      const open = (runId: string) => {
        const controller = new AbortController();
        controllers.push(controller);
        return fetch(`${server.url}/v1/runs/${runId}/events`, { headers: auth, signal: controller.signal });
      };

      const onA = await Promise.all(Array.from({ length: 200 }, () => open(runA)));
      const okA = onA.filter((r) => r.status === 200);
      const refusedA = onA.filter((r) => r.status === 429);
      expect([okA.length, refusedA.length]).toEqual([20, 180]);
      for (const r of okA) expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
      for (const r of refusedA.slice(0, 5)) {
        expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
        const body = (await r.json()) as { status: number; detail: string };
        expect(body.status).toBe(429);
        expect(body.detail).toMatch(/EVALSTACK_MAX_EVENT_STREAMS_PER_RUN=20/);
      }

      // The evaluator-wide cap: 10 more fit on another run, then 429 naming the total.
      const onB = await Promise.all(Array.from({ length: 15 }, () => open(runB)));
      expect(onB.filter((r) => r.status === 200)).toHaveLength(10);
      const refusedB = onB.filter((r) => r.status === 429);
      expect(refusedB).toHaveLength(5);
      expect(((await refusedB[0]!.json()) as { detail: string }).detail).toMatch(/EVALSTACK_MAX_EVENT_STREAMS=30/);

      // The streams that were let in work: the first event of one of them is the run's progress.
      const reader = okA[0]!.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/event: progress/);
      expect((await fetch(`${server.url}/v1/runs/${runA}`, { headers: auth })).status).toBe(200);

      // With the capped streams open and following their runs, the evaluator answers /healthz at once
      // (the burst of 215 connections itself is a transient the machine's load decides).
      const healthLatencies: number[] = [];
      for (const until = Date.now() + 2_000; Date.now() < until; ) {
        const started = performance.now();
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        healthLatencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(healthLatencies.length).toBeGreaterThan(0);
      console.log(
        `/healthz: ${healthLatencies.length} polls, p50 ${Math.round(healthLatencies.sort((a, b) => a - b)[Math.floor(healthLatencies.length / 2)]!)} ms, max ${Math.round(Math.max(...healthLatencies))} ms`,
      );
      expect(Math.max(...healthLatencies)).toBeLessThan(200);

      // Closing the streams frees their slots.
      for (const c of controllers) c.abort();
      await waitUntil(
        async () => {
          const res = await fetch(`${server.url}/v1/runs/${runA}/events`, { headers: auth, signal: AbortSignal.timeout(5_000) });
          const ok = res.status === 200;
          await res.body?.cancel();
          return ok;
        },
        { timeoutMs: 10_000, intervalMs: 50, what: "a freed event-stream slot" },
      );
    } finally {
      for (const c of controllers) c.abort();
      await server.stop();
      await model.close();
    }
  });
});
