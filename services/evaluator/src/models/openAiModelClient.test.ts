// The OpenAI client and the retry logic around it, against a scripted HTTP server (a fake is fine here: the code
// under test is the SSE reading, the timing and the error classification; test/openaiTarget.test.ts runs the
// real llama-server).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GenerationFailed, generateWithRetries, toGenerateRequest } from "./generation.js";
import { ModelHandle } from "./modelRegistry.js";

type Handler = (req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse, call: number) => void;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(handler: Handler) {
  let calls = 0;
  const bodies: Record<string, unknown>[] = [];
  const headers: IncomingMessage["headers"][] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", () => {
      if (req.url === "/v1/models") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "tiny" }] }));
        return;
      }
      const body = JSON.parse(text) as Record<string, unknown>;
      bodies.push(body);
      headers.push(req.headers);
      handler(req, body, res, ++calls);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, bodies, headers, calls: () => calls };
}

function stream(res: ServerResponse, pieces: string[], usage = { prompt_tokens: 7, completion_tokens: pieces.length }, finish = "stop") {
  res.writeHead(200, { "content-type": "text/event-stream" });
  for (const p of pieces)
    res.write(`data: ${JSON.stringify({ model: "tiny", choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ model: "tiny", choices: [{ index: 0, delta: {}, finish_reason: finish }] })}\r\n\r\n`);
  res.write(`data: ${JSON.stringify({ model: "tiny", choices: [], usage })}\n\n`);
  res.end("data: [DONE]\n\n");
}

const request = {
  ...toGenerateRequest("r1", [{ role: "user", content: "hi" }], { temperature: 0, seed: 3, top_k: 40 }, 8),
  stop: ["\n\n"],
};
const fast = { attemptTimeoutMs: 5_000, backoff: { baseMs: 1, maxMs: 5 } };
const handleFor = (url: string, extra: { apiKey?: string; servedModel?: string } = {}) =>
  new ModelHandle({ kind: "openai", name: "o", target: url, concurrency: 2, ...extra });

describe("an OpenAI-compatible target", () => {
  it("streams a chat completion with usage, measures TTFT and tokens/s client-side, and sends the key", async () => {
    const server = await serve((_req, _body, res) => stream(res, ["Hel", "lo", "!"]));
    const handle = handleFor(server.url, { apiKey: "sk-test" });
    const deltas: string[] = [];
    const { generation } = await generateWithRetries(handle, request, { ...fast, retryBudgetMs: 1_000, onDelta: (d) => deltas.push(d) });
    expect(generation).toMatchObject({ text: "Hello!", finish_reason: "stop", prompt_tokens: 7, completion_tokens: 3 });
    expect(deltas).toEqual(["Hel", "lo", "!"]);
    expect(generation.timings.queue_ms).toBe(0);
    expect(generation.timings.ttft_ms).toBe(generation.client_ttft_ms);
    expect(generation.timings.total_ms).toBeGreaterThanOrEqual(generation.timings.ttft_ms + generation.timings.decode_ms);
    expect(server.bodies[0]).toMatchObject({
      model: "tiny", // the first model GET /v1/models lists
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 8,
      temperature: 0,
      seed: 3,
      top_k: 40,
      stop: ["\n\n"],
      messages: [{ role: "user", content: "hi" }],
    });
    expect(server.headers[0]!.authorization).toBe("Bearer sk-test");
    expect(handle.limiter.capacity).toBe(2); // the configured concurrency: no GetModelInfo to ask
  });

  it("describes itself with the served model only", async () => {
    const server = await serve(() => undefined);
    expect(await handleFor(server.url, { servedModel: "tiny" }).describe()).toEqual({ kind: "openai", modelName: "tiny" });
    await expect(handleFor(server.url, { servedModel: "other" }).describe()).rejects.toThrow(/does not serve "other"; it lists tiny/);
  });

  it("retries 429 and 503 within the budget", async () => {
    const server = await serve((_req, _body, res, call) => {
      if (call === 1)
        res.writeHead(429, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "busy", type: "rate_limit" } }));
      else if (call === 2) res.writeHead(503).end("loading");
      else stream(res, ["ok"]);
    });
    const { generation, attempts } = await generateWithRetries(handleFor(server.url), request, { ...fast, retryBudgetMs: 5_000 });
    expect(attempts).toBe(3);
    expect(generation.text).toBe("ok");
  });

  it("fails at once on a 400, with the server's message", async () => {
    const server = await serve((_req, _body, res) =>
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: "max_tokens must be positive", type: "invalid_request_error", param: "max_tokens" } })),
    );
    const error = (await generateWithRetries(handleFor(server.url), request, { ...fast, retryBudgetMs: 5_000 }).catch(
      (e: unknown) => e,
    )) as GenerationFailed;
    expect(error).toBeInstanceOf(GenerationFailed);
    expect(error.reason).toBe("HTTP_400: POST /chat/completions: HTTP 400: max_tokens must be positive");
    expect(server.calls()).toBe(1);
  });

  it("retries a refused connection until the budget runs out, then names the cause", async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await new Promise((r) => servers.pop()!.close(r));
    const error = (await generateWithRetries(handleFor(url, { servedModel: "tiny" }), request, { ...fast, retryBudgetMs: 100 }).catch(
      (e: unknown) => e,
    )) as GenerationFailed;
    expect(error.attempts).toBeGreaterThan(1);
    expect(error.reason).toMatch(/^UNAVAILABLE: POST \/chat\/completions: cannot reach .*ECONNREFUSED.*gave up after/);
  });

  it("treats a stream cut before its end as retryable, and a stream error event as a failure", async () => {
    const server = await serve((_req, _body, res, call) => {
      if (call === 1)
        res
          .writeHead(200, { "content-type": "text/event-stream" })
          .end(`data: ${JSON.stringify({ choices: [{ delta: { content: "par" } }] })}\n\n`);
      else stream(res, ["whole"], { prompt_tokens: 1, completion_tokens: 1 }, "length");
    });
    const { generation, attempts } = await generateWithRetries(handleFor(server.url), request, { ...fast, retryBudgetMs: 5_000 });
    expect(attempts).toBe(2);
    expect(generation).toMatchObject({ text: "whole", finish_reason: "length" });

    const broken = await serve((_req, _body, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: {"error": {"message": "context overflow"}}\n\n`);
    });
    const error = (await generateWithRetries(handleFor(broken.url), request, { ...fast, retryBudgetMs: 50 }).catch(
      (e: unknown) => e,
    )) as GenerationFailed;
    expect(error.reason).toMatch(/mid-stream: context overflow/);
  });

  it("is SERVING while GET /models answers, NOT_SERVING with the reason when it does not", async () => {
    const server = await serve(() => undefined);
    const handle = handleFor(server.url);
    expect(await handle.checkHealth()).toEqual({ status: "SERVING" });
    await new Promise((r) => servers.pop()!.close(r));
    const health = await handle.checkHealth();
    expect(health.status).toBe("NOT_SERVING");
    expect(health.error).toMatch(/ECONNREFUSED/);
  });
});
