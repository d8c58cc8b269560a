// The capacity search finds the rate a replica's speed implies, on a real model service whose decode speed
// is pinned by a test-only option: with MODEL_TEST_TOKEN_DELAY_MS = d, a request holds its slot for
// (completion tokens x d), so `slots` slots serve slots / (tokens x d) requests per second at most, and
// below that rate nothing queues (arrivals are evenly spaced). The search must land within 15% of it.
// d is large (8 tokens x 400 ms = 3.2 s a request) so that the model's own speed, which a busy machine
// slows, stays well inside it.
import { startLocalStack, type LocalStack } from "@evalstack/local-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CapacityResult } from "@evalstack/capacity";
import { capacityOptionsFromEnv, runCapacitySearch } from "../loadtests/capacity-search.js";
import { sizeModel } from "@evalstack/capacity";

const SLOTS = 2;
const TOKEN_DELAY_MS = 400;
const MAX_TOKENS = 8;

describe("capacity search on a real model service with a pinned decode speed", () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({
      models: ["qwen"],
      ports: { qwen: 0, qwenMetrics: 0 },
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
        INPUT_TOKENS: "40",
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
        STEP_DURATION: "16s",
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
  });
});
