// The capacity search finds the rate a replica's speed implies, on a real model service whose decode speed
// is pinned by a test-only option: with MODEL_TEST_TOKEN_DELAY_MS = d, a request holds its slot for
// (completion tokens x d), so `slots` slots serve slots / (tokens x d) requests per second at most, and
// below that rate nothing queues (arrivals are evenly spaced). The search must land within 15% of it.
// d is large (4 tokens x 800 ms = 3.2 s a request) so that the model's own work (a short prompt, 4 tokens),
// which a busy machine slows, stays well inside it.
import { startLocalStack, type LocalStack } from "@evalstack/local-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CapacityResult } from "@evalstack/capacity";
import { capacityOptionsFromEnv, runCapacitySearch } from "@evalstack/loadtests/capacity-search";
import { sizeModel } from "@evalstack/capacity";
import { startEvaluator } from "./helpers/evaluator.js";

const SLOTS = 2;
const TOKEN_DELAY_MS = 800;
const MAX_TOKENS = 4;

describe("capacity search on a real model service with a pinned decode speed", () => {
  let stack: LocalStack;
  let found: CapacityResult | undefined;
  beforeAll(async () => {
    stack = await startLocalStack({
      models: ["qwen"],
      freePorts: true,
      evaluator: false,
      modelEnv: { MODEL_THREADS: "1", MODEL_SLOTS: String(SLOTS), MODEL_TEST_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("finds the sustainable rate within 15% of slots / (tokens x delay), and sizes from it", { timeout: 600_000 }, async () => {
    const steps: string[] = [];
    const result: CapacityResult = await runCapacitySearch(
      capacityOptionsFromEnv({
        TARGET: stack.models[0]!.target,
        // Prompts that ask for more than MAX_TOKENS, so that every reply is cut at exactly MAX_TOKENS.
        INPUT_TOKENS: "20",
        MAX_TOKENS: String(MAX_TOKENS),
        TEMPERATURE: "0",
        // Lax latency SLOs: on a busy 2-core machine the prompt's evaluation alone can take a second, and
        // that must not decide the result. Past the limit the replica falls behind (fewer completions than
        // arrivals in the window) and its queue grows: that is what the search has to find.
        SLO_TTFT_P95_MS: "10000",
        SLO_TPOT_P95_MS: "2000",
        SLO_ERROR_RATE: "0.01",
        START_RATE: "0.25",
        WARMUP: "4s",
        STEP_DURATION: "20s",
        MIN_REQUESTS: "8",
        PRECISION: "0.08",
      }),
      (s) => steps.push(`${s.rate}: ${s.meetsSlo ? "ok" : s.violations.join("; ")}`),
    );
    const at = result.atSustainable!;
    expect(at, steps.join("\n")).not.toBeNull();
    expect(at.meanOutputTokens).toBe(MAX_TOKENS);
    const implied = SLOTS / ((MAX_TOKENS * TOKEN_DELAY_MS) / 1000); // 0.625 req/s
    const detail = `sustainable ${result.sustainableRps} req/s, implied ${implied.toFixed(3)}; steps:\n${steps.join("\n")}`;
    expect(Math.abs(result.sustainableRps - implied) / implied, detail).toBeLessThanOrEqual(0.15);
    // The rate above it failed for a reason the search names.
    const above = result.curve.find((s) => s.rate === result.firstFailingRps);
    expect(above?.violations.length, detail).toBeGreaterThan(0);
    // The model snapshot travels with the result, so it can be matched with a quality run.
    expect(result.model).toMatchObject({ service: "qwen", slots: SLOTS, threads: 1 });
    expect(result.model!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Sizing from the measured result matches the hand calculation on the same figures.
    const sizing = sizeModel(result, 1, { targetRps: 5, headroom: 0.2, gpuHourUsd: 2.5 });
    expect(sizing.replicas).toBe(Math.ceil(5 / (result.sustainableRps * 0.8) - 1e-9));
    expect(sizing.costPerHourUsd).toBeCloseTo(sizing.replicas! * 2.5, 6);
    console.log(detail);
    found = result;
  });

  it("a run's report shows the capacity attached to it, and a result from another configuration is refused", {
    timeout: 300_000,
  }, async () => {
    expect(found, "the search above ran").toBeDefined();
    const result = found!;
    const evaluator = await startEvaluator({ models: `qwen=${stack.models[0]!.target}` });
    try {
      const run = await evaluator.json<{ id: string }>("/v1/runs", {
        method: "POST",
        body: { suite: "smoke-6", models: ["qwen"], max_tokens: MAX_TOKENS },
      });
      // Attached while the run may still be running: the snapshot exists once the run has reached the model.
      for (;;) {
        const state = await evaluator.json<{ status: string; model_snapshots: unknown[] }>(`/v1/runs/${run.id}`);
        if (state.model_snapshots.length > 0 && ["completed", "partial"].includes(state.status)) break;
        expect(["queued", "running"]).toContain(state.status);
        await evaluator.call(`/v1/runs/${run.id}/events`).then((r) => r.text());
      }
      const post = (body: unknown, id = run.id) =>
        evaluator.call(`/v1/runs/${id}/capacity`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });

      // Hostile first: another model's weights, other slots, a model not in the run, an unknown run, no result.
      const refused = [
        [await post({ capacity: { ...result, model: { ...result.model, sha256: "0".repeat(64) } } }), 422, "capacity.model.sha256"],
        [await post({ capacity: { ...result, model: { ...result.model, slots: SLOTS + 2 } } }), 422, "capacity.model.slots"],
        [await post({ capacity: result, model: "phi3" }), 422, "model"],
        [await post({ capacity: { ...result, schema: "evalstack.loadtest.llm/v1" } }), 422, "capacity.schema"],
        [await post({ capacity: result, sizing: { target_rps: 0 } }), 422, "sizing.target_rps"],
        [await post({ capacity: result }, "no-such-run"), 404, undefined],
      ] as const;
      for (const [res, code, path] of refused) {
        expect(res.status).toBe(code);
        expect(res.headers.get("content-type")).toMatch(/problem\+json/);
        const problem = (await res.json()) as { detail: string; errors?: { path: string }[] };
        if (path)
          expect(
            problem.errors?.map((e) => e.path),
            problem.detail,
          ).toContain(path);
      }
      expect(await evaluator.json(`/v1/runs/${run.id}/capacity`)).toEqual([]);

      const attached = await post({ capacity: result, sizing: { target_rps: 5, headroom: 0.2, gpus_per_replica: 1, gpu_hour_usd: 2.5 } });
      expect(attached.status, await attached.clone().text()).toBe(200);
      const replicas = Math.ceil(5 / (result.sustainableRps * 0.8) - 1e-9);
      const report = await evaluator.json<{
        capacity: { model: string; sustainable_rps: number; sizing: { replicas: number; gpus: number } }[];
        recommendations: { scenario: string; recommendation: string }[];
      }>(`/v1/runs/${run.id}/report?format=json`);
      expect(report.capacity).toHaveLength(1);
      expect(report.capacity[0]).toMatchObject({
        model: "qwen",
        sustainable_rps: result.sustainableRps,
        sizing: { replicas, gpus: replicas },
      });
      const serving = report.recommendations.find((r) => r.scenario === "Serving 5 req/s");
      expect(serving?.recommendation).toBe(
        `qwen: ${replicas} GPU${replicas === 1 ? "" : "s"} for 5 req/s at TTFT p95 ≤ 10000 ms, TPOT p95 ≤ 2000 ms`,
      );
      const markdown = await (await evaluator.call(`/v1/runs/${run.id}/report?format=md`)).text();
      expect(markdown).toContain("## Capacity");
      expect(markdown).toContain(`| Sustainable rate per replica | ${result.sustainableRps} req/s |`);
      expect(markdown).toContain(`| Replicas for 5 req/s (20% headroom) | ${replicas} |`);
      const html = await (await evaluator.call(`/v1/runs/${run.id}/report?format=html`)).text();
      expect(html).toContain('<table id="capacity">');
    } finally {
      await evaluator.stop();
    }
  });
});
