// Load test of a model's streamed generation: latency under concurrency, from the client's side, over either
// protocol (lib/generateClients.ts): our gRPC GenerateStream, or any OpenAI-compatible server's streamed chat
// completions (TTFT, TPOT and ITL from the SSE chunks' arrival times).
//
//   TARGET=localhost:50051 SCENARIO=sweep npx tsx loadtests/generate.ts
//   npx tsx loadtests/generate.ts --protocol openai      # with TARGET=http://127.0.0.1:8080/v1 (PROTOCOL=openai)
//
// Every setting is an environment variable (see README.md for the full list). Writes SUMMARY_JSON and
// SUMMARY_MD when set, prints the Markdown, and exits 99 when a threshold fails (as k6 does), 1 on a
// setup error, 0 otherwise.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { ConfigError, EnvReader, type Env } from "@evalstack/config";
import { PROTOCOLS, createGenerateClient, type GenerateClient, type Protocol } from "./lib/generateClients.js";

// The gRPC call on its own, for scripts that hold their own clients (capacity-search).
export { grpcGenerateOnce as generateOnce } from "./lib/generateClients.js";
import { runConstantArrivalRate, runConstantVus, type IterationContext, type StageRun } from "./lib/executors.js";
import { buildLlmSummary, renderLlmMarkdown, type LlmSummary, type RequestRecord, type Slo, type StageSpec } from "./lib/llmSummary.js";
import { describeMachine } from "./lib/machine.js";
import { round } from "./lib/stats.js";
import { FALLBACK_PROMPTS_FILE, loadPrompts, type Prompt } from "./lib/prompts.js";
import { parseStartAt, printSummaryLine, writeSummary } from "./lib/output.js";
import { mergeThresholds, parseThresholdsJson, type Thresholds } from "./lib/thresholds.js";

export const SCENARIOS = ["smoke", "sweep", "rate", "soak"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface GrpcGenerateOptions {
  protocol: Protocol;
  /** gRPC: host:port; OpenAI: the base URL (http://host:port/v1). */
  target: string;
  /** OpenAI: the `model` of requests (default: the first GET /models lists). */
  servedModel?: string;
  /** OpenAI: sent as Authorization: Bearer (OPENAI_API_KEY). */
  apiKey?: string;
  scenario: Scenario;
  stages: StageSpec[];
  gracefulStopMs: number;
  /** Soak: one table row per window of this length (0: one row for the whole stage). */
  windowMs: number;
  promptsFile: string;
  maxTokens: number;
  temperature?: number;
  requestTimeoutMs: number;
  /** Pause after each request before the VU's next one (k6's sleep()); 0: back to back. */
  thinkTimeMs: number;
  waitForServingMs: number;
  slo: Slo;
  thresholds: Thresholds;
  /** Epoch ms: wait until then after setup, so that the runners of a distributed test start together. */
  startAt?: number;
  summaryJson?: string;
  summaryMd?: string;
}

const disabled = (raw: string | undefined) => raw !== undefined && /^(off|none|false)$/i.test(raw.trim());

/** Default thresholds, each overridable by its variable ("off" drops it), then extended by THRESHOLDS. */
export function thresholdsFromEnv(env: Env): Thresholds {
  const read = new EnvReader(env);
  const thresholds: Thresholds = {};
  const add = (variable: string, metric: string, fallback: string | undefined, expression: (v: string) => string) => {
    const raw = env[variable];
    if (disabled(raw)) return;
    const value = raw === undefined || raw === "" ? fallback : raw;
    if (value === undefined) return;
    if (!Number.isFinite(Number(value))) throw new ConfigError(variable, `not a number: "${value}"`);
    (thresholds[metric] ??= []).push(expression(value));
  };
  add("THRESHOLD_ERROR_RATE", "llm_errors", "0.01", (v) => `rate<=${v}`);
  add("THRESHOLD_TTFT_P95_MS", "llm_ttft", "5000", (v) => `p(95)<${v}`);
  add("THRESHOLD_TPOT_P95_MS", "llm_tpot", "250", (v) => `p(95)<${v}`);
  add("THRESHOLD_E2E_P95_MS", "llm_e2e", undefined, (v) => `p(95)<${v}`);
  add("THRESHOLD_GOODPUT_MIN", "llm_goodput", undefined, (v) => `rate>=${v}`);
  add("THRESHOLD_MIN_REQUESTS", "llm_requests", "1", (v) => `count>=${v}`);
  return mergeThresholds(thresholds, parseThresholdsJson(read.optionalString("THRESHOLDS")));
}

export function stagesFromEnv(scenario: Scenario, env: Env): StageSpec[] {
  const read = new EnvReader(env);
  const closed = (name: string, vus: number, durationMs: number): StageSpec => ({
    name,
    executor: "constant-vus",
    concurrency: vus,
    durationMs,
    tags: { stage: name, concurrency: String(vus) },
  });
  switch (scenario) {
    case "smoke":
      return [closed("smoke", read.integer("SMOKE_VUS", 2, { min: 1 }), read.durationMs("SMOKE_DURATION", "15s"))];
    case "sweep": {
      const durationMs = read.durationMs("STAGE_DURATION", "30s");
      return read.integerList("SWEEP_VUS", [1, 2, 4, 8]).map((vus) => closed(`c${vus}`, vus, durationMs));
    }
    case "soak":
      return [closed("soak", read.integer("SOAK_VUS", 2, { min: 1 }), read.durationMs("SOAK_DURATION", "10m"))];
    case "rate": {
      const durationMs = read.durationMs("RATE_DURATION", "60s");
      const maxVUs = read.integer("MAX_VUS", 16, { min: 1 });
      const rates = read
        .string("RATES", "1")
        .split(",")
        .map((r) => Number(r.trim()));
      if (rates.some((r) => !(r > 0))) throw new ConfigError("RATES", `expected positive numbers, got "${env.RATES}"`);
      return rates.map((rate) => ({
        name: `r${rate}`,
        executor: "constant-arrival-rate",
        rate,
        maxVUs,
        durationMs,
        tags: { stage: `r${rate}`, rate: String(rate) },
      }));
    }
  }
}

export function optionsFromEnv(env: Env = process.env): GrpcGenerateOptions {
  const read = new EnvReader(env);
  const scenario = read.oneOf("SCENARIO", SCENARIOS, "sweep");
  const temperature = read.optionalNumber("TEMPERATURE");
  const protocol = read.oneOf("PROTOCOL", PROTOCOLS, "grpc");
  const servedModel = read.optionalString("OPENAI_MODEL");
  const apiKey = read.optionalString("OPENAI_API_KEY");
  return {
    protocol,
    target: read.string("TARGET", protocol === "grpc" ? "localhost:50051" : "http://localhost:8001/v1"),
    ...(servedModel ? { servedModel } : {}),
    ...(apiKey ? { apiKey } : {}),
    scenario,
    stages: stagesFromEnv(scenario, env),
    gracefulStopMs: read.durationMs("GRACEFUL_STOP", "30s"),
    windowMs: scenario === "soak" ? read.durationMs("SOAK_WINDOW", "1m") : 0,
    promptsFile: read.string("PROMPTS_FILE", FALLBACK_PROMPTS_FILE),
    maxTokens: read.integer("MAX_TOKENS", 64, { min: 1 }),
    ...(temperature === undefined ? {} : { temperature }),
    requestTimeoutMs: read.durationMs("REQUEST_TIMEOUT", "120s"),
    thinkTimeMs: read.durationMs("THINK_TIME", "0s"),
    waitForServingMs: read.durationMs("WAIT_FOR_SERVING", "60s"),
    slo: { ttftMs: read.number("SLO_TTFT_MS", 2000, { min: 0 }), tpotMs: read.number("SLO_TPOT_MS", 100, { min: 0 }) },
    thresholds: thresholdsFromEnv(env),
    ...(parseStartAt(read.optionalString("START_AT")) === undefined
      ? {}
      : { startAt: parseStartAt(read.optionalString("START_AT")) as number }),
    ...(read.optionalString("SUMMARY_JSON") ? { summaryJson: read.optionalString("SUMMARY_JSON") as string } : {}),
    ...(read.optionalString("SUMMARY_MD") ? { summaryMd: read.optionalString("SUMMARY_MD") as string } : {}),
  };
}

export async function runGrpcGenerate(options: GrpcGenerateOptions): Promise<LlmSummary> {
  const prompts = loadPrompts(options.promptsFile);
  const clients = new Map<number, GenerateClient>();
  // One connection per virtual user, as k6 does: a ClusterIP Service then spreads VUs over pods too.
  const clientFor = (vu: number) => {
    let client = clients.get(vu);
    if (!client) clients.set(vu, (client = createGenerateClient(options)));
    return client;
  };
  await clientFor(0).waitReady(options.waitForServingMs);
  const model = await clientFor(0).modelFacts();
  if (options.startAt !== undefined) await delay(Math.max(0, options.startAt - Date.now()));
  const records: RequestRecord[] = [];
  const stages: { spec: StageSpec; run: StageRun }[] = [];
  const origin = performance.now();
  const startedAt = new Date();
  let promptCounter = 0;
  try {
    for (const spec of options.stages) {
      const iteration = async (ctx: IterationContext) => {
        const prompt = prompts[promptCounter++ % prompts.length] as Prompt;
        const startMs = performance.now() - origin;
        const measured = await clientFor(ctx.vu).generateOnce(
          prompt,
          options,
          `lt-${spec.name}-${ctx.iteration}-${process.pid}`,
          ctx.signal,
        );
        if (ctx.signal.aborted) return; // interrupted by the stage's graceful stop: not a result
        records.push({
          stage: spec.name,
          tags: spec.tags,
          vu: ctx.vu,
          promptId: prompt.id,
          startMs: round(startMs),
          ...measured,
          itlMs: measured.itlMs.map((v) => round(v, 3)),
        });
        if (options.thinkTimeMs > 0 && spec.executor === "constant-vus") {
          await delay(options.thinkTimeMs, undefined, { signal: ctx.signal }).catch(() => undefined);
        }
      };
      const run =
        spec.executor === "constant-vus"
          ? await runConstantVus(
              { vus: spec.concurrency ?? 1, durationMs: spec.durationMs, gracefulStopMs: options.gracefulStopMs },
              iteration,
            )
          : await runConstantArrivalRate(
              { rate: spec.rate ?? 1, durationMs: spec.durationMs, maxVUs: spec.maxVUs ?? 16, gracefulStopMs: options.gracefulStopMs },
              iteration,
            );
      stages.push({ spec, run });
    }
  } finally {
    for (const client of clients.values()) client.close();
  }
  const rows = options.windowMs > 0 ? splitIntoWindows(stages, records, options.windowMs, origin) : stages;
  return buildLlmSummary({
    script: options.protocol === "grpc" ? "grpc-generate" : "openai-generate",
    target: options.protocol === "grpc" ? options.target : `openai+${options.target}`,
    scenario: options.scenario,
    startedAt,
    durationMs: performance.now() - origin,
    machine: describeMachine(),
    model,
    options: {
      protocol: options.protocol,
      maxTokens: options.maxTokens,
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.thinkTimeMs > 0 ? { thinkTimeMs: options.thinkTimeMs } : {}),
      prompts: `${path.basename(options.promptsFile)} (${prompts.length})`,
      stages: options.stages.map((s) => `${s.name}:${s.durationMs / 1000}s`).join(" "),
    },
    slo: options.slo,
    stages: rows,
    records,
    thresholds: options.thresholds,
  });
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);

/**
 * A soak's drift shows over time, not in one row: splits each stage into windows by request start time,
 * re-tagging the records (stage "soak-w3", window "3") so that thresholds can name a window too.
 */
export function splitIntoWindows(
  stages: { spec: StageSpec; run: StageRun }[],
  records: RequestRecord[],
  windowMs: number,
  origin: number,
): { spec: StageSpec; run: StageRun }[] {
  const out: { spec: StageSpec; run: StageRun }[] = [];
  for (const { spec, run } of stages) {
    const count = Math.max(1, Math.ceil(spec.durationMs / windowMs));
    const windows = Array.from({ length: count }, (_, k) => {
      const name = `${spec.name}-w${k + 1}`;
      const startedAt = run.startedAt + k * windowMs;
      return {
        spec: {
          ...spec,
          name,
          label: `${seconds(k * windowMs)}-${seconds(Math.min((k + 1) * windowMs, spec.durationMs))} s`,
          tags: { ...spec.tags, stage: name, window: String(k + 1) },
        },
        run: {
          ...run,
          startedAt,
          endedAt: k === count - 1 ? run.endedAt : startedAt + windowMs,
          iterations: 0,
          interrupted: k === count - 1 ? run.interrupted : 0,
          dropped: 0,
        },
      };
    });
    for (const record of records) {
      if (record.stage !== spec.name) continue;
      const k = Math.min(count - 1, Math.max(0, Math.floor((record.startMs - (run.startedAt - origin)) / windowMs)));
      const window = windows[k]!;
      record.stage = window.spec.name;
      record.tags = window.spec.tags;
      window.run.iterations++;
    }
    out.push(...windows);
  }
  return out;
}

/** `--protocol grpc|openai` (or `--protocol=...`) on the command line wins over PROTOCOL. */
export function protocolFlag(argv: string[]): { PROTOCOL?: string } {
  const [arg, value] = argv;
  if (arg === undefined) return {};
  if (arg === "--protocol") {
    if (value === undefined) throw new Error("--protocol: expected grpc or openai");
    return { PROTOCOL: value };
  }
  if (arg.startsWith("--protocol=")) return { PROTOCOL: arg.slice("--protocol=".length) };
  throw new Error(`unknown argument "${arg}" (settings are environment variables; the one flag is --protocol grpc|openai)`);
}

export async function main(): Promise<void> {
  let options: GrpcGenerateOptions;
  let summary: LlmSummary;
  try {
    options = optionsFromEnv({ ...process.env, ...protocolFlag(process.argv.slice(2)) });
    summary = await runGrpcGenerate(options);
  } catch (error) {
    console.error(`generate: ${(error as Error).message}`);
    process.exit(1);
  }
  const markdown = renderLlmMarkdown(summary);
  writeSummary(summary, markdown, options);
  process.stdout.write(markdown);
  if (new EnvReader().flag("SUMMARY_LINE", false)) printSummaryLine(summary);
  process.exit(summary.thresholdsOk ? 0 : 99);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
