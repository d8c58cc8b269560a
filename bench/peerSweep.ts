// The same load-test sweep against our qwen-slot model service (gRPC) and against llama.cpp's llama-server
// (OpenAI API) on the same GGUF, with the same threads, slots and context per slot, one after the other on
// this machine, printed side by side. Ratios (llama-server / ours) are taken within this one run.
//
//   npx tsx bench/peerSweep.ts [--vus 1,2,4] [--stage-duration 20s] [--max-tokens 32] [--threads 1] [--slots 2]
//
// Needs the cached llama-server (bash scripts/ci/install-llama-server.sh) and the small models (npm run models).
import os from "node:os";
import { parseArgs } from "node:util";
import { startLlamaServer, startModelService } from "@evalstack/local-stack";
import { defaultModelCacheDir, loadCatalog, profileSource } from "@evalstack/model-catalog";

/** The cached small-profile GGUF of a catalog model (what `npm run models` fetched). */
const smallModelPath = (name: string) => profileSource(loadCatalog().profile(name, "small"), defaultModelCacheDir()).source;
import { optionsFromEnv, runGrpcGenerate } from "@evalstack/loadtests/generate";
import type { LlmSummary, StageRow } from "@evalstack/loadtests/lib/llmSummary";

const { values } = parseArgs({
  options: {
    vus: { type: "string", default: "1,2,4" },
    "stage-duration": { type: "string", default: "20s" },
    "max-tokens": { type: "string", default: "32" },
    threads: { type: "string", default: "1" },
    slots: { type: "string", default: "2" },
    context: { type: "string", default: "2048" },
  },
});
const sweepEnv = {
  SCENARIO: "sweep",
  SWEEP_VUS: values.vus,
  STAGE_DURATION: values["stage-duration"],
  MAX_TOKENS: values["max-tokens"],
  TEMPERATURE: "0",
  THRESHOLD_TTFT_P95_MS: "off",
  THRESHOLD_TPOT_P95_MS: "off",
};
const threads = Number(values.threads);
const slots = Number(values.slots);
const context = Number(values.context);

async function sweepOurs(): Promise<LlmSummary> {
  const service = await startModelService({
    service: "qwen",
    env: { MODEL_THREADS: String(threads), MODEL_SLOTS: String(slots), MODEL_CONTEXT_SIZE: String(context), LOG_LEVEL: "warn" },
    parentDeathSignal: "SIGKILL",
  });
  try {
    return await runGrpcGenerate(optionsFromEnv({ ...sweepEnv, PROTOCOL: "grpc", TARGET: service.target }));
  } finally {
    await service.process.stop();
  }
}

async function sweepLlamaServer(): Promise<LlmSummary> {
  const server = await startLlamaServer({
    model: smallModelPath("qwen"),
    alias: "smollm2-135m",
    threads,
    slots,
    contextPerSlot: context,
    parentDeathSignal: "SIGKILL",
  });
  try {
    return await runGrpcGenerate(optionsFromEnv({ ...sweepEnv, PROTOCOL: "openai", TARGET: server.baseUrl }));
  } finally {
    await server.stop();
  }
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");
const loadBefore = load();
const ours = await sweepOurs();
const loadBetween = load();
const peer = await sweepLlamaServer();
const loadAfter = load();

const f = (x: number | null, digits = 0) => (x === null ? "n/a" : x.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? "n/a" : (a / b).toFixed(2));
const rows = ours.stages.map((o: StageRow, i: number) => {
  const p = peer.stages[i]!;
  return `| ${o.concurrency} | ${o.requests} / ${p.requests} | ${f(o.outputTokensPerS, 1)} / ${f(p.outputTokensPerS, 1)} (${ratio(p.outputTokensPerS, o.outputTokensPerS)}) | ${f(o.ttftP50)} / ${f(p.ttftP50)} (${ratio(p.ttftP50, o.ttftP50)}) | ${f(o.ttftP95)} / ${f(p.ttftP95)} | ${f(o.tpotP50, 1)} / ${f(p.tpotP50, 1)} (${ratio(p.tpotP50, o.tpotP50)}) | ${f(o.itlP95, 1)} / ${f(p.itlP95, 1)} | ${f(o.e2eP95)} / ${f(p.e2eP95)} | ${(o.errorRate * 100).toFixed(0)}% / ${(p.errorRate * 100).toFixed(0)}% |`;
});
console.log(
  [
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, shared with other work: load average (1/5/15 min) ${loadBefore} before, ${loadBetween} between, ${loadAfter} after.`,
    `Same GGUF (${smallModelPath("qwen").split("/").pop()}), ${threads} thread(s), ${slots} slots, ${context} tokens of context per slot, temperature 0, max_tokens ${values["max-tokens"]}, ${values["stage-duration"]} per level, the same prompts in the same order.`,
    `Each cell: ours (gRPC) / llama-server (OpenAI); in parentheses llama-server ÷ ours.`,
    "",
    "| VUs | requests | output tokens/s | TTFT p50 ms | TTFT p95 ms | TPOT p50 ms | ITL p95 ms | e2e p95 ms | errors |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Errors by status: ours ${JSON.stringify(ours.metrics.llm_errors.byStatus)}, llama-server ${JSON.stringify(peer.metrics.llm_errors.byStatus)}${peer.requests
      .filter((r) => !r.ok)
      .map((r) => ` (${r.status}: ${r.error ?? ""})`)
      .join("")}`,
  ].join("\n"),
);
process.exit(0);
