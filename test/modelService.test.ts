// The model service as a user sees it: a real qwen-slot process (SmolLM2-135M-Instruct, small profile)
// behind the real gRPC server, exercised through the generated client.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkHealth,
  createHealthClient,
  createInferenceClient,
  deadlineIn,
  FinishReason,
  fullRequest,
  isServiceError,
  streamGenerate,
  type GenerateChunk,
  type GenerateRequest,
  type InferenceClient,
} from "@evalstack/contract";
import { ManagedProcess, REPO_ROOT, startModelService, type ModelServiceProcess } from "@evalstack/local-stack";

const COMMON_ENV = { MODEL_THREADS: "1", MODEL_CONTEXT_SIZE: "2048", LOG_LEVEL: "warn" };
const LONG_PROMPT = "Write a long story about a dragon who learns to cook. Use many details.";
/** A grammar that demands 250 numbers: the model cannot end its reply early, so only max_tokens or a cancel stops it. */
const ENDLESS = {
  messages: [{ role: "user", content: "List numbers." }],
  jsonSchema: JSON.stringify({ type: "array", items: { type: "integer" }, minItems: 250 }),
};

interface StreamResult {
  chunks: GenerateChunk[];
  text: string;
  final: GenerateChunk;
  firstChunkAt: number;
  endedAt: number;
}

async function collect(client: InferenceClient, request: Partial<GenerateRequest>): Promise<StreamResult> {
  const chunks: GenerateChunk[] = [];
  let firstChunkAt = 0;
  for await (const chunk of streamGenerate(client, request)) {
    firstChunkAt ||= performance.now();
    chunks.push(chunk);
  }
  const final = chunks[chunks.length - 1]!;
  return { chunks, text: chunks.map((c) => c.delta).join(""), final, firstChunkAt, endedAt: performance.now() };
}

async function grpcError(promise: Promise<unknown>): Promise<{ code: number; details: string; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    if (isServiceError(error)) return { code: error.code, details: error.details, ms: performance.now() - started };
    throw error;
  }
  throw new Error("expected a gRPC error, the call succeeded");
}

const drain = async (client: InferenceClient, request: Partial<GenerateRequest>, deadline?: Date, signal?: AbortSignal) => {
  for await (const _ of streamGenerate(client, request, { deadline, signal }));
};

const generate = (client: InferenceClient, request: Partial<GenerateRequest>) =>
  new Promise((resolve, reject) => client.generate(fullRequest(request), (error, reply) => (error ? reject(error) : resolve(reply))));

const user = (content: string) => [{ role: "user", content }];

async function metricsText(service: ModelServiceProcess): Promise<string> {
  return (await fetch(service.metricsUrl)).text();
}

describe("model service (qwen slot, small profile)", () => {
  let main: ModelServiceProcess;
  let single: ModelServiceProcess;
  // One slot, one queue place, and a first token that never comes (test-only delay): whatever is admitted
  // holds its place until the caller gives up, so "full" is a state, not a race.
  let gated: ModelServiceProcess;
  let client: InferenceClient;
  let singleClient: InferenceClient;
  let gatedClient: InferenceClient;

  beforeAll(async () => {
    [main, single, gated] = await Promise.all([
      startModelService({ service: "qwen", env: { ...COMMON_ENV, MODEL_SLOTS: "2", MODEL_QUEUE_LIMIT: "4" } }),
      startModelService({ service: "qwen", env: { ...COMMON_ENV, MODEL_SLOTS: "1", MODEL_QUEUE_LIMIT: "1" } }),
      startModelService({
        service: "qwen",
        env: { ...COMMON_ENV, MODEL_SLOTS: "1", MODEL_QUEUE_LIMIT: "1", MODEL_TEST_FIRST_TOKEN_DELAY_MS: "600000" },
      }),
    ]);
    client = createInferenceClient(main.target);
    singleClient = createInferenceClient(single.target);
    gatedClient = createInferenceClient(gated.target);
  });

  /**
   * Fills the gated service (its slot and its one queue place) until `signal` aborts: of three calls sent
   * together, the first two are admitted and hold their places, the third is refused.
   */
  async function fillGated(signal: AbortSignal): Promise<{ held: Promise<unknown> }> {
    const attempt = () =>
      drain(gatedClient, { messages: user("hi"), maxTokens: 4 }, undefined, signal).then(
        () => undefined,
        (error: unknown) => error,
      );
    const attempts = [attempt(), attempt(), attempt()];
    expect(await Promise.race(attempts)).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    return { held: Promise.all(attempts) };
  }

  afterAll(async () => {
    for (const c of [client, singleClient, gatedClient]) c?.close();
    await Promise.all([main?.process.stop(), single?.process.stop(), gated?.process.stop()]);
  });

  describe("streaming", () => {
    it("streams several chunks before the final one, whose usage adds up and whose timings are ordered", async () => {
      const { chunks, final } = await collect(client, { messages: user(LONG_PROMPT), maxTokens: 24, sampling: { temperature: 0 } });
      expect(chunks.length).toBeGreaterThan(3);
      expect(chunks.slice(0, -1).every((c) => c.finishReason === FinishReason.UNSPECIFIED && c.delta.length > 0)).toBe(true);
      expect(final.finishReason).toBe(FinishReason.LENGTH);
      expect(final.usage!.completionTokens).toBe(24);
      expect(chunks.reduce((sum, c) => sum + c.tokens, 0)).toBe(final.usage!.completionTokens);
      expect(final.usage!.promptTokens).toBeGreaterThan(10);
      const t = final.timings!;
      expect(t.ttftMs).toBeGreaterThan(0);
      expect(t.ttftMs).toBeLessThanOrEqual(t.totalMs);
      expect(t.queueMs).toBeLessThanOrEqual(t.ttftMs);
      expect(t.tokensPerSecond).toBeGreaterThan(0);
    });

    it("ends naturally with STOP when the model finishes its reply", async () => {
      const { final, text } = await collect(client, {
        messages: user("What is 2+2? Answer briefly."),
        maxTokens: 200,
        sampling: { temperature: 0 },
      });
      expect(final.finishReason).toBe(FinishReason.STOP);
      expect(final.usage!.completionTokens).toBeLessThan(200);
      expect(text).toContain("4");
    });

    it("ends with STOP_SEQUENCE before a stop sequence, which is not part of the text", async () => {
      const request = { messages: user(LONG_PROMPT), maxTokens: 40, sampling: { temperature: 0, seed: 1 } };
      const free = await collect(client, request);
      const words = free.text.split(/\s+/).filter((w) => w.length >= 4);
      const stopWord = words[Math.min(3, words.length - 1)]!;
      const stopped = await collect(client, { ...request, stop: [stopWord] });
      expect(stopped.final.finishReason).toBe(FinishReason.STOP_SEQUENCE);
      expect(stopped.text).not.toContain(stopWord);
      expect(free.text.startsWith(stopped.text)).toBe(true);
    });

    it("the unary Generate gives the same greedy text as the stream", async () => {
      const request = { messages: user("Name three colors."), maxTokens: 16, sampling: { temperature: 0 } };
      const streamed = await collect(client, request);
      const unary = (await generate(client, request)) as { text: string; finishReason: FinishReason; model: string };
      expect(unary.text).toBe(streamed.text);
      expect(unary.finishReason).toBe(streamed.final.finishReason);
      expect(unary.model).toMatch(/smollm2/i);
    });
  });

  describe("determinism and constrained output", () => {
    it("temperature 0 gives the same text twice; a fixed seed repeats a sampled reply", async () => {
      const greedy = { messages: user("Tell me about the moon."), maxTokens: 24, sampling: { temperature: 0 } };
      expect((await collect(client, greedy)).text).toBe((await collect(client, greedy)).text);
      const seeded = { messages: user("Tell me about the moon."), maxTokens: 24, sampling: { temperature: 0.9, seed: 42 } };
      expect((await collect(client, seeded)).text).toBe((await collect(client, seeded)).text);
    });

    it("json_schema constrains the output to valid JSON of that schema", async () => {
      const schema = {
        type: "object",
        properties: { city: { type: "string" }, population: { type: "integer" } },
        required: ["city", "population"],
      };
      const { text, final } = await collect(client, {
        messages: user("Give the largest city of France and its population as JSON."),
        maxTokens: 120,
        sampling: { temperature: 0 },
        jsonSchema: JSON.stringify(schema),
      });
      expect(final.finishReason).toBe(FinishReason.STOP);
      const parsed = JSON.parse(text) as { city: unknown; population: unknown };
      expect(Object.keys(parsed).sort()).toEqual(["city", "population"]);
      expect(typeof parsed.city).toBe("string");
      expect(Number.isInteger(parsed.population)).toBe(true);
    });
  });

  describe("concurrency, admission and cancellation", () => {
    it("4 concurrent streams on 2 slots all complete: two run together, two wait in the queue", async () => {
      const request = { messages: user(LONG_PROMPT), maxTokens: 32, sampling: { temperature: 0 } };
      const results = await Promise.all([0, 1, 2, 3].map(() => collect(client, request)));
      for (const r of results) expect(r.final.finishReason).toBe(FinishReason.LENGTH);
      const byQueue = [...results].sort((a, b) => a.final.timings!.queueMs - b.final.timings!.queueMs);
      const [a, b, c, d] = byQueue as [StreamResult, StreamResult, StreamResult, StreamResult];
      expect(a.final.timings!.queueMs).toBeLessThan(50);
      expect(b.final.timings!.queueMs).toBeLessThan(50);
      // The first two overlapped: each produced its first chunk before the other ended.
      expect(a.firstChunkAt).toBeLessThan(b.endedAt);
      expect(b.firstChunkAt).toBeLessThan(a.endedAt);
      expect(c.final.timings!.queueMs).toBeGreaterThan(0);
      expect(d.final.timings!.queueMs).toBeGreaterThan(0);
      expect(c.final.timings!.queueMs).toBeGreaterThan(b.final.timings!.queueMs);
    });

    it("with a queue limit of 1, extra calls get RESOURCE_EXHAUSTED at once and the service stays SERVING", async () => {
      const controller = new AbortController();
      const { held } = await fillGated(controller.signal);
      const refusals = await Promise.all([0, 1, 2].map(() => grpcError(drain(gatedClient, { messages: user("one more"), maxTokens: 4 }))));
      for (const refusal of refusals) {
        expect(refusal.code).toBe(status.RESOURCE_EXHAUSTED);
        expect(refusal.ms).toBeLessThan(100);
      }
      const health = createHealthClient(gated.target);
      expect((await checkHealth(health)).status).toBe("SERVING");
      health.close();
      controller.abort();
      await held;
    });

    it("cancelling a stream mid-way frees its slot and counts a CANCELLED finish", async () => {
      const before = await metricsText(single);
      const cancelledBefore = Number(before.match(/finish_reason="cancelled"[^\n]*\} (\d+)/)?.[1] ?? 0);
      const controller = new AbortController();
      let chunks = 0;
      await expect(
        (async () => {
          for await (const _ of streamGenerate(singleClient, { ...ENDLESS, maxTokens: 1000 }, { signal: controller.signal })) {
            if (++chunks === 3) controller.abort();
          }
        })(),
      ).rejects.toMatchObject({ code: status.CANCELLED });
      // The cancelled stream had ~1000 tokens (many seconds) to go: the next request waits at most for the
      // token being decoded when the cancel arrived.
      const next = await collect(singleClient, { messages: user("hi"), maxTokens: 4 });
      expect(next.final.timings!.queueMs).toBeLessThan(1_000);
      await expect
        .poll(async () => Number((await metricsText(single)).match(/finish_reason="cancelled"[^\n]*\} (\d+)/)?.[1] ?? 0), {
          timeout: 10_000,
        })
        .toBeGreaterThan(cancelledBefore);
    });

    it("an expired deadline aborts the generation and frees the slot", async () => {
      const refusal = await grpcError(drain(singleClient, { ...ENDLESS, maxTokens: 1000 }, deadlineIn(400)));
      expect(refusal.code).toBe(status.DEADLINE_EXCEEDED);
      const next = await collect(singleClient, { messages: user("hi"), maxTokens: 4 });
      expect(next.final.timings!.queueMs).toBeLessThan(1_000);
    });
  });

  describe("bad input", () => {
    const ok = { messages: user("hi"), maxTokens: 4 };
    it.each([
      ["no messages", { messages: [] }, "messages"],
      ["an unknown role", { messages: [{ role: "wizard", content: "hi" }] }, "messages[0].role"],
      ["max_tokens 0", { ...ok, maxTokens: 0 }, "max_tokens"],
      ["negative max_tokens", { ...ok, maxTokens: -1 }, "max_tokens"],
      ["max_tokens above the context", { ...ok, maxTokens: 1_000_000 }, "max_tokens"],
      ["a negative temperature", { ...ok, sampling: { temperature: -1 } }, "sampling.temperature"],
      ["a NaN temperature", { ...ok, sampling: { temperature: Number.NaN } }, "sampling.temperature"],
      ["top_p above 1", { ...ok, sampling: { topP: 1.01 } }, "sampling.top_p"],
      ["more than 16 stop sequences", { ...ok, stop: Array.from({ length: 17 }, (_, i) => `x${i}`) }, "stop"],
      ["an invalid json_schema", { ...ok, jsonSchema: "{not json" }, "json_schema"],
    ])("%s: INVALID_ARGUMENT naming the field", async (_name, request, field) => {
      const refusal = await grpcError(drain(client, request as Partial<GenerateRequest>));
      expect(refusal.code).toBe(status.INVALID_ARGUMENT);
      expect(refusal.details.startsWith(`${field}:`)).toBe(true);
    });

    it("a prompt longer than the context is rejected before it is queued", async () => {
      // With the slot busy and the queue full, a request that reached admission would get RESOURCE_EXHAUSTED.
      const controller = new AbortController();
      const { held } = await fillGated(controller.signal);
      const refusal = await grpcError(drain(gatedClient, { messages: user("lorem ipsum ".repeat(3000)), maxTokens: 4 }));
      expect(refusal.code).toBe(status.INVALID_ARGUMENT);
      expect(refusal.details).toMatch(/^messages: the prompt is \d+ tokens .* longer than the context \(2048\)/);
      controller.abort();
      await held;
    });

    it("a request over the maximum message size gets RESOURCE_EXHAUSTED", async () => {
      const refusal = await grpcError(drain(client, { messages: user("x".repeat(5 * 1024 * 1024)), maxTokens: 4 }));
      expect(refusal.code).toBe(status.RESOURCE_EXHAUSTED);
    });

    it("keeps serving after all of that", async () => {
      const health = createHealthClient(main.target);
      expect((await checkHealth(health)).status).toBe("SERVING");
      health.close();
      expect((await collect(client, ok)).final.usage!.completionTokens).toBeGreaterThan(0);
    });
  });

  describe("metrics", () => {
    it("/metrics shows the GenAI histograms with non-zero counts", async () => {
      const text = await metricsText(main);
      for (const name of [
        "gen_ai_server_time_to_first_token_count",
        "gen_ai_server_time_per_output_token_count",
        "gen_ai_server_request_duration_count",
      ]) {
        const count = Number(text.match(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, "m"))?.[1] ?? 0);
        expect(count, name).toBeGreaterThan(0);
      }
      expect(text).toMatch(/evalstack_server_tokens_total\{[^}]*gen_ai_token_type="output"/);
    });
  });
});

describe("model service lifecycle", () => {
  it("is NOT_SERVING while loading, then SERVING", async () => {
    const service = await startModelService({ service: "qwen", env: COMMON_ENV, waitReady: false });
    try {
      const health = createHealthClient(service.target);
      let first: string | undefined;
      while (!first) {
        const { status: s, error } = await checkHealth(health, "", 500);
        if (!error) first = s;
        else if (!service.process.running) throw new Error(service.process.output());
      }
      expect(first).toBe("NOT_SERVING");
      await service.ready();
      expect((await checkHealth(health)).status).toBe("SERVING");
      health.close();
    } finally {
      await service.process.stop();
    }
  });

  it("SIGTERM during a stream lets it finish, refuses new calls, and exits 0", async () => {
    const service = await startModelService({ service: "qwen", env: { ...COMMON_ENV, SHUTDOWN_GRACE_MS: "60000" } });
    const client = createInferenceClient(service.target);
    try {
      const chunks: GenerateChunk[] = [];
      let signalled = false;
      for await (const chunk of streamGenerate(client, { ...ENDLESS, maxTokens: 100, sampling: { temperature: 0 } })) {
        chunks.push(chunk);
        if (!signalled && chunks.length === 2) {
          signalled = true;
          service.process.signal("SIGTERM");
          const health = createHealthClient(service.target);
          await expect.poll(async () => (await checkHealth(health)).status, { timeout: 10_000 }).toBe("NOT_SERVING");
          health.close();
          const refusal = await grpcError(drain(client, { messages: user("hi"), maxTokens: 2 }));
          expect(refusal.code).toBe(status.UNAVAILABLE);
          expect(refusal.details).toContain("shutting down");
        }
      }
      const final = chunks[chunks.length - 1]!;
      expect(final.finishReason).toBe(FinishReason.LENGTH);
      expect(chunks.reduce((sum, c) => sum + c.tokens, 0)).toBe(final.usage!.completionTokens);
      expect(final.usage!.completionTokens).toBeGreaterThan(90);
      expect(await service.process.exited).toEqual({ code: 0, signal: null });
    } finally {
      client.close();
      await service.process.stop();
    }
  });

  it("SIGTERM answers queued (not started) requests UNAVAILABLE at once, while the one generating drains", async () => {
    const service = await startModelService({ service: "qwen", env: { ...COMMON_ENV, MODEL_SLOTS: "1", SHUTDOWN_GRACE_MS: "60000" } });
    const client = createInferenceClient(service.target);
    try {
      const chunks: GenerateChunk[] = [];
      const refusals: Promise<{ code: number; details: string; settledAt: number }>[] = [];
      for await (const chunk of streamGenerate(client, { ...ENDLESS, maxTokens: 120, sampling: { temperature: 0 } })) {
        chunks.push(chunk);
        if (chunks.length === 2) {
          // The only slot is taken: these two wait in the queue.
          for (let i = 0; i < 2; i++) {
            refusals.push(
              grpcError(drain(client, { messages: user(`queued ${i}`), maxTokens: 8 })).then((r) => ({
                ...r,
                settledAt: performance.now(),
              })),
            );
          }
          await expect
            .poll(async () => /^evalstack_server_queue_depth\{[^}]*\} 2$/m.test(await metricsText(service)), { timeout: 20_000 })
            .toBe(true);
          service.process.signal("SIGTERM");
        }
      }
      const streamEndedAt = performance.now();
      const answered = await Promise.all(refusals);
      expect(answered).toHaveLength(2);
      for (const r of answered) {
        expect(r.code).toBe(status.UNAVAILABLE);
        expect(r.details).toMatch(/shutting down: the request was queued and not started/);
        // at once: while the generation in flight was still streaming, not after the drain
        expect(r.settledAt).toBeLessThan(streamEndedAt);
      }
      const final = chunks[chunks.length - 1]!;
      expect(final.finishReason).toBe(FinishReason.LENGTH);
      expect(final.usage!.completionTokens).toBeGreaterThan(100);
      expect(await service.process.exited).toEqual({ code: 0, signal: null });
    } finally {
      client.close();
      await service.process.stop();
    }
  });

  it.each([
    ["missing", (dir: string) => path.join(dir, "nope.gguf")],
    [
      "corrupt",
      (dir: string) => {
        const file = path.join(dir, "corrupt.gguf");
        writeFileSync(file, Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(4096, 7)]));
        return file;
      },
    ],
  ])("a %s model file makes the process exit non-zero naming the file", async (_kind, makeFile) => {
    const file = makeFile(mkdtempSync(path.join(os.tmpdir(), "evalstack-model-")));
    const child = new ManagedProcess("qwen", path.join(REPO_ROOT, "services/qwen/src/main.ts"), {
      ...COMMON_ENV,
      MODEL_SOURCE: file,
      GRPC_PORT: "0",
      MODEL_HTTP_PORT: "0",
      METRICS_PORT: "0",
    });
    const exit = await child.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(child.output()).toContain(file);
  });

  it.each([
    [
      "a model the catalog does not list",
      { MODEL_NAME: "llama" },
      /MODEL_NAME: no model \\"llama\\" in .*catalog\.yaml \(it lists qwen, phi3, /,
    ],
    ["no MODEL_NAME at all", {}, /MODEL_NAME: required/],
    [
      "a catalog with a bad entry",
      { MODEL_NAME: "x", MODEL_CATALOG: "BAD" },
      /models\[0\] \(x\)\.contextSize: Invalid input: expected number, received string/,
    ],
    [
      "a profile the entry does not have",
      { MODEL_NAME: "qwen", MODEL_PROFILE: "huge" },
      /MODEL_PROFILE: qwen has no profile 'huge' \(it has small, seed\)/,
    ],
  ])("services/model exits 2 on %s, naming it, before loading anything", async (_what, env, message) => {
    const bad = path.join(mkdtempSync(path.join(os.tmpdir(), "evalstack-catalog-")), "catalog.yaml");
    writeFileSync(
      bad,
      "defaultModels: [x]\nmodels:\n  - {name: x, ports: {grpc: 1, metrics: 2, http: 3}, contextSize: big, slots: 1, sampling: {temperature: 0, topP: 1, topK: 1, minP: 0, repeatPenalty: 1}, profiles: {}}\n",
    );
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === "BAD" ? bad : v]));
    const child = new ManagedProcess("model", path.join(REPO_ROOT, "services/model/src/main.ts"), {
      ...COMMON_ENV,
      GRPC_PORT: "0",
      METRICS_PORT: "0",
      ...resolved,
    });
    const exit = await child.exited;
    expect(exit.code).toBe(2);
    expect(child.output()).toMatch(message);
  });
});
