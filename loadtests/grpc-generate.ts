// Load test of a model service's GenerateStream: latency under concurrency, from the client's side.
//
//   TARGET=localhost:50051 SCENARIO=sweep npx tsx loadtests/grpc-generate.ts
//
// Every setting is an environment variable (see README.md for the full list). Writes SUMMARY_JSON and
// SUMMARY_MD when set, prints the Markdown, and exits 99 when a threshold fails (as k6 does), 1 on a
// setup error, 0 otherwise.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Metadata, status as grpcStatus } from "@grpc/grpc-js";
import {
  createInferenceClient,
  fullRequest,
  finishReasonName,
  FinishReason,
  waitForServing,
  isServiceError,
  type GenerateChunk,
  type InferenceClient,
  type ModelInfo,
} from "@evalstack/contract";
import { ConfigError, EnvReader, type Env } from "@evalstack/config";
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
  target: string;
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
  return {
    target: read.string("TARGET", "localhost:50051"),
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
    ...(parseStartAt(read.optionalString("START_AT")) === undefined ? {} : { startAt: parseStartAt(read.optionalString("START_AT")) as number }),
    ...(read.optionalString("SUMMARY_JSON") ? { summaryJson: read.optionalString("SUMMARY_JSON") as string } : {}),
    ...(read.optionalString("SUMMARY_MD") ? { summaryMd: read.optionalString("SUMMARY_MD") as string } : {}),
  };
}

type Measured = Omit<RequestRecord, "stage" | "tags" | "vu" | "promptId" | "startMs">;

const statusName = (code: number) => (grpcStatus as unknown as Record<number, string>)[code] ?? `CODE_${code}`;

/** One GenerateStream call, timed on the client's clock. Never rejects: failures become records. */
export function generateOnce(
  client: InferenceClient,
  prompt: Prompt,
  options: Pick<GrpcGenerateOptions, "maxTokens" | "temperature" | "requestTimeoutMs">,
  requestId: string,
  signal: AbortSignal,
): Promise<Measured> {
  return new Promise((resolve) => {
    let ttftMs: number | null = null;
    let lastTextAt: number | null = null;
    const itlMs: number[] = [];
    let chunks = 0;
    let chunkTokens = 0;
    let final: GenerateChunk | undefined;
    let settled = false;
    const started = performance.now();
    const call = client.generateStream(
      fullRequest({
        requestId,
        messages: prompt.messages,
        maxTokens: options.maxTokens,
        ...(options.temperature === undefined ? {} : { sampling: { temperature: options.temperature } }),
      }),
      new Metadata(),
      { deadline: new Date(Date.now() + options.requestTimeoutMs) },
    );
    const onAbort = () => call.cancel();
    signal.addEventListener("abort", onAbort, { once: true });
    const finish = (record: Measured) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      resolve(record);
    };
    call.on("data", (chunk: GenerateChunk) => {
      const now = performance.now();
      chunks++;
      chunkTokens += chunk.tokens ?? 0;
      if (chunk.delta.length > 0) {
        if (ttftMs === null) ttftMs = now - started;
        else if (lastTextAt !== null) itlMs.push(now - lastTextAt);
        lastTextAt = now;
      }
      if (chunk.finishReason !== FinishReason.UNSPECIFIED) final = chunk;
    });
    call.on("error", (error: unknown) => {
      const e2eMs = performance.now() - started;
      const code = isServiceError(error) ? error.code : grpcStatus.UNKNOWN;
      finish({
        ok: false,
        status: statusName(code),
        finishReason: final ? finishReasonName(final.finishReason) : "none",
        ttftMs,
        e2eMs,
        tpotMs: null,
        itlMs,
        outputTokens: final?.usage?.completionTokens ?? 0,
        promptTokens: final?.usage?.promptTokens ?? 0,
        chunks,
        server: null,
        error: isServiceError(error) ? error.details : String(error),
      });
    });
    call.on("end", () => {
      const e2eMs = performance.now() - started;
      const reason = final?.finishReason ?? FinishReason.UNSPECIFIED;
      const failed = reason === FinishReason.ERROR || reason === FinishReason.CANCELLED || !final;
      const outputTokens = final?.usage?.completionTokens ?? chunkTokens;
      // A reply with no text: its "first token" is the end of the stream.
      const ttft = ttftMs ?? e2eMs;
      const timings = final?.timings;
      finish({
        ok: !failed,
        status: failed ? (final ? `FINISH_${finishReasonName(reason).toUpperCase()}` : "NO_FINAL_CHUNK") : "OK",
        finishReason: finishReasonName(reason),
        ttftMs: ttft,
        e2eMs,
        tpotMs: outputTokens > 1 ? (e2eMs - ttft) / (outputTokens - 1) : null,
        itlMs,
        outputTokens,
        promptTokens: final?.usage?.promptTokens ?? 0,
        chunks,
        server: timings
          ? {
              queueMs: timings.queueMs,
              ttftMs: timings.ttftMs,
              decodeMs: timings.decodeMs,
              totalMs: timings.totalMs,
              promptMs: timings.promptMs,
              tokensPerSecond: timings.tokensPerSecond,
            }
          : null,
      });
    });
  });
}

function getModelInfo(client: InferenceClient, timeoutMs = 10_000): Promise<ModelInfo | null> {
  return new Promise((resolve) => {
    client.getModelInfo({}, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (error, info) => {
      resolve(error || !info ? null : info);
    });
  });
}

/** The model facts worth printing beside a latency table (not the chat template). */
function modelFacts(info: ModelInfo | null): Record<string, unknown> | null {
  if (!info) return null;
  const { chatTemplate: _template, ...facts } = info;
  return facts as unknown as Record<string, unknown>;
}

export async function runGrpcGenerate(options: GrpcGenerateOptions): Promise<LlmSummary> {
  const prompts = loadPrompts(options.promptsFile);
  await waitForServing(options.target, options.waitForServingMs);
  const clients = new Map<number, InferenceClient>();
  // One connection per virtual user, as k6 does: a ClusterIP Service then spreads VUs over pods too.
  const clientFor = (vu: number) => {
    let client = clients.get(vu);
    if (!client) clients.set(vu, (client = createInferenceClient(options.target)));
    return client;
  };
  const info = await getModelInfo(clientFor(0));
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
        const measured = await generateOnce(clientFor(ctx.vu), prompt, options, `lt-${spec.name}-${ctx.iteration}-${process.pid}`, ctx.signal);
        if (ctx.signal.aborted) return; // interrupted by the stage's graceful stop: not a result
        records.push({ stage: spec.name, tags: spec.tags, vu: ctx.vu, promptId: prompt.id, startMs: round(startMs), ...measured, itlMs: measured.itlMs.map((v) => round(v, 3)) });
        if (options.thinkTimeMs > 0 && spec.executor === "constant-vus") {
          await delay(options.thinkTimeMs, undefined, { signal: ctx.signal }).catch(() => undefined);
        }
      };
      const run =
        spec.executor === "constant-vus"
          ? await runConstantVus({ vus: spec.concurrency ?? 1, durationMs: spec.durationMs, gracefulStopMs: options.gracefulStopMs }, iteration)
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
    script: "grpc-generate",
    target: options.target,
    scenario: options.scenario,
    startedAt,
    durationMs: performance.now() - origin,
    machine: describeMachine(),
    model: modelFacts(info),
    options: {
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
        spec: { ...spec, name, label: `${seconds(k * windowMs)}-${seconds(Math.min((k + 1) * windowMs, spec.durationMs))} s`, tags: { ...spec.tags, stage: name, window: String(k + 1) } },
        run: { ...run, startedAt, endedAt: k === count - 1 ? run.endedAt : startedAt + windowMs, iterations: 0, interrupted: k === count - 1 ? run.interrupted : 0, dropped: 0 },
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

async function main(): Promise<void> {
  let options: GrpcGenerateOptions;
  let summary: LlmSummary;
  try {
    options = optionsFromEnv();
    summary = await runGrpcGenerate(options);
  } catch (error) {
    console.error(`grpc-generate: ${(error as Error).message}`);
    process.exit(1);
  }
  const markdown = renderLlmMarkdown(summary);
  writeSummary(summary, markdown, options);
  process.stdout.write(markdown);
  if (new EnvReader().flag("SUMMARY_LINE", false)) printSummaryLine(summary);
  process.exit(summary.thresholdsOk ? 0 : 99);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
