// The load generator itself, against scripted fakes whose timings are known: does it measure what it says?
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDuration } from "@evalstack/config";
import { runConstantArrivalRate, runConstantVus } from "@evalstack/loadtests/lib/executors";
import { percentile, trendStats } from "@evalstack/loadtests/lib/stats";
import { evaluateThresholds, parseExpression, parseMetricName, parseThresholdsJson } from "@evalstack/loadtests/lib/thresholds";
import { optionsFromEnv, protocolFlag, runGrpcGenerate, thresholdsFromEnv } from "@evalstack/loadtests/generate";
import { startFakeOpenAi, type FakeOpenAi } from "@evalstack/loadtests/testing/fakeOpenAi";
import { httpOptionsFromEnv, runHttpEvaluator } from "@evalstack/loadtests/http-evaluator";
import { startFakeModelServer, type FakeModelServer } from "@evalstack/testing";
import { startFakeEvaluator } from "@evalstack/loadtests/testing/fakeEvaluator";
import { mergeSummaries, readSummaries } from "@evalstack/loadtests/merge";
import { SUMMARY_LINE_PREFIX } from "@evalstack/loadtests/lib/output";
import { parseLoadtestArgs, parseTargets } from "../scripts/loadtest.js";

describe("statistics and thresholds", () => {
  it("parses durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("10s")).toBe(10_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("2")).toBe(2_000);
    expect(() => parseDuration("ten seconds")).toThrow(/not a duration/);
  });

  it("interpolates percentiles between ranks", () => {
    const sorted = [10, 20, 30, 40, 50];
    expect(percentile(sorted, 50)).toBe(30);
    expect(percentile(sorted, 95)).toBeCloseTo(48);
    expect(trendStats([3, 1, 2]).med).toBe(2);
    expect(trendStats([]).count).toBe(0);
  });

  it("evaluates k6-style expressions, with tag filters", () => {
    expect(parseExpression("p(95)<2000")).toEqual({ aggregation: "p(95)", operator: "<", bound: 2000 });
    expect(parseMetricName("llm_ttft{concurrency:4}")).toEqual({ metric: "llm_ttft", tags: { concurrency: "4" } });
    const results = evaluateThresholds({ lat: ["p(50)<=30", "max<40"], "lat{a:1}": ["avg==15"], err: ["rate==0"] }, (metric, tags) => {
      if (metric === "lat") return { kind: "trend", values: tags.a === "1" ? [10, 20] : [10, 20, 30, 40, 50] };
      if (metric === "err") return { kind: "rate", passes: 1, total: 10 };
      return undefined;
    });
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false]);
    expect(results[3]?.actual).toBeCloseTo(0.1);
    expect(() => evaluateThresholds({ nope: ["rate==0"] }, () => undefined)).toThrow(/unknown metric/);
    expect(() => parseThresholdsJson('{"x": ["p95 < 3"]}')).toThrow(/expected e.g./);
  });

  it("builds thresholds from the environment, with off and JSON overrides", () => {
    const t = thresholdsFromEnv({ THRESHOLD_ERROR_RATE: "0", THRESHOLD_TTFT_P95_MS: "off", THRESHOLDS: '{"llm_e2e":["p(99)<9"]}' });
    expect(t.llm_errors).toEqual(["rate<=0"]);
    expect(t.llm_ttft).toBeUndefined();
    expect(t.llm_e2e).toEqual(["p(99)<9"]);
  });
});

describe("npm run loadtest arguments", () => {
  it("takes targets from flags before the environment, and starts the local stack without any", () => {
    expect([...parseTargets("qwen=a:1, phi3=b:2")]).toEqual([
      ["qwen", "a:1"],
      ["phi3", "b:2"],
    ]);
    expect(() => parseTargets("qwen")).toThrow(/name=host:port/);
    const fromFlag = parseLoadtestArgs(["--targets", "qwen=a:1", "--scenario", "smoke", "--vus", "1,2"], { LOADTEST_TARGETS: "x=y:3" });
    expect([...fromFlag.targets.keys()]).toEqual(["qwen"]);
    expect(fromFlag).toMatchObject({ scenario: "smoke", vus: "1,2", noEvaluator: false });
    expect([...parseLoadtestArgs([], { EVALSTACK_MODELS: "phi3=b:2" }).targets.keys()]).toEqual(["phi3"]);
    expect(parseLoadtestArgs(["--no-evaluator"], {}).targets.size).toBe(0);
    expect(() => parseLoadtestArgs(["--bogus"], {})).toThrow();
  });

  it("--models: catalog names (started locally) and name=host:port (a running one, added to the targets)", () => {
    const mixed = parseLoadtestArgs(["--models", "qwen-coder, remote=10.0.0.5:50051"], {});
    expect(mixed.models).toEqual(["qwen-coder", "remote"]);
    expect([...mixed.targets]).toEqual([["remote", "10.0.0.5:50051"]]);
    expect(parseLoadtestArgs(["--models", "qwen,phi3,qwen-coder"], {}).targets.size).toBe(0);
  });

  it("picks the protocol from --protocol, then LOADTEST_PROTOCOL, else gRPC", () => {
    expect(parseLoadtestArgs([], {}).protocol).toBe("grpc");
    expect(
      parseLoadtestArgs(["--protocol", "openai", "--targets", "llama=http://127.0.0.1:8080/v1"], { LOADTEST_PROTOCOL: "grpc" }),
    ).toMatchObject({ protocol: "openai" });
    expect([...parseLoadtestArgs(["--targets", "llama=http://127.0.0.1:8080/v1"], {}).targets.values()]).toEqual([
      "http://127.0.0.1:8080/v1",
    ]);
    expect(parseLoadtestArgs([], { LOADTEST_PROTOCOL: "openai" }).protocol).toBe("openai");
    expect(() => parseLoadtestArgs(["--protocol", "http"], {})).toThrow(/--protocol: expected grpc or openai, got "http"/);
  });
});

describe("executors", () => {
  it("constant VUs never exceeds its VUs and runs back to back", async () => {
    let inFlight = 0;
    let most = 0;
    const run = await runConstantVus({ vus: 3, durationMs: 300, gracefulStopMs: 1_000 }, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
    });
    expect(most).toBe(3);
    expect(run.maxInFlight).toBe(3);
    expect(run.iterations).toBeGreaterThanOrEqual(3 * 5);
    expect(run.interrupted).toBe(0);
  });

  it("interrupts iterations still running after the graceful stop", async () => {
    const run = await runConstantVus({ vus: 2, durationMs: 50, gracefulStopMs: 50 }, ({ signal }) => {
      return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    });
    expect(run.interrupted).toBe(2);
    expect(run.iterations).toBe(0);
  });

  it("constant arrival rate drops iterations when every VU is busy", async () => {
    // 20/s for 1 s with one VU busy 300 ms per iteration: about 4 start, about 16 are dropped.
    const run = await runConstantArrivalRate(
      { rate: 20, durationMs: 1_000, maxVUs: 1, gracefulStopMs: 1_000 },
      () => new Promise((r) => setTimeout(r, 300)),
    );
    expect(run.iterations + run.dropped).toBe(20);
    expect(run.iterations).toBeGreaterThanOrEqual(3);
    expect(run.iterations).toBeLessThanOrEqual(5);
    expect(run.maxInFlight).toBe(1);
  });
});

describe("grpc-generate against a scripted model service", () => {
  let fake: FakeModelServer;
  beforeAll(async () => {
    fake = await startFakeModelServer({ firstTokenDelayMs: 300, tokenIntervalMs: 20, tokens: 11 });
  });
  afterAll(async () => fake.close());

  it("measures TTFT, TPOT and ITL as the service produced them, per concurrency level", async () => {
    const options = optionsFromEnv({ TARGET: fake.target, SCENARIO: "sweep", SWEEP_VUS: "1,3", STAGE_DURATION: "1s", MAX_TOKENS: "32" });
    const summary = await runGrpcGenerate(options);
    expect(summary.stages.map((s) => s.concurrency)).toEqual([1, 3]);
    const m = summary.metrics;
    expect(m.llm_errors.count).toBe(0);
    // The fake answers with its first token after 300 ms and then one token per 20 ms (10 gaps).
    expect(m.llm_ttft.med).toBeGreaterThanOrEqual(300);
    expect(m.llm_ttft.med).toBeLessThan(400);
    expect(m.llm_tpot.med).toBeGreaterThanOrEqual(19);
    expect(m.llm_tpot.med).toBeLessThan(30);
    expect(m.llm_itl.count).toBe(10 * m.llm_requests.count);
    expect(m.llm_output_tokens.med).toBe(11);
    // Three VUs on a service without queueing: three times the requests per second.
    const [c1, c3] = summary.stages;
    expect(c3!.requestsPerS).toBeGreaterThan(2 * c1!.requestsPerS);
    for (const r of summary.requests) expect(r.ttftMs!).toBeLessThanOrEqual(r.e2eMs);
    expect(summary.model?.name).toBe("fake-model");
    expect(summary.thresholdsOk).toBe(true);
  });

  it("counts errors by gRPC status and fails the error-rate threshold", async () => {
    const failing = await startFakeModelServer({
      firstTokenDelayMs: 5,
      tokenIntervalMs: 5,
      tokens: 3,
      failWith: (_request, call) => (call % 2 === 0 ? { code: status.RESOURCE_EXHAUSTED, details: "fake: queue full" } : undefined),
    });
    try {
      const summary = await runGrpcGenerate(
        optionsFromEnv({ TARGET: failing.target, SCENARIO: "smoke", SMOKE_VUS: "1", SMOKE_DURATION: "500ms", THRESHOLD_ERROR_RATE: "0" }),
      );
      expect(summary.metrics.llm_errors.byStatus.RESOURCE_EXHAUSTED).toBeGreaterThan(0);
      expect(summary.metrics.llm_errors.rate).toBeGreaterThan(0.3);
      expect(summary.thresholdsOk).toBe(false);
      expect(summary.thresholds.find((t) => t.metric === "llm_errors")?.ok).toBe(false);
    } finally {
      await failing.close();
    }
  });

  it("merges the runners of a distributed test exactly, from their log lines", async () => {
    const env = { TARGET: fake.target, SCENARIO: "smoke", SMOKE_VUS: "2", SMOKE_DURATION: "700ms", MAX_TOKENS: "3" };
    const startAt = String(Date.now() + 300);
    const runners = await Promise.all([1, 2].map(() => runGrpcGenerate(optionsFromEnv({ ...env, START_AT: startAt }))));
    const log = runners.map((s, i) => `[pod/runner-${i}] text\n[pod/runner-${i}] ${SUMMARY_LINE_PREFIX}${JSON.stringify(s)}`).join("\n");
    const merged = mergeSummaries(readSummaries(log));
    const total = runners[0]!.metrics.llm_requests.count + runners[1]!.metrics.llm_requests.count;
    expect(merged.metrics.llm_requests.count).toBe(total);
    expect(merged.stages[0]).toMatchObject({ concurrency: 4, requests: total });
    expect(merged.thresholds.map((t) => t.expression)).toEqual(runners[0]!.thresholds.map((t) => t.expression));
    expect(new Set(merged.requests.map((r) => r.tags.runner))).toEqual(new Set(["0", "1"]));
    // START_AT held both runners until the same moment.
    expect(Math.abs(Date.parse(runners[0]!.startedAt) - Date.parse(runners[1]!.startedAt))).toBeLessThan(1_000);
  });

  it("splits a soak into time windows, one row each", async () => {
    const summary = await runGrpcGenerate(
      optionsFromEnv({
        TARGET: fake.target,
        SCENARIO: "soak",
        SOAK_VUS: "2",
        SOAK_DURATION: "1500ms",
        SOAK_WINDOW: "500ms",
        MAX_TOKENS: "2",
      }),
    );
    expect(summary.stages.map((s) => s.stage)).toEqual(["soak-w1", "soak-w2", "soak-w3"]);
    expect(summary.stages.map((s) => s.label)).toEqual(["0-0.5 s", "0.5-1 s", "1-1.5 s"]);
    expect(summary.stages.reduce((n, s) => n + s.requests, 0)).toBe(summary.metrics.llm_requests.count);
    for (const row of summary.stages) expect(row.requests).toBeGreaterThan(0);
    expect(summary.requests.every((r) => r.tags.window !== undefined)).toBe(true);
  });

  it("reports dropped iterations under an open-model rate the service cannot absorb", async () => {
    const summary = await runGrpcGenerate(
      optionsFromEnv({ TARGET: fake.target, SCENARIO: "rate", RATES: "10", RATE_DURATION: "1s", MAX_VUS: "2", MAX_TOKENS: "4" }),
    );
    // Each request takes ~360 ms: two VUs absorb ~5.5 of the 10 arrivals per second.
    expect(summary.metrics.dropped_iterations.count).toBeGreaterThan(2);
    expect(summary.stages[0]!.dropped).toBe(summary.metrics.dropped_iterations.count);
  });
});

describe("generate --protocol openai against a scripted OpenAI-compatible server", () => {
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await startFakeOpenAi({ firstTokenDelayMs: 300, tokenIntervalMs: 20, tokens: 11 });
  });
  afterAll(async () => fake.stop());

  it("measures TTFT, TPOT and ITL from the SSE chunks, with the output tokens from usage", async () => {
    const options = optionsFromEnv({
      PROTOCOL: "openai",
      TARGET: fake.baseUrl,
      SCENARIO: "sweep",
      SWEEP_VUS: "1,3",
      STAGE_DURATION: "1s",
      MAX_TOKENS: "32",
      TEMPERATURE: "0",
    });
    const summary = await runGrpcGenerate(options);
    expect(summary.script).toBe("openai-generate");
    expect(summary.target).toBe(`openai+${fake.baseUrl}`);
    expect(summary.stages.map((s) => s.concurrency)).toEqual([1, 3]);
    const m = summary.metrics;
    expect(m.llm_errors.count).toBe(0);
    expect(m.llm_ttft.med).toBeGreaterThanOrEqual(300);
    expect(m.llm_ttft.med).toBeLessThan(400);
    expect(m.llm_tpot.med).toBeGreaterThanOrEqual(19);
    expect(m.llm_tpot.med).toBeLessThan(30);
    expect(m.llm_itl.count).toBe(10 * m.llm_requests.count);
    expect(m.llm_output_tokens.med).toBe(11);
    expect(summary.model).toEqual({ name: "fake-openai-model", protocol: "openai" });
    expect(summary.requests.every((r) => r.server === null)).toBe(true); // the OpenAI API has no server timings
    expect(fake.bodies[0]).toMatchObject({
      model: "fake-openai-model",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 32,
      temperature: 0,
    });
  });

  it("counts refusals by HTTP status", async () => {
    const failing = await startFakeOpenAi({ firstTokenDelayMs: 5, tokenIntervalMs: 5, tokens: 3, failEvery: 2 });
    try {
      const summary = await runGrpcGenerate(
        optionsFromEnv({
          PROTOCOL: "openai",
          TARGET: failing.baseUrl,
          SCENARIO: "smoke",
          SMOKE_VUS: "1",
          SMOKE_DURATION: "500ms",
          THRESHOLD_ERROR_RATE: "0",
        }),
      );
      expect(summary.metrics.llm_errors.byStatus.HTTP_429).toBeGreaterThan(0);
      expect(summary.thresholdsOk).toBe(false);
    } finally {
      await failing.stop();
    }
  });

  it("takes --protocol on the command line and refuses anything else", () => {
    expect(protocolFlag(["--protocol", "openai"])).toEqual({ PROTOCOL: "openai" });
    expect(protocolFlag(["--protocol=grpc"])).toEqual({ PROTOCOL: "grpc" });
    expect(protocolFlag([])).toEqual({});
    expect(() => protocolFlag(["--vus", "2"])).toThrow(/unknown argument "--vus"/);
    expect(() => optionsFromEnv({ PROTOCOL: "http" })).toThrow(/PROTOCOL/);
  });
});

describe("http-evaluator against the API of issue 3 (a fake: replies are immediate)", () => {
  it("drives compare, score and the run lifecycle, and checks each", async () => {
    const evaluator = await startFakeEvaluator();
    try {
      const summary = await runHttpEvaluator(
        httpOptionsFromEnv({
          BASE_URL: evaluator.baseUrl,
          SCENARIO: "smoke",
          DURATION: "1s",
          THINK_TIME: "50ms",
          POLL_INTERVAL: "10ms",
          THRESHOLD_ERROR_RATE: "0",
        }),
      );
      expect(summary.models).toEqual(["qwen", "phi3"]);
      expect(summary.endpoints.map((e) => e.endpoint)).toEqual(expect.arrayContaining(["compare", "score", "create_run", "get_run"]));
      expect(summary.metrics.run_duration).toMatchObject({ type: "trend" });
      expect(summary.thresholds.length).toBeGreaterThan(0);
      expect(summary.thresholdsOk).toBe(true);
      expect(evaluator.calls).toContain("POST /v1/suites");
    } finally {
      await evaluator.stop();
    }
  });

  it("scores at a fixed arrival rate under load, so cheap requests cannot starve the rest", async () => {
    const evaluator = await startFakeEvaluator();
    try {
      const summary = await runHttpEvaluator(
        httpOptionsFromEnv({
          BASE_URL: evaluator.baseUrl,
          SCENARIO: "load",
          DURATION: "1s",
          SCORE_RATE: "20",
          COMPARE_VUS: "0",
          RUN_VUS: "0",
        }),
      );
      expect(summary.flows).toEqual([expect.objectContaining({ flow: "score", rate: 20, iterations: 20, dropped: 0 })]);
      expect(summary.thresholds).toContainEqual(
        expect.objectContaining({ metric: "dropped_iterations", expression: "count<=0", ok: true }),
      );
      expect(summary.thresholdsOk).toBe(true);
    } finally {
      await evaluator.stop();
    }
  });
});
