// The OpenAI-compatible HTTP API of a real model service (qwen slot, SmolLM2-135M), exercised with the
// official openai npm client and with raw HTTP, beside the gRPC API on the same process.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferenceClient, streamGenerate, type GenerateChunk, type GenerateRequest, type InferenceClient } from "@evalstack/contract";
import { startModelService, waitUntil, type ModelServiceProcess } from "@evalstack/local-stack";
import { errorReply, postJson, sseData } from "./helpers/openaiHttp.js";
import { sumCounter } from "./helpers/modelServices.js";

const COMMON_ENV = { MODEL_THREADS: "1", MODEL_CONTEXT_SIZE: "2048", LOG_LEVEL: "warn" };
const LONG_PROMPT = "Write a long story about a dragon who learns to cook. Use many details.";
/** A schema that demands 250 numbers: the model cannot end early, so only max_tokens or a cancel stops it. */
const ENDLESS_SCHEMA = { type: "array", items: { type: "integer" }, minItems: 250 };
const ENDLESS_CHAT = {
  model: "qwen",
  messages: [{ role: "user" as const, content: "List numbers." }],
  response_format: { type: "json_schema" as const, json_schema: { name: "numbers", schema: ENDLESS_SCHEMA } },
};

interface Extension {
  tokens?: number;
  request_id?: string;
  model?: string;
  finish_reason?: string;
  timings?: { queue_ms: number; ttft_ms: number; prompt_ms: number; decode_ms: number; total_ms: number; tokens_per_second: number };
}
/** The x_evalstack extension of a chunk or response (not in the openai client's types). */
const ext = (value: unknown) => (value as { x_evalstack?: Extension }).x_evalstack;

async function grpcText(client: InferenceClient, request: Partial<GenerateRequest>): Promise<{ text: string; final: GenerateChunk }> {
  const chunks: GenerateChunk[] = [];
  for await (const chunk of streamGenerate(client, request)) chunks.push(chunk);
  return { text: chunks.map((c) => c.delta).join(""), final: chunks[chunks.length - 1]! };
}

const metric = async (service: ModelServiceProcess, name: string) => sumCounter(await (await fetch(service.metricsUrl)).text(), name);

describe("OpenAI-compatible API (qwen slot, small profile)", () => {
  let main: ModelServiceProcess;
  // One slot and one queue place: a cancel must free the slot for the next caller, and a full queue is a state.
  let single: ModelServiceProcess;
  let openai: OpenAI;
  let singleOpenai: OpenAI;
  let grpc: InferenceClient;
  let singleGrpc: InferenceClient;

  beforeAll(async () => {
    [main, single] = await Promise.all([
      startModelService({
        service: "qwen",
        env: { ...COMMON_ENV, MODEL_SLOTS: "2", MODEL_QUEUE_LIMIT: "4" },
        parentDeathSignal: "SIGKILL",
      }),
      startModelService({
        service: "qwen",
        env: { ...COMMON_ENV, MODEL_SLOTS: "1", MODEL_QUEUE_LIMIT: "1" },
        parentDeathSignal: "SIGKILL",
      }),
    ]);
    // maxRetries 0: the client would otherwise retry a 429 or 503 on its own, hiding what the server answered.
    openai = new OpenAI({ baseURL: main.openaiBaseUrl, apiKey: "unused", maxRetries: 0 });
    singleOpenai = new OpenAI({ baseURL: single.openaiBaseUrl, apiKey: "unused", maxRetries: 0 });
    grpc = createInferenceClient(main.target);
    singleGrpc = createInferenceClient(single.target);
  });

  afterAll(async () => {
    grpc?.close();
    singleGrpc?.close();
    await Promise.all([main?.process.stop(), single?.process.stop()]);
  });

  describe("with the openai client", () => {
    it("lists the served model", async () => {
      const models = await openai.models.list();
      expect(models.data.map((m) => m.id)).toEqual(["qwen"]);
    });

    it("a non-streamed chat completion: text, usage that adds up, finish_reason length, the service's timings", async () => {
      const reply = await openai.chat.completions.create({
        model: "qwen",
        messages: [{ role: "user", content: LONG_PROMPT }],
        max_tokens: 16,
        temperature: 0,
      });
      expect(reply.object).toBe("chat.completion");
      expect(reply.model).toBe("qwen");
      expect(reply.choices).toHaveLength(1);
      expect(reply.choices[0]!.message.role).toBe("assistant");
      expect(reply.choices[0]!.message.content!.length).toBeGreaterThan(10);
      expect(reply.choices[0]!.finish_reason).toBe("length");
      expect(reply.usage!.completion_tokens).toBe(16);
      expect(reply.usage!.prompt_tokens).toBeGreaterThan(10);
      expect(reply.usage!.total_tokens).toBe(reply.usage!.prompt_tokens + reply.usage!.completion_tokens);
      const x = ext(reply)!;
      expect(x.model).toMatch(/smollm2/i);
      expect(x.timings!.queue_ms).toBeLessThanOrEqual(x.timings!.ttft_ms);
      expect(x.timings!.ttft_ms).toBeLessThanOrEqual(x.timings!.total_ms);
      expect(x.timings!.tokens_per_second).toBeGreaterThan(0);
    });

    it("a streamed chat completion: the chunks' tokens add up to the usage, and the text is the non-streamed text", async () => {
      const request = {
        model: "qwen",
        messages: [{ role: "user" as const, content: LONG_PROMPT }],
        max_completion_tokens: 24,
        temperature: 0,
      };
      const stream = await openai.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const usageChunk = chunks[chunks.length - 1]!;
      const finalChunk = chunks[chunks.length - 2]!;
      expect(usageChunk.choices).toEqual([]);
      expect(usageChunk.usage!.completion_tokens).toBe(24);
      expect(finalChunk.choices[0]!.finish_reason).toBe("length");
      const contentChunks = chunks.slice(0, -2);
      expect(contentChunks.length).toBeGreaterThan(3);
      expect(contentChunks[0]!.choices[0]!.delta.role).toBe("assistant");
      expect(contentChunks.every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
      const tokens = chunks.reduce((sum, c) => sum + (ext(c)?.tokens ?? 0), 0);
      expect(tokens).toBe(usageChunk.usage!.completion_tokens);
      expect(ext(finalChunk)!.timings!.ttft_ms).toBeGreaterThan(0);
      const text = contentChunks.map((c) => c.choices[0]!.delta.content ?? "").join("");
      const unary = await openai.chat.completions.create(request);
      expect(text).toBe(unary.choices[0]!.message.content);
    });

    it("finish_reason stop when the model ends its reply, and when a stop sequence is hit (x_evalstack tells which)", async () => {
      const natural = await openai.chat.completions.create({
        model: "qwen",
        messages: [{ role: "user", content: "What is 2+2? Answer briefly." }],
        max_tokens: 200,
        temperature: 0,
      });
      expect(natural.choices[0]!.finish_reason).toBe("stop");
      expect(ext(natural)!.finish_reason).toBe("stop");
      expect(natural.usage!.completion_tokens).toBeLessThan(200);

      const free = await openai.chat.completions.create({
        model: "qwen",
        messages: [{ role: "user", content: LONG_PROMPT }],
        max_tokens: 40,
        temperature: 0,
      });
      const words = free.choices[0]!.message.content!.split(/\s+/).filter((w) => w.length >= 4);
      const stopWord = words[Math.min(3, words.length - 1)]!;
      const stopped = await openai.chat.completions.create({
        model: "qwen",
        messages: [{ role: "user", content: LONG_PROMPT }],
        max_tokens: 40,
        temperature: 0,
        stop: stopWord,
      });
      expect(stopped.choices[0]!.finish_reason).toBe("stop");
      expect(ext(stopped)!.finish_reason).toBe("stop_sequence");
      expect(stopped.choices[0]!.message.content).not.toContain(stopWord);
      expect(free.choices[0]!.message.content!.startsWith(stopped.choices[0]!.message.content!)).toBe(true);
    });

    it("response_format json_schema constrains the reply to the schema", async () => {
      const reply = await openai.chat.completions.create({
        model: "qwen",
        messages: [{ role: "user", content: "Give the largest city of France and its population as JSON." }],
        max_tokens: 120,
        temperature: 0,
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "city",
            schema: {
              type: "object",
              properties: { city: { type: "string" }, population: { type: "integer" } },
              required: ["city", "population"],
            },
          },
        },
      });
      const parsed = JSON.parse(reply.choices[0]!.message.content!) as { city: unknown; population: unknown };
      expect(typeof parsed.city).toBe("string");
      expect(Number.isInteger(parsed.population)).toBe(true);
    });

    it("a text completion, streamed and not, gives the same greedy text", async () => {
      const request = { model: "qwen", prompt: "Name three colors.", max_tokens: 12, temperature: 0 };
      const unary = await openai.completions.create(request);
      expect(unary.object).toBe("text_completion");
      const chunks: OpenAI.Completions.Completion[] = [];
      for await (const chunk of await openai.completions.create({ ...request, stream: true })) chunks.push(chunk);
      expect(chunks.map((c) => c.choices[0]?.text ?? "").join("")).toBe(unary.choices[0]!.text);
      expect(chunks[chunks.length - 1]!.choices[0]!.finish_reason).toBe(unary.choices[0]!.finish_reason);
      expect(chunks.reduce((sum, c) => sum + (ext(c)?.tokens ?? 0), 0)).toBe(unary.usage!.completion_tokens);
    });

    it("a bad request surfaces as the client's BadRequestError with the parameter", async () => {
      const error = await openai.chat.completions
        .create({ model: "qwen", messages: [{ role: "user", content: "hi" }], max_tokens: -1 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("max_tokens");
    });
  });

  describe("over raw HTTP", () => {
    it("a stream is server-sent events ending in data: [DONE]", async () => {
      const events = await sseData(
        await postJson(main.openaiBaseUrl, "/chat/completions", {
          model: "qwen",
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 4,
          stream: true,
        }),
      );
      expect(events[events.length - 1]).toBe("[DONE]");
      expect((events[events.length - 2] as { choices: { finish_reason: string }[] }).choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
    });

    const ok = { model: "qwen", messages: [{ role: "user", content: "hi" }], max_tokens: 4 };
    const endlessStop = Array.from({ length: 17 }, (_, i) => `x${i}`);
    it.each([
      ["negative max_tokens", "/chat/completions", { ...ok, max_tokens: -1 }, "max_tokens"],
      ["max_completion_tokens 0", "/chat/completions", { ...ok, max_tokens: undefined, max_completion_tokens: 0 }, "max_completion_tokens"],
      ["a non-numeric temperature", "/chat/completions", { ...ok, temperature: "hot" }, "temperature"],
      ["an out-of-range temperature", "/chat/completions", { ...ok, temperature: 3 }, "temperature"],
      [
        "an overflowing temperature (1e999)",
        "/chat/completions",
        `{"model":"qwen","messages":[{"role":"user","content":"hi"}],"temperature":1e999}`,
        "temperature",
      ],
      ["an unknown role", "/chat/completions", { ...ok, messages: [{ role: "wizard", content: "hi" }] }, "messages[0].role"],
      ["too many stop sequences", "/chat/completions", { ...ok, stop: endlessStop }, "stop"],
      ["malformed JSON", "/chat/completions", `{"model": "qwen", "messages": [`, null],
      [
        "an invalid response_format schema",
        "/chat/completions",
        {
          ...ok,
          response_format: {
            type: "json_schema",
            json_schema: { name: "x", schema: { type: "object", properties: { a: { type: "wat" } } } },
          },
        },
        "response_format.json_schema.schema",
      ],
      ["n = 2", "/chat/completions", { ...ok, n: 2 }, "n"],
      ["messages that are a string", "/chat/completions", { ...ok, messages: "hi" }, "messages"],
      ["a stream flag that is a string", "/chat/completions", { ...ok, stream: "yes" }, "stream"],
      ["a top_p that is an object", "/chat/completions", { ...ok, top_p: { value: 1 } }, "top_p"],
      ["a completion without a prompt", "/completions", { model: "qwen", max_tokens: 4 }, "prompt"],
      ["a completion with a negative max_tokens", "/completions", { model: "qwen", prompt: "hi", max_tokens: -3 }, "max_tokens"],
    ])("%s: 400 naming the parameter", async (_name, path, body, param) => {
      const reply = await errorReply(postJson(main.openaiBaseUrl, path, body));
      expect(reply.status).toBe(400);
      expect(reply.error.type).toBe("invalid_request_error");
      expect(reply.error.param).toBe(param);
      expect(reply.error.message.length).toBeGreaterThan(10);
    });

    it("a prompt over the context: 400 context_length_exceeded naming messages (chat) or prompt (completions)", async () => {
      const long = "lorem ipsum ".repeat(3000);
      const chat = await errorReply(
        postJson(main.openaiBaseUrl, "/chat/completions", { ...ok, messages: [{ role: "user", content: long }] }),
      );
      expect(chat).toMatchObject({ status: 400, error: { param: "messages", code: "context_length_exceeded" } });
      expect(chat.error.message).toMatch(/longer than the context \(2048\)/);
      const completion = await errorReply(postJson(main.openaiBaseUrl, "/completions", { model: "qwen", prompt: long, max_tokens: 4 }));
      expect(completion).toMatchObject({ status: 400, error: { param: "prompt", code: "context_length_exceeded" } });
    });

    it("a model this server does not serve: 404 model_not_found; unknown routes: 404", async () => {
      expect(await errorReply(postJson(main.openaiBaseUrl, "/chat/completions", { ...ok, model: "gpt-4o" }))).toMatchObject({
        status: 404,
        error: { param: "model", code: "model_not_found" },
      });
      expect((await errorReply(fetch(`${main.openaiBaseUrl}/embeddings`))).status).toBe(404);
    });

    it("a body over 4 MiB: 413 request_too_large; a GET on a POST route: 405", async () => {
      const huge = { ...ok, messages: [{ role: "user", content: "x".repeat(5 * 1024 * 1024) }] };
      expect(await errorReply(postJson(main.openaiBaseUrl, "/chat/completions", huge))).toMatchObject({
        status: 413,
        error: { code: "request_too_large" },
      });
      expect(await errorReply(fetch(`${main.openaiBaseUrl}/chat/completions`))).toMatchObject({
        status: 405,
        error: { code: "method_not_allowed" },
      });
    });

    it("keeps serving after all of that: /health SERVING and a good request answered", async () => {
      const health = await fetch(main.openaiBaseUrl.replace(/\/v1$/, "/health"));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "SERVING" });
      const reply = await openai.chat.completions.create({ model: "qwen", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
      expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    });
  });

  describe("one engine behind both protocols", () => {
    it("the same greedy request gives the same text over gRPC and over HTTP (chat and completions)", async () => {
      const content = "Tell me about the moon.";
      const viaGrpc = await grpcText(grpc, { messages: [{ role: "user", content }], maxTokens: 24, sampling: { temperature: 0 } });
      const chat = await openai.chat.completions.create({
        model: "qwen",
        messages: [{ role: "user", content }],
        max_tokens: 24,
        temperature: 0,
      });
      const completion = await openai.completions.create({ model: "qwen", prompt: content, max_tokens: 24, temperature: 0 });
      expect(viaGrpc.text.length).toBeGreaterThan(20);
      expect(chat.choices[0]!.message.content).toBe(viaGrpc.text);
      expect(completion.choices[0]!.text).toBe(viaGrpc.text);
      expect(chat.usage!.completion_tokens).toBe(viaGrpc.final.usage!.completionTokens);
      expect(chat.usage!.prompt_tokens).toBe(viaGrpc.final.usage!.promptTokens);
    });

    it("HTTP requests wait for the slot a gRPC stream holds, and are refused 429 when the queue is full", async () => {
      const grpcCancel = new AbortController();
      const held = (async () => {
        for await (const _ of streamGenerate(singleGrpc, { ...toGrpc(ENDLESS_CHAT), maxTokens: 1000 }, { signal: grpcCancel.signal }));
      })().catch((error: unknown) => error);
      await waitUntil(async () => slotsBusy(await metricText(single)) === 1, { timeoutMs: 30_000 });
      // The queue's one place: this request waits behind the gRPC stream.
      const queued = singleOpenai.chat.completions.create({ model: "qwen", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
      await waitUntil(async () => queueDepth(await metricText(single)) === 1, { timeoutMs: 30_000 });
      const refused = await errorReply(
        postJson(single.openaiBaseUrl, "/chat/completions", {
          model: "qwen",
          messages: [{ role: "user", content: "one more" }],
          max_tokens: 4,
        }),
      );
      expect(refused).toMatchObject({ status: 429, error: { type: "rate_limit_error", code: "queue_full" } });
      expect(refused.headers.get("retry-after")).toBe("1");
      grpcCancel.abort();
      expect(await held).toMatchObject({ code: 1 });
      const reply = await queued;
      expect(ext(reply)!.timings!.queue_ms).toBeGreaterThan(0);
      expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    });

    it("a client abort mid-stream cancels the generation and frees the slot: the next request does not queue", async () => {
      const cancelledBefore = await finishReasonCount(single, "cancelled");
      const controller = new AbortController();
      const stream = await singleOpenai.chat.completions.create(
        { ...ENDLESS_CHAT, max_tokens: 1000, stream: true },
        { signal: controller.signal },
      );
      let chunks = 0;
      // The client ends the iteration quietly on its own abort (or throws APIUserAbortError, by version).
      const outcome = await (async () => {
        for await (const _ of stream) if (++chunks === 3) controller.abort();
      })().then(
        () => "ended",
        (e: unknown) => e,
      );
      expect(outcome === "ended" || outcome instanceof OpenAI.APIUserAbortError).toBe(true);
      // Chunks the client had already buffered may still come out, but far fewer than the ~1000 left.
      expect(chunks).toBeGreaterThanOrEqual(3);
      expect(chunks).toBeLessThan(50);
      // ~1000 tokens (many seconds) were left: the next request waits at most for the token being decoded.
      const next = await singleOpenai.chat.completions.create({
        model: "qwen",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 4,
      });
      expect(ext(next)!.timings!.queue_ms).toBeLessThan(1_000);
      await expect.poll(() => finishReasonCount(single, "cancelled"), { timeout: 10_000 }).toBeGreaterThan(cancelledBefore);
    });

    it("HTTP generations are counted by the same metrics as gRPC ones", async () => {
      const before = await metric(main, "evalstack_server_requests_total");
      await openai.chat.completions.create({ model: "qwen", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
      await expect.poll(() => metric(main, "evalstack_server_requests_total"), { timeout: 10_000 }).toBe(before + 1);
    });
  });
});

function toGrpc(chat: typeof ENDLESS_CHAT): Partial<GenerateRequest> {
  return { messages: chat.messages, jsonSchema: JSON.stringify(chat.response_format.json_schema.schema) };
}

const metricText = async (service: ModelServiceProcess) => (await fetch(service.metricsUrl)).text();
const gauge = (text: string, name: string) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, "m"))?.[1] ?? Number.NaN);
const slotsBusy = (text: string) => gauge(text, "evalstack_server_slots_busy");
const queueDepth = (text: string) => gauge(text, "evalstack_server_queue_depth");
const finishReasonCount = async (service: ModelServiceProcess, reason: string) =>
  Number((await metricText(service)).match(new RegExp(`finish_reason="${reason}"[^\\n]*\\} (\\d+)`))?.[1] ?? 0);
