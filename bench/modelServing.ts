// Model serving benchmarks (issue 2): serving overhead against node-llama-cpp in-process, batching, memory.
//
//   npx tsx bench/modelServing.ts [--rounds 5] [--threads 1] [--tokens 64]
//
// Prints a Markdown table of figures; every target is a ratio measured in this one run.
import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { getLlama, LlamaChat, LlamaLogLevel } from "node-llama-cpp";
import { createInferenceClient, streamGenerate, type InferenceClient } from "@evalstack/contract";
import { startModelService } from "@evalstack/local-stack";
import { defaultModelCacheDir, loadCatalog, profileSource } from "@evalstack/model-catalog";
import { ModelEngine } from "@evalstack/model-server";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    threads: { type: "string", default: "1" },
    tokens: { type: "string", default: "64" },
  },
});
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const maxTokens = Number(values.tokens);
const modelPath = profileSource(loadCatalog().profile("qwen", "small"), defaultModelCacheDir()).source;
const contextSize = 2048;
const prompt = "Write a long story about a dragon who learns to cook. Use many details.";
const messages = [{ role: "user", content: prompt }];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Sample {
  ttftMs: number;
  tokensPerSecond: number;
  tokens: number;
}

// In-process baseline: node-llama-cpp alone, same model, threads, context and sampling, one sequence.
const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize, sequences: 1, threads });
const chat = new LlamaChat({ contextSequence: context.getSequence() });

async function inProcess(): Promise<Sample> {
  const started = performance.now();
  let first = 0;
  let tokens = 0;
  await chat.generateResponse(ModelEngine.chatHistory(messages), {
    maxTokens,
    temperature: 0,
    repeatPenalty: false,
    onToken: (t) => {
      first ||= performance.now();
      tokens += t.length;
    },
  });
  const ended = performance.now();
  return { ttftMs: first - started, tokensPerSecond: ((tokens - 1) * 1000) / (ended - first), tokens };
}

async function throughService(client: InferenceClient): Promise<Sample> {
  const started = performance.now();
  let first = 0;
  let tokens = 0;
  for await (const chunk of streamGenerate(client, { messages, maxTokens, sampling: { temperature: 0, repeatPenalty: 1 } })) {
    if (chunk.delta) first ||= performance.now();
    tokens += chunk.tokens;
  }
  const ended = performance.now();
  return { ttftMs: first - started, tokensPerSecond: ((tokens - 1) * 1000) / (ended - first), tokens };
}

const service = await startModelService({
  service: "qwen",
  env: { MODEL_THREADS: String(threads), MODEL_CONTEXT_SIZE: String(contextSize), MODEL_SLOTS: "8", LOG_LEVEL: "warn" },
});
const client = createInferenceClient(service.target);
try {
  await inProcess();
  await throughService(client);
  // Interleaved rounds, so drift on a shared machine hits both sides alike.
  const local: Sample[] = [];
  const served: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    local.push(await inProcess());
    served.push(await throughService(client));
  }
  const localTps = median(local.map((s) => s.tokensPerSecond));
  const servedTps = median(served.map((s) => s.tokensPerSecond));
  const ttftOverhead = median(served.map((s, i) => s.ttftMs - local[i]!.ttftMs));

  // Batching: aggregate completion tokens per second of wall time at each concurrency.
  const batching: { concurrency: number; tokensPerSecond: number }[] = [];
  for (const concurrency of [1, 2, 4, 8]) {
    const started = performance.now();
    const samples = await Promise.all(Array.from({ length: concurrency }, () => throughService(client)));
    const wall = (performance.now() - started) / 1000;
    batching.push({ concurrency, tokensPerSecond: samples.reduce((a, s) => a + s.tokens, 0) / wall });
  }
  const single = batching[0]!.tokensPerSecond;

  const info = await new Promise<{ ramBytes: number; fileSizeBytes: number; slots: number; contextSize: number }>((resolve, reject) =>
    client.getModelInfo({}, (error, reply) => (error ? reject(error) : resolve(reply!))),
  );
  const fileBytes = (await stat(modelPath)).size;
  const mib = (b: number) => (b / 1024 / 1024).toFixed(0);

  console.log(
    `\nModel: SmolLM2-135M-Instruct Q4_1, ${threads} thread(s), context ${contextSize}, ${maxTokens} tokens, median of ${rounds}\n`,
  );
  console.log("| figure | value | target |");
  console.log("|---|---|---|");
  console.log(`| tokens/s in-process (node-llama-cpp) | ${localTps.toFixed(1)} | |`);
  console.log(`| tokens/s through the gRPC service | ${servedTps.toFixed(1)} | |`);
  console.log(`| serving throughput ratio | ${(servedTps / localTps).toFixed(3)} | >= 0.97 |`);
  console.log(`| TTFT overhead p50 (service - in-process) | ${ttftOverhead.toFixed(1)} ms | <= 5 ms |`);
  for (const b of batching) {
    console.log(
      `| aggregate tokens/s at ${b.concurrency} streams | ${b.tokensPerSecond.toFixed(1)} (${(b.tokensPerSecond / single).toFixed(2)}x) | ${b.concurrency === 4 ? ">= 1.3x" : ""} |`,
    );
  }
  console.log(`| RSS after load and use (${info.slots} slots x ${info.contextSize} ctx) | ${mib(info.ramBytes)} MiB | |`);
  console.log(`| RSS minus model file (${mib(fileBytes)} MiB) | ${mib(info.ramBytes - fileBytes)} MiB | |`);
} finally {
  client.close();
  await service.process.stop();
  await chat.dispose();
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}
