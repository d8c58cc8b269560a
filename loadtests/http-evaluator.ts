// Load test of the evaluator's HTTP API: ad-hoc compare (fans out to every model), score (no model
// involved), and the life of a run (create, poll until it ends). The three run side by side, each with its
// own virtual users, for DURATION.
//
//   BASE_URL=http://localhost:8080 SCENARIO=smoke npx tsx loadtests/http-evaluator.ts
//
// Writes SUMMARY_JSON / SUMMARY_MD when set, prints the Markdown, exits 99 when a threshold fails, 1 on a
// setup error.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { ConfigError, EnvReader, type Env } from "@evalstack/config";
import { runConstantArrivalRate, runConstantVus, type IterationContext, type StageRun } from "./lib/executors.js";
import { describeMachine, machineLine, type MachineInfo } from "./lib/machine.js";
import { markdownTable, ms, num, pct } from "./lib/markdown.js";
import { MetricRegistry, type MetricSummary } from "./lib/registry.js";
import { round, trendStats } from "./lib/stats.js";
import { evaluateThresholds, mergeThresholds, parseThresholdsJson, type ThresholdResult, type Thresholds } from "./lib/thresholds.js";
import { parseStartAt, printSummaryLine, writeSummary } from "./lib/output.js";

export const HTTP_SCENARIOS = ["smoke", "load"] as const;
export type HttpScenario = (typeof HTTP_SCENARIOS)[number];
export const FLOWS = ["compare", "score", "run"] as const;
export type Flow = (typeof FLOWS)[number];

export interface HttpEvaluatorOptions {
  baseUrl: string;
  apiKey?: string;
  scenario: HttpScenario;
  /** Model names to compare and run; empty: every model GET /v1/models lists. */
  models: string[];
  durationMs: number;
  /** VUs per flow; for score with a scoreRate, the most requests in flight. */
  vus: Record<Flow, number>;
  /** Score requests per second (open model); 0: score runs closed-loop on its VUs. */
  scoreRate: number;
  thinkTimeMs: number;
  maxTokens: number;
  requestTimeoutMs: number;
  pollIntervalMs: number;
  runTimeoutMs: number;
  waitForReadyMs: number;
  suiteId: string;
  thresholds: Thresholds;
  startAt?: number;
  summaryJson?: string;
  summaryMd?: string;
}

const disabled = (raw: string | undefined) => raw !== undefined && /^(off|none|false)$/i.test(raw.trim());

export function httpThresholdsFromEnv(env: Env, vus: Record<Flow, number>, scoreRate = 0): Thresholds {
  const thresholds: Thresholds = {};
  const value = (variable: string, fallback: string) => {
    const raw = env[variable];
    if (disabled(raw)) return undefined;
    const v = raw === undefined || raw === "" ? fallback : raw;
    if (!Number.isFinite(Number(v))) throw new ConfigError(variable, `not a number: "${v}"`);
    return Number(v);
  };
  const errorRate = value("THRESHOLD_ERROR_RATE", "0.01");
  if (errorRate !== undefined) {
    thresholds.http_req_failed = [`rate<=${errorRate}`];
    thresholds.checks = [`rate>=${round(1 - errorRate, 6)}`];
  }
  const p95 = (variable: string, fallback: string, metric: string) => {
    const v = value(variable, fallback);
    if (v !== undefined) thresholds[metric] = [`p(95)<${v}`];
  };
  if (vus.score > 0) p95("THRESHOLD_SCORE_P95_MS", "500", "http_req_duration{endpoint:score}");
  if (vus.compare > 0) p95("THRESHOLD_COMPARE_P95_MS", "30000", "http_req_duration{endpoint:compare}");
  if (vus.run > 0) p95("THRESHOLD_RUN_P95_MS", "120000", "run_duration");
  if (vus.score > 0 && scoreRate > 0) {
    const dropped = value("THRESHOLD_DROPPED_MAX", "0");
    if (dropped !== undefined) thresholds.dropped_iterations = [`count<=${dropped}`];
  }
  // Every flow that was asked for must have completed at least once: a silent no-op must not pass.
  for (const flow of FLOWS) if (vus[flow] > 0) thresholds[`iterations{flow:${flow}}`] = ["count>=1"];
  return mergeThresholds(thresholds, parseThresholdsJson(env.THRESHOLDS));
}

export function httpOptionsFromEnv(env: Env = process.env): HttpEvaluatorOptions {
  const read = new EnvReader(env);
  const scenario = read.oneOf("SCENARIO", HTTP_SCENARIOS, "smoke");
  const smoke = scenario === "smoke";
  const vus: Record<Flow, number> = {
    compare: read.integer("COMPARE_VUS", smoke ? 1 : 2, { min: 0 }),
    score: read.integer("SCORE_VUS", smoke ? 1 : 8, { min: 0 }),
    run: read.integer("RUN_VUS", 1, { min: 0 }),
  };
  const apiKey = read.optionalString("API_KEY");
  const scoreRate = read.number("SCORE_RATE", smoke ? 0 : 50, { min: 0 });
  return {
    baseUrl: read.string("BASE_URL", "http://localhost:8080").replace(/\/+$/, ""),
    ...(apiKey ? { apiKey } : {}),
    scenario,
    models: read
      .string("MODELS", "")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean),
    durationMs: read.durationMs("DURATION", smoke ? "15s" : "60s"),
    scoreRate,
    vus,
    thinkTimeMs: read.durationMs("THINK_TIME", smoke ? "200ms" : "0s"),
    maxTokens: read.integer("MAX_TOKENS", smoke ? 16 : 64, { min: 1 }),
    requestTimeoutMs: read.durationMs("REQUEST_TIMEOUT", "120s"),
    pollIntervalMs: read.durationMs("POLL_INTERVAL", "250ms"),
    runTimeoutMs: read.durationMs("RUN_TIMEOUT", "300s"),
    waitForReadyMs: read.durationMs("WAIT_FOR_READY", "60s"),
    suiteId: read.string("SUITE_ID", "loadtest-mini"),
    thresholds: httpThresholdsFromEnv(env, vus, scoreRate),
    ...(parseStartAt(read.optionalString("START_AT")) === undefined
      ? {}
      : { startAt: parseStartAt(read.optionalString("START_AT")) as number }),
    ...(read.optionalString("SUMMARY_JSON") ? { summaryJson: read.optionalString("SUMMARY_JSON") as string } : {}),
    ...(read.optionalString("SUMMARY_MD") ? { summaryMd: read.optionalString("SUMMARY_MD") as string } : {}),
  };
}

/** The suite the run flow creates runs of: two short items, so a run measures the API, not the models. */
export function miniSuite(id: string) {
  return {
    id,
    description: "Two short items for load-testing the runs API (created by loadtests/http-evaluator.ts).",
    items: [
      {
        id: "lt-capital",
        dimension: "instruction_following",
        messages: [{ role: "user", content: "What is the capital of France? Answer in one word." }],
        checks: [{ type: "contains", value: "Paris", ignore_case: true }],
      },
      {
        id: "lt-sum",
        dimension: "math",
        messages: [{ role: "user", content: "What is 17 + 25? Give only the number." }],
        checks: [{ type: "numeric_answer", value: 42 }],
      },
    ],
  };
}

export const SCORE_REQUEST = {
  item: {
    id: "lt-score",
    dimension: "math",
    messages: [{ role: "user", content: "What is 6 times 7?" }],
    checks: [{ type: "numeric_answer", value: 42 }],
  },
  reply: "6 × 7 = 42, so the answer is 42.",
};

const TERMINAL = new Set(["completed", "partial", "failed", "cancelled", "error"]);

export interface HttpSummary {
  schema: "evalstack.loadtest.http/v1";
  script: "http-evaluator";
  baseUrl: string;
  scenario: HttpScenario;
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  models: string[];
  options: Record<string, unknown>;
  metrics: Record<string, MetricSummary>;
  endpoints: {
    endpoint: string;
    requests: number;
    failed: number;
    requestsPerS: number;
    p50: number | null;
    p95: number | null;
    p99: number | null;
    max: number | null;
  }[];
  flows: { flow: Flow; vus: number; rate: number | null; iterations: number; interrupted: number; dropped: number }[];
  thresholds: ThresholdResult[];
  thresholdsOk: boolean;
  /** The first few failures, to say what went wrong without reading the evaluator's logs. */
  failures: string[];
}

class Api {
  constructor(
    private readonly options: HttpEvaluatorOptions,
    private readonly metrics: MetricRegistry,
    private readonly failures: string[],
  ) {}

  /** One request, timed and recorded under `endpoint`; `expected` are the statuses that count as success. */
  async call(
    endpoint: string,
    method: string,
    url: string,
    body: unknown,
    expected: number[],
    signal?: AbortSignal,
  ): Promise<{ status: number; json: unknown; ok: boolean }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const started = performance.now();
    let status = 0;
    let json: unknown = null;
    let error: string | undefined;
    try {
      const response = await fetch(this.options.baseUrl + url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = response.status;
      const text = await response.text();
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
    } catch (e) {
      if (signal?.aborted) return { status: 0, json: null, ok: false }; // interrupted: not a sample
      error = (e as Error).message;
    }
    const duration = performance.now() - started;
    const ok = expected.includes(status);
    this.metrics.trend("http_req_duration", duration, { endpoint, status: String(status) });
    this.metrics.rate("http_req_failed", !ok, { endpoint });
    this.metrics.counter("http_reqs", 1, { endpoint });
    if (!ok && this.failures.length < 20) {
      this.failures.push(
        `${method} ${url} -> ${status || "no response"}${error ? ` (${error})` : ""}: ${JSON.stringify(json)?.slice(0, 300)}`,
      );
    }
    return { status, json, ok };
  }

  check(name: string, passed: boolean, detail: string): boolean {
    this.metrics.rate("checks", passed, { check: name });
    if (!passed && this.failures.length < 20) this.failures.push(`check ${name} failed: ${detail}`);
    return passed;
  }
}

const field = (json: unknown, ...names: string[]): unknown => {
  if (typeof json !== "object" || json === null) return undefined;
  for (const name of names) if (name in json) return (json as Record<string, unknown>)[name];
  return undefined;
};

async function waitForReady(options: HttpEvaluatorOptions): Promise<void> {
  const until = Date.now() + options.waitForReadyMs;
  let last = "";
  for (;;) {
    try {
      const response = await fetch(`${options.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > until) throw new Error(`${options.baseUrl}/readyz not ready after ${options.waitForReadyMs} ms (last: ${last})`);
    await delay(200);
  }
}

export async function runHttpEvaluator(options: HttpEvaluatorOptions): Promise<HttpSummary> {
  const origin = performance.now();
  const startedAt = new Date();
  const metrics = new MetricRegistry(() => (performance.now() - origin) / 1000);
  for (const [name, kind] of [
    ["http_req_duration", "trend"],
    ["http_req_failed", "rate"],
    ["http_reqs", "counter"],
    ["checks", "rate"],
    ["iterations", "counter"],
    ["run_duration", "trend"],
    ["dropped_iterations", "counter"],
  ] as const) {
    metrics.declare(name, kind);
  }
  const failures: string[] = [];
  const api = new Api(options, metrics, failures);

  await waitForReady(options);
  let models = options.models;
  if (models.length === 0) {
    const listed = await api.call("models", "GET", "/v1/models", undefined, [200]);
    const list = (Array.isArray(listed.json) ? listed.json : field(listed.json, "models", "items", "data")) as unknown[] | undefined;
    models = (list ?? []).map((m) => String(field(m, "name")));
    if (models.length === 0) throw new Error(`GET /v1/models listed no model: ${JSON.stringify(listed.json)}`);
  }
  if (options.vus.run > 0) {
    // 409: the suite is there from an earlier load test, which is as good.
    const created = await api.call("suites", "POST", "/v1/suites", miniSuite(options.suiteId), [200, 201, 409]);
    if (!created.ok) throw new Error(`could not create suite ${options.suiteId}: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  }

  if (options.startAt !== undefined) await delay(Math.max(0, options.startAt - Date.now()));
  const think = async (signal: AbortSignal) => {
    if (options.thinkTimeMs > 0) await delay(options.thinkTimeMs, undefined, { signal }).catch(() => undefined);
  };
  const flows: Record<Flow, (ctx: IterationContext) => Promise<void>> = {
    compare: async ({ iteration, signal }) => {
      const reply = await api.call(
        "compare",
        "POST",
        "/v1/compare",
        {
          messages: [{ role: "user", content: `Name one colour of the rainbow. (#${iteration})` }],
          models,
          sampling: { temperature: 0 },
          max_tokens: options.maxTokens,
        },
        [200],
        signal,
      );
      if (signal.aborted) return;
      if (reply.ok) {
        const text = JSON.stringify(reply.json);
        api.check(
          "compare has every model",
          models.every((m) => text.includes(`"${m}"`)),
          text.slice(0, 200),
        );
        const results = field(reply.json, "results");
        if (Array.isArray(results)) {
          api.check(
            "compare replies completed",
            results.every((r) => field(r, "status") === "completed"),
            text.slice(0, 300),
          );
        }
      }
      metrics.counter("iterations", 1, { flow: "compare" });
      await think(signal);
    },
    score: async ({ signal }) => {
      const reply = await api.call("score", "POST", "/v1/score", SCORE_REQUEST, [200], signal);
      if (signal.aborted) return;
      if (reply.ok) {
        const passed = field(reply.json, "passed") ?? field(field(reply.json, "score"), "passed");
        api.check("score passes a right answer", passed === true, JSON.stringify(reply.json).slice(0, 200));
      }
      metrics.counter("iterations", 1, { flow: "score" });
      if (options.scoreRate === 0) await think(signal);
    },
    run: async ({ signal }) => {
      const started = performance.now();
      const created = await api.call(
        "create_run",
        "POST",
        "/v1/runs",
        { suite: options.suiteId, models, repeats: 1, max_tokens: options.maxTokens, sampling: { temperature: 0 } },
        [201],
        signal,
      );
      if (signal.aborted || !created.ok) {
        if (!signal.aborted) metrics.counter("iterations", 1, { flow: "run" });
        return;
      }
      const id = String(field(created.json, "id", "run_id"));
      let status = String(field(created.json, "status") ?? "");
      const deadline = performance.now() + options.runTimeoutMs;
      while (!TERMINAL.has(status) && performance.now() < deadline) {
        await delay(options.pollIntervalMs, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
        const polled = await api.call("get_run", "GET", `/v1/runs/${encodeURIComponent(id)}`, undefined, [200], signal);
        if (signal.aborted) return;
        if (polled.ok) status = String(field(polled.json, "status") ?? "");
      }
      const completed = api.check("run completed", status === "completed", `run ${id} ended "${status || "(timed out)"}"`);
      if (completed) metrics.trend("run_duration", performance.now() - started);
      metrics.counter("iterations", 1, { flow: "run" });
      await think(signal);
    },
  };

  const runs = await Promise.all(
    FLOWS.filter((flow) => options.vus[flow] > 0).map(async (flow) => ({
      flow,
      // Score at a fixed rate: a closed loop of cheap requests would take every free cycle and starve the
      // flows that wait on models, measuring the CPU rather than the API.
      run:
        flow === "score" && options.scoreRate > 0
          ? await runConstantArrivalRate(
              { rate: options.scoreRate, durationMs: options.durationMs, maxVUs: options.vus.score, gracefulStopMs: options.runTimeoutMs },
              flows.score,
            )
          : await runConstantVus(
              { vus: options.vus[flow], durationMs: options.durationMs, gracefulStopMs: options.runTimeoutMs },
              flows[flow],
            ),
    })),
  );
  for (const { flow, run } of runs) if (run.dropped > 0) metrics.counter("dropped_iterations", run.dropped, { flow });
  return buildHttpSummary(options, metrics, models, runs, startedAt, performance.now() - origin, failures);
}

function buildHttpSummary(
  options: HttpEvaluatorOptions,
  metrics: MetricRegistry,
  models: string[],
  runs: { flow: Flow; run: StageRun }[],
  startedAt: Date,
  durationMs: number,
  failures: string[],
): HttpSummary {
  const thresholds = evaluateThresholds(options.thresholds, (metric, tags) => metrics.resolve(metric, tags));
  const elapsedS = durationMs / 1000;
  const endpoints = metrics.tagValues("http_req_duration", "endpoint").map((endpoint) => {
    const durations = metrics.resolve("http_req_duration", { endpoint });
    const failed = metrics.resolve("http_req_failed", { endpoint });
    const stats = trendStats(durations?.kind === "trend" ? durations.values : []);
    const at = (value: number) => (stats.count > 0 ? round(value) : null);
    return {
      endpoint,
      requests: stats.count,
      failed: failed?.kind === "rate" ? failed.passes : 0,
      requestsPerS: round(elapsedS > 0 ? stats.count / elapsedS : 0, 3),
      p50: at(stats.med),
      p95: at(stats.p95),
      p99: at(stats.p99),
      max: at(stats.max),
    };
  });
  return {
    schema: "evalstack.loadtest.http/v1",
    script: "http-evaluator",
    baseUrl: options.baseUrl,
    scenario: options.scenario,
    startedAt: startedAt.toISOString(),
    durationMs: round(durationMs),
    machine: describeMachine(),
    models,
    options: {
      durationS: options.durationMs / 1000,
      vus: options.vus,
      scoreRate: options.scoreRate,
      maxTokens: options.maxTokens,
      thinkTimeMs: options.thinkTimeMs,
    },
    metrics: metrics.summary(),
    endpoints,
    flows: runs.map(({ flow, run }) => ({
      flow,
      vus: options.vus[flow],
      rate: flow === "score" && options.scoreRate > 0 ? options.scoreRate : null,
      iterations: run.iterations,
      interrupted: run.interrupted,
      dropped: run.dropped,
    })),
    thresholds,
    thresholdsOk: thresholds.every((t) => t.ok),
    failures,
  };
}

export function renderHttpMarkdown(summary: HttpSummary): string {
  const lines = [
    `## http-evaluator — ${summary.scenario} against ${summary.baseUrl}`,
    "",
    `- Models: ${summary.models.join(", ")}; flows: ${summary.flows
      .map(
        (f) =>
          `${f.flow} ${f.rate === null ? `×${f.vus} VU` : `at ${f.rate}/s (≤${f.vus} in flight, ${f.dropped} dropped)`} (${f.iterations} iterations)`,
      )
      .join(", ")}`,
    `- Machine: ${machineLine(summary.machine)}`,
    `- Started ${summary.startedAt}, ${(summary.durationMs / 1000).toFixed(1)} s; options: ${JSON.stringify(summary.options)}`,
    "",
    markdownTable(
      ["Endpoint", "Requests", "Req/s", "p50 (ms)", "p95 (ms)", "p99 (ms)", "max (ms)", "Failed"],
      summary.endpoints.map((e) => [e.endpoint, e.requests, num(e.requestsPerS, 2), ms(e.p50), ms(e.p95), ms(e.p99), ms(e.max), e.failed]),
      ["l"],
    ),
    "",
  ];
  const run = summary.metrics.run_duration;
  if (run?.type === "trend" && run.count > 0)
    lines.push(`Run (create → completed): p50 ${ms(run.med)} ms, p95 ${ms(run.p95)} ms over ${run.count} runs`, "");
  const checks = summary.metrics.checks;
  if (checks?.type === "rate") lines.push(`Checks: ${pct(checks.rate)} passed (${checks.passes}/${checks.passes + checks.fails})`, "");
  lines.push("Thresholds:", "");
  for (const t of summary.thresholds) {
    lines.push(`- ${t.ok ? "✓" : "✗"} \`${t.metric}\` ${t.expression} (actual: ${t.actual === null ? "no samples" : round(t.actual, 4)})`);
  }
  if (summary.failures.length > 0) lines.push("", "First failures:", "", ...summary.failures.map((f) => `- ${f}`));
  lines.push("");
  return lines.join("\n");
}

async function main(): Promise<void> {
  let options: HttpEvaluatorOptions;
  let summary: HttpSummary;
  try {
    options = httpOptionsFromEnv();
    summary = await runHttpEvaluator(options);
  } catch (error) {
    console.error(`http-evaluator: ${(error as Error).message}`);
    process.exit(1);
  }
  const markdown = renderHttpMarkdown(summary);
  writeSummary(summary, markdown, options);
  process.stdout.write(markdown);
  if (new EnvReader().flag("SUMMARY_LINE", false)) printSummaryLine(summary);
  process.exit(summary.thresholdsOk ? 0 : 99);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
