// An OpenAI-compatible server with scripted timing, for testing the load generator's OpenAI client itself (the
// real third-party peer, llama-server, is in test/openaiTarget.test.ts and the README's sweep): the first content
// chunk after `firstTokenDelayMs`, then one token per chunk every `tokenIntervalMs`, usage in the last chunk.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeOpenAiOptions {
  firstTokenDelayMs: number;
  tokenIntervalMs: number;
  /** Completion tokens per reply when the request does not ask for fewer. */
  tokens: number;
  /** Every Nth request (1-based) fails (429); 0: none fail. */
  failEvery?: number;
}

export interface FakeOpenAi {
  baseUrl: string;
  requests: () => number;
  bodies: Record<string, unknown>[];
  stop: () => Promise<void>;
}

export async function startFakeOpenAi(options: FakeOpenAiOptions): Promise<FakeOpenAi> {
  let count = 0;
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", async () => {
      if (req.method === "GET" && req.url === "/v1/models") {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ object: "list", data: [{ id: "fake-openai-model", object: "model" }] }));
        return;
      }
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") return void res.writeHead(404).end();
      const body = JSON.parse(text) as { max_tokens?: number };
      bodies.push(body);
      const n = ++count;
      if (options.failEvery && n % options.failEvery === 0) {
        res
          .writeHead(429, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { message: "queue full", type: "rate_limit_error", param: null, code: null } }));
        return;
      }
      const tokens = Math.min(options.tokens, body.max_tokens ?? options.tokens);
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
      await sleep(options.firstTokenDelayMs);
      for (let i = 0; i < tokens; i++) {
        if (i > 0) await sleep(options.tokenIntervalMs);
        chunk({
          object: "chat.completion.chunk",
          model: "fake-openai-model",
          choices: [{ index: 0, delta: { content: `t${i} ` }, finish_reason: null }],
        });
      }
      chunk({
        object: "chat.completion.chunk",
        model: "fake-openai-model",
        choices: [{ index: 0, delta: {}, finish_reason: tokens < options.tokens ? "length" : "stop" }],
      });
      chunk({
        object: "chat.completion.chunk",
        model: "fake-openai-model",
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: tokens, total_tokens: 9 + tokens },
      });
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests: () => count,
    bodies,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
