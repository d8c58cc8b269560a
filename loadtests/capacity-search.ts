// Capacity search against one model service replica: the highest request rate it sustains within the SLOs.
//
//   TARGET=localhost:50051 npx tsx loadtests/capacity-search.ts --slo-ttft-p95-ms 1000 --slo-tpot-p95-ms 100
//
// Every setting is an environment variable, and each can also be given as a flag: `--slo-ttft-p95-ms 1000`
// is SLO_TTFT_P95_MS=1000 (flags win). The method is in loadtests/README.md ("Capacity"); the search itself
// in @evalstack/capacity (packages/capacity). Writes CAPACITY_JSON (default loadtests/results/capacity-<model>-<time>.json),
// prints the curve, exits 0 (also when no rate met the SLOs: that is a result), 1 on a setup error.
import { setMaxListeners } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Metadata } from "@grpc/grpc-js";
import { createInferenceClient, waitForServing, type InferenceClient, type ModelInfo } from "@evalstack/contract";
import { generateOnce } from "./grpc-generate.js";
import {
  searchCapacity,
  validateSearchOptions,
  validateSlo,
  type CapacityResult,
  type CapacitySearchOptions,
  type CapacitySlo,
  type CapacitySnapshotKey,
  type CapacityStep,
  type StepRequest,
  type StepRun,
} from "@evalstack/capacity";
import { ConfigError, EnvReader, type Env } from "@evalstack/config";
import { runConstantArrivalRate } from "./lib/executors.js";
import { describeMachine } from "./lib/machine.js";
import { markdownTable, ms, num, pct } from "./lib/markdown.js";
import { FALLBACK_PROMPTS_FILE, loadPrompts, type Prompt } from "./lib/prompts.js";
import { round } from "./lib/stats.js";

/** Marks the one-line JSON result a runner prints to its log (SUMMARY_LINE=true; Kubernetes Jobs). */
export const CAPACITY_LINE_PREFIX = "EVALSTACK_CAPACITY_RESULT ";

export interface CapacitySearchScriptOptions {
  target: string;
  promptsFile: string;
  /** Caps every prompt's reply; with INPUT_TOKENS set, every request asks for exactly this many. */
  maxTokens: number;
  /** Synthetic workload instead of a suite's prompts: prompts of about this many tokens. */
  inputTokens?: number;
  temperature?: number;
  slo: CapacitySlo;
  search: CapacitySearchOptions;
  warmupMs: number;
  maxVUs: number;
  requestTimeoutMs: number;
  waitForServingMs: number;
  outFile?: string;
}

/** `--slo-ttft-p95-ms 1000` → {SLO_TTFT_P95_MS: "1000"}; `--flag=value` too. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument "${arg}" (flags look like --slo-ttft-p95-ms 1000)`);
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${flag}: needs a value`);
    out[flag.toUpperCase().replace(/-/g, "_")] = value;
  }
  return out;
}

export function capacityOptionsFromEnv(env: Env): CapacitySearchScriptOptions {
  const read = new EnvReader(env);
  const numberOr = (name: string, fallback: number) => {
    const raw = read.optionalString(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new ConfigError(name, `not a number: "${raw}" (--${name.toLowerCase().replace(/_/g, "-")})`);
    return value;
  };
  const slo: CapacitySlo = {
    ttftP95Ms: numberOr("SLO_TTFT_P95_MS", 2000),
    tpotP95Ms: numberOr("SLO_TPOT_P95_MS", 100),
    errorRate: numberOr("SLO_ERROR_RATE", 0.01),
  };
  validateSlo(slo);
  const startRate = numberOr("START_RATE", 0.25);
  const search: CapacitySearchOptions = {
    startRate,
    // Three halvings: below that a failing model fails on its idle latency, which lower rates do not change.
    minRate: numberOr("MIN_RATE", startRate / 8),
    maxRate: numberOr("MAX_RATE", 64),
    precision: numberOr("PRECISION", 0.1),
    maxSteps: numberOr("MAX_STEPS", 12),
    windowMs: read.durationMs("STEP_DURATION", "20s"),
    minRequests: numberOr("MIN_REQUESTS", 10),
  };
  validateSearchOptions(search);
  const inputTokens = read.optionalInteger("INPUT_TOKENS", { min: 1 });
  const temperature = read.optionalNumber("TEMPERATURE");
  const outFile = read.optionalString("CAPACITY_JSON");
  return {
    target: read.string("TARGET", "localhost:50051"),
    promptsFile: read.string("PROMPTS_FILE", FALLBACK_PROMPTS_FILE),
    maxTokens: read.integer("MAX_TOKENS", 64, { min: 1 }),
    ...(inputTokens === undefined ? {} : { inputTokens }),
    ...(temperature === undefined ? {} : { temperature }),
    slo,
    search,
    warmupMs: read.durationMs("WARMUP", "5s"),
    maxVUs: read.integer("MAX_VUS", 256, { min: 1 }),
    requestTimeoutMs: read.durationMs("REQUEST_TIMEOUT", "120s"),
    waitForServingMs: read.durationMs("WAIT_FOR_SERVING", "60s"),
    ...(outFile ? { outFile } : {}),
  };
}

/** A prompt of about `tokens` tokens (one common English word is about one token for these tokenizers). */
export function syntheticPrompt(tokens: number, index: number): Prompt {
  const words = Array.from(
    { length: Math.max(1, tokens - 12) },
    (_, i) => ["alpha", "river", "stone", "cloud", "green", "seven"][(i + index) % 6],
  );
  return {
    id: `synthetic-${tokens}-${index}`,
    messages: [{ role: "user", content: `Repeat these words, then keep writing: ${words.join(" ")}` }],
  };
}

function getModelInfo(client: InferenceClient): Promise<ModelInfo | null> {
  return new Promise((resolve) => {
    client.getModelInfo({}, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (error, info) =>
      resolve(error || !info ? null : info),
    );
  });
}

export function snapshotKey(info: ModelInfo | null): CapacitySnapshotKey | null {
  if (!info) return null;
  return {
    name: info.name,
    service: info.service,
    sha256: info.sha256,
    slots: info.slots,
    threads: info.threads,
    gpu: info.gpu,
    gpuLayers: info.gpuLayers,
  };
}

/** One open-loop step at `rate`: warm-up, then the measurement window; requests cut off at the end are kept as such. */
async function runStep(
  options: CapacitySearchScriptOptions,
  prompts: Prompt[],
  clientFor: (vu: number) => InferenceClient,
  rate: number,
  windowMs: number,
): Promise<StepRun> {
  const requests: StepRequest[] = [];
  const origin = performance.now();
  let counter = 0;
  let droppedInWindow = 0;
  const windowEnd = options.warmupMs + windowMs;
  // Iterations still running this long after the window are cut off (counted as failures if they started in it).
  const gracefulStopMs = Math.min(options.requestTimeoutMs, Math.max(2 * options.slo.ttftP95Ms, 10_000));
  await runConstantArrivalRate(
    { rate, durationMs: windowEnd, maxVUs: options.maxVUs, gracefulStopMs },
    async (ctx) => {
      // Every request in flight listens on the step's one abort signal.
      setMaxListeners(options.maxVUs + 1, ctx.signal);
      const prompt = prompts[counter++ % prompts.length] as Prompt;
      const startMs = performance.now() - origin;
      const record: StepRequest = { startMs, ok: false, ttftMs: null, tpotMs: null, outputTokens: 0, status: "CUT_OFF" };
      requests.push(record);
      const maxTokens = Math.min(options.maxTokens, prompt.maxTokens ?? options.maxTokens);
      const measured = await generateOnce(
        clientFor(ctx.vu),
        prompt,
        { ...options, maxTokens },
        `cap-${rate}-${ctx.iteration}-${process.pid}`,
        ctx.signal,
      );
      if (ctx.signal.aborted) return;
      Object.assign(record, {
        endMs: performance.now() - origin,
        ok: measured.ok,
        ttftMs: measured.ttftMs,
        tpotMs: measured.tpotMs,
        outputTokens: measured.outputTokens,
        status: measured.status,
      });
    },
    (dropAtMs) => {
      if (dropAtMs >= options.warmupMs && dropAtMs < windowEnd) droppedInWindow++;
    },
  );
  return { rate, warmupMs: options.warmupMs, windowMs, requests, droppedInWindow };
}

export async function runCapacitySearch(
  options: CapacitySearchScriptOptions,
  onStep: (step: CapacityStep) => void = () => {},
): Promise<CapacityResult> {
  const prompts = options.inputTokens
    ? Array.from({ length: 16 }, (_, i) => syntheticPrompt(options.inputTokens as number, i))
    : loadPrompts(options.promptsFile);
  await waitForServing(options.target, options.waitForServingMs);
  const clients = new Map<number, InferenceClient>();
  const clientFor = (vu: number) => {
    let client = clients.get(vu);
    if (!client) clients.set(vu, (client = createInferenceClient(options.target)));
    return client;
  };
  const info = await getModelInfo(clientFor(0));
  const startedAt = new Date();
  const began = performance.now();
  try {
    const curve = await searchCapacity(
      (rate, windowMs) => runStep(options, prompts, clientFor, rate, windowMs),
      options.slo,
      options.search,
      onStep,
    );
    return {
      schema: "evalstack.capacity/v1",
      target: options.target,
      model: snapshotKey(info),
      slo: options.slo,
      search: { ...options.search, warmupMs: options.warmupMs, maxVUs: options.maxVUs },
      workload: {
        prompts: options.inputTokens ? `synthetic, ~${options.inputTokens} tokens` : path.basename(options.promptsFile),
        count: prompts.length,
        maxTokens: options.maxTokens,
        ...(options.inputTokens ? { inputTokens: options.inputTokens } : {}),
      },
      machine: describeMachine() as unknown as Record<string, unknown>,
      startedAt: startedAt.toISOString(),
      durationMs: round(performance.now() - began),
      ...curve,
    };
  } finally {
    for (const client of clients.values()) client.close();
  }
}

export function renderCapacityMarkdown(result: CapacityResult): string {
  const header = ["rate (req/s)", "offered", "ok", "errors", "TTFT p95", "TPOT p95", "done/s", "out tok/s", "goodput", "meets SLOs"];
  const rows = result.curve.map((s) => [
    num(s.rate),
    String(s.offered),
    String(s.completed),
    String(s.failed + s.dropped + s.cutOff),
    s.ttftP95Ms === null ? "-" : ms(s.ttftP95Ms),
    s.tpotP95Ms === null ? "-" : ms(s.tpotP95Ms),
    num(s.throughputRps),
    num(s.outputTokensPerSecond),
    pct(s.goodput),
    s.meetsSlo ? "yes" : `no: ${s.violations.join("; ")}`,
  ]);
  const model = result.model
    ? `${result.model.name} (${result.model.service}, ${result.model.slots} slots, ${result.model.threads} threads)`
    : result.target;
  const verdict =
    result.sustainableRps > 0
      ? `**${num(result.sustainableRps)} req/s** sustained within the SLOs${result.firstFailingRps ? ` (${num(result.firstFailingRps)} req/s did not)` : ""}${result.limitedByMaxRate ? " — the search stopped at --max-rate, the limit lies above" : ""}`
      : `**no rate** met the SLOs: ${result.noRateReason}`;
  return [
    `## Capacity of ${model}`,
    "",
    `SLOs: TTFT p95 ≤ ${result.slo.ttftP95Ms} ms, TPOT p95 ≤ ${result.slo.tpotP95Ms} ms, errors ≤ ${pct(result.slo.errorRate)}. ` +
      `Steps: ${result.search.warmupMs / 1000} s warm-up + ${result.search.windowMs / 1000} s measured. Workload: ${result.workload.prompts}, max ${result.workload.maxTokens} tokens.`,
    "",
    verdict,
    "",
    markdownTable(header, rows),
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  let options: CapacitySearchScriptOptions;
  try {
    options = capacityOptionsFromEnv({ ...process.env, ...flagsToEnv(process.argv.slice(2)) });
  } catch (error) {
    console.error(`capacity-search: ${(error as Error).message}`);
    process.exit(1);
  }
  let result: CapacityResult;
  try {
    result = await runCapacitySearch(options, (s) =>
      console.error(
        `  ${num(s.rate)} req/s: ${s.meetsSlo ? "meets the SLOs" : s.violations.join("; ")} (TTFT p95 ${s.ttftP95Ms ?? "-"} ms, ${s.completed} ok)`,
      ),
    );
  } catch (error) {
    console.error(`capacity-search: ${(error as Error).message}`);
    process.exit(1);
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file =
    options.outFile ??
    path.join(here, "results", `capacity-${result.model?.service ?? "model"}-${result.startedAt.replace(/[:.]/g, "-")}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(renderCapacityMarkdown(result));
  if (/^(1|true|yes)$/i.test(process.env.SUMMARY_LINE ?? "")) process.stdout.write(`\n${CAPACITY_LINE_PREFIX}${JSON.stringify(result)}\n`);
  console.error(`capacity-search: wrote ${file}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
