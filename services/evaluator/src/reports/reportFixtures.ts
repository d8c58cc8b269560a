// A deterministic synthetic run (two models, every dimension, repeats, an error) for report tests and the
// benchmark. Replies are scored by the real checks; only the model outputs are synthetic.

import { scoreReplySync } from "../scoring/scoreReply.js";
import type { ModelSnapshot, RunItemResult } from "../runs/types.js";
import type { SuiteItem } from "../suites/types.js";
import type { WireTimings } from "../models/wireTimings.js";
import { builtinSuite } from "../suites/builtinSuites.js";
import type { ReportInput } from "./reportTypes.js";

/** xorshift32: a seeded generator so the fixture is the same on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

export const FIXTURE_MODELS: ModelSnapshot[] = [
  {
    name: "qwen",
    target: "localhost:50051",
    model_name: "SmolLM2-135M-Instruct",
    architecture: "llama",
    quantization: "Q4_1",
    parameter_count: 134_515_008,
    file_size_bytes: 96_000_000,
    sha256: "5d4c0a8e6f1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef01234567",
    context_size: 8192,
    slots: 2,
    load_ms: 420,
    peak_ram_bytes: 310_000_000,
    vram_bytes: 0,
    gpu: "",
  },
  {
    name: "phi3",
    target: "localhost:50052",
    model_name: "gemma-3-270m-it",
    architecture: "gemma3",
    quantization: "Q4_K_M",
    parameter_count: 268_098_176,
    file_size_bytes: 253_000_000,
    sha256: "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
    context_size: 4096,
    slots: 2,
    load_ms: 910,
    peak_ram_bytes: 540_000_000,
    vram_bytes: 0,
    gpu: "",
  },
];

/**
 * A run of seed-50 on two models with `repeats` repeats. Each (model, item, repeat) reply is the item's passing
 * or failing fixture reply, chosen at random with a per-model pass probability; one reply is an error.
 */
export function syntheticRun(fixtures: Record<string, { pass: unknown; fail: unknown }>, repeats = 2, seed = 7): ReportInput {
  const suite = builtinSuite("seed-50");
  if (!suite) throw new Error("seed-50 missing");
  const random = rng(seed);
  const passProbability: Record<string, number> = { qwen: 0.7, phi3: 0.4 };
  const items: RunItemResult[] = [];
  const codeOutcome = (item: SuiteItem, good: boolean) => ({
    passed: good,
    score: good ? 1 : 0,
    checks: item.checks.map((c) => ({ type: c.type, passed: good, detail: good ? "tests passed" : "exit 1: AssertionError" })),
  });
  for (const model of ["qwen", "phi3"]) {
    for (const item of suite.items) {
      for (let repeat = 0; repeat < repeats; repeat++) {
        const good = random() < (passProbability[model] as number);
        const fx = fixtures[item.id];
        if (!fx) throw new Error(`no fixture for ${item.id}`);
        const latencyFast = model === "qwen" ? random() < 0.8 : random() < 0.3;
        const timings: WireTimings =
          item.dimension === "latency"
            ? {
                ...(latencyFast ? (fx.pass as WireTimings) : (fx.fail as WireTimings)),
                ttft_ms: Math.round((latencyFast ? 90 : 400) + random() * 150),
              }
            : {
                queue_ms: 1,
                ttft_ms: Math.round(80 + random() * 300),
                decode_ms: 600,
                total_ms: Math.round(700 + random() * 900),
                tokens_per_second: 20 + random() * 40,
              };
        const reply = item.dimension === "latency" ? "Hello!" : ((good ? fx.pass : fx.fail) as string);
        const isError = model === "phi3" && item.id === "struct-02-json-person" && repeat === 0;
        items.push({
          run_id: "run-fixture",
          item_id: item.id,
          model,
          repeat,
          dimension: item.dimension,
          status: isError ? "error" : "completed",
          reply: isError ? "" : reply,
          finish_reason: isError ? "ERROR" : "STOP",
          prompt_tokens: 40,
          completion_tokens: isError ? 0 : 32,
          timings,
          score:
            isError || item.dimension === "latency"
              ? null
              : item.dimension === "code"
                ? codeOutcome(item, good)
                : scoreReplySync(item, reply),
          error: isError ? "UNAVAILABLE: model service restarted (3 attempts)" : null,
          attempts: isError ? 3 : 1,
          completed_at: "2026-01-01T00:05:00.000Z",
        });
      }
    }
  }
  return {
    run: {
      id: "run-fixture",
      suite_id: "seed-50",
      status: "completed",
      models: ["qwen", "phi3"],
      repeats,
      created_at: "2026-01-01T00:00:00.000Z",
      completed_at: "2026-01-01T00:09:30.000Z",
    },
    models: FIXTURE_MODELS,
    items,
  };
}
