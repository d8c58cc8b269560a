// A real capacity search on the small models, one model at a time (alone on the machine, one llama.cpp
// thread, so the load generator has the other core), then the sizing for a target rate. Writes
// bench/results/capacity-<model>.json and prints the Markdown for bench/results/capacity.md.
//
//   npx tsx bench/capacitySmallModels.ts [--models qwen,phi3] [--slots 2] [--target-rps 2] [--gpu-hour-usd 2.5]
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sizeModel } from "@evalstack/capacity";
import { startLocalStack } from "@evalstack/local-stack";
import { capacityOptionsFromEnv, renderCapacityMarkdown, runCapacitySearch } from "@evalstack/loadtests/capacity-search";
import { exportSuitePrompts } from "../scripts/loadtest.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    models: { type: "string", default: "qwen,phi3" },
    "target-rps": { type: "string", default: "2" },
    "gpu-hour-usd": { type: "string", default: "2.5" },
    slots: { type: "string", default: "2" },
  },
});

const prompts = path.join(os.tmpdir(), "evalstack-capacity-seed-50.json");
await exportSuitePrompts(prompts);
const out: string[] = [
  `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average at start ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}.`,
  "",
];
for (const model of values.models.split(",")) {
  const stack = await startLocalStack({
    models: [model],
    freePorts: true,
    evaluator: false,
    modelEnv: { MODEL_THREADS: "1", MODEL_SLOTS: values.slots, LOG_LEVEL: "warn" },
  });
  try {
    const result = await runCapacitySearch(
      capacityOptionsFromEnv({
        TARGET: stack.models[0]!.target,
        PROMPTS_FILE: prompts,
        MAX_TOKENS: "32",
        TEMPERATURE: "0",
        SLO_TTFT_P95_MS: "3000",
        SLO_TPOT_P95_MS: "150",
        SLO_ERROR_RATE: "0.01",
        START_RATE: "0.25",
        WARMUP: "5s",
        STEP_DURATION: "30s",
        PRECISION: "0.1",
      }),
      (s) => console.error(`  ${model} ${s.rate} req/s: ${s.meetsSlo ? "meets the SLOs" : s.violations.join("; ")}`),
    );
    writeFileSync(path.join(here, "results", `capacity-${model}.json`), `${JSON.stringify(result, null, 2)}\n`);
    const sizing = sizeModel(result, 1, {
      targetRps: Number(values["target-rps"]),
      headroom: 0.2,
      gpuHourUsd: Number(values["gpu-hour-usd"]),
    });
    out.push(renderCapacityMarkdown(result));
    out.push(
      `Sizing for ${values["target-rps"]} req/s (20% headroom, 1 GPU per replica at $${values["gpu-hour-usd"]}/h): ${sizing.replicas ?? "—"} replicas, cost per million output tokens ${sizing.costPerMillionOutputTokensUsd === null ? "—" : `$${sizing.costPerMillionOutputTokensUsd}`}${sizing.note ? ` (${sizing.note})` : ""}.`,
      "",
    );
  } finally {
    await stack.stop();
  }
}
process.stdout.write(`${out.join("\n")}\n`);
