// The OpenAI-compatible HTTP path against the gRPC path on the same model service (issue 17): the same
// greedy streamed request, rounds interleaved (gRPC, HTTP, HTTP, gRPC, ...), one process, one slot.
//
//   npx tsx bench/openaiVsGrpc.ts [--rounds 8] [--threads 1] [--tokens 64]
//
// Prints a Markdown table; the target is a ratio measured in this one run (HTTP tokens/s / gRPC >= 0.95).
import os from "node:os";
import { parseArgs } from "node:util";
import { createInferenceClient, streamGenerate, type InferenceClient } from "@evalstack/contract";
import { startModelService } from "@evalstack/local-stack";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "8" },
    threads: { type: "string", default: "1" },
    tokens: { type: "string", default: "64" },
  },
});
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const maxTokens = Number(values.tokens);
const content = "Write a long story about a dragon who learns to cook. Use many details.";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Sample {
  /** Client side: from sending to the first text. */
  ttftMs: number;
  /** Client side: tokens after the first over the time from the first text to the end of the stream. */
  tokensPerSecond: number;
  /** What the service measured (timings.tokens_per_second). */
  serverTokensPerSecond: number;
  tokens: number;
}

async function viaGrpc(client: InferenceClient): Promise<Sample> {
  const started = performance.now();
  let first = 0;
  let tokens = 0;
  let server = 0;
  for await (const chunk of streamGenerate(client, { messages: [{ role: "user", content }], maxTokens, sampling: { temperature: 0 } })) {
    if (chunk.delta) first ||= performance.now();
    tokens += chunk.tokens;
    if (chunk.timings) server = chunk.timings.tokensPerSecond;
  }
  const ended = performance.now();
  return { ttftMs: first - started, tokensPerSecond: ((tokens - 1) * 1000) / (ended - first), serverTokensPerSecond: server, tokens };
}

async function viaHttp(baseUrl: string): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "qwen", messages: [{ role: "user", content }], max_tokens: maxTokens, temperature: 0, stream: true }),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  let first = 0;
  let tokens = 0;
  let server = 0;
  let buffer = "";
  for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const data = buffer.slice(6, end);
      buffer = buffer.slice(end + 2);
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data) as {
        choices: { delta: { content?: string } }[];
        x_evalstack?: { tokens?: number; timings?: { tokens_per_second: number } };
      };
      if (chunk.choices[0]?.delta.content) first ||= performance.now();
      tokens += chunk.x_evalstack?.tokens ?? 0;
      if (chunk.x_evalstack?.timings) server = chunk.x_evalstack.timings.tokens_per_second;
    }
  }
  const ended = performance.now();
  return { ttftMs: first - started, tokensPerSecond: ((tokens - 1) * 1000) / (ended - first), serverTokensPerSecond: server, tokens };
}

const service = await startModelService({
  service: "qwen",
  env: { MODEL_THREADS: String(threads), MODEL_CONTEXT_SIZE: "2048", MODEL_SLOTS: "1", LOG_LEVEL: "warn" },
});
const client = createInferenceClient(service.target);
try {
  await viaGrpc(client);
  await viaHttp(service.openaiBaseUrl);
  const grpc: Sample[] = [];
  const http: Sample[] = [];
  // ABBA order: drift on a shared machine (other work starting or stopping) hits both paths alike.
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      grpc.push(await viaGrpc(client));
      http.push(await viaHttp(service.openaiBaseUrl));
    } else {
      http.push(await viaHttp(service.openaiBaseUrl));
      grpc.push(await viaGrpc(client));
    }
  }
  const tokens = new Set([...grpc, ...http].map((s) => s.tokens));
  if (tokens.size !== 1) throw new Error(`the two paths generated different token counts: ${[...tokens].join(", ")}`);
  const g = (f: (s: Sample) => number) => median(grpc.map(f));
  const h = (f: (s: Sample) => number) => median(http.map(f));
  const tps = (s: Sample) => s.tokensPerSecond;
  const serverTps = (s: Sample) => s.serverTokensPerSecond;
  const ttft = (s: Sample) => s.ttftMs;

  console.log(
    `\nModel: SmolLM2-135M-Instruct Q4_1, ${threads} thread(s), 1 slot, context 2048, ${maxTokens} tokens, temperature 0, ` +
      `median of ${rounds} interleaved rounds; load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}\n`,
  );
  console.log("| figure | gRPC | OpenAI HTTP | HTTP / gRPC | target |");
  console.log("|---|---|---|---|---|");
  console.log(`| tokens/s, client side | ${g(tps).toFixed(1)} | ${h(tps).toFixed(1)} | ${(h(tps) / g(tps)).toFixed(3)} | >= 0.95 |`);
  console.log(
    `| tokens/s, as the service measured | ${g(serverTps).toFixed(1)} | ${h(serverTps).toFixed(1)} | ${(h(serverTps) / g(serverTps)).toFixed(3)} | |`,
  );
  console.log(`| TTFT p50, client side | ${g(ttft).toFixed(1)} ms | ${h(ttft).toFixed(1)} ms | ${(h(ttft) / g(ttft)).toFixed(3)} | |`);
} finally {
  client.close();
  await service.process.stop();
}
