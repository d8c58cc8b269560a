// The two protocols a generation load test speaks, behind one interface: our gRPC GenerateStream and any
// OpenAI-compatible server's streamed chat completions. Each measures on the client's clock, the same way:
// TTFT at the first chunk with text, ITL between chunks with text, TPOT = (e2e - TTFT) / (output tokens - 1).
// Neither rejects: a failed request becomes a record with its status.
import { Metadata, status as grpcStatus } from "@grpc/grpc-js";
import {
  FinishReason,
  OpenAiHttpError,
  createInferenceClient,
  finishReasonName,
  fullRequest,
  isServiceError,
  listServedModels,
  streamChatCompletion,
  waitForServing,
  type GenerateChunk,
  type InferenceClient,
  type ModelInfo,
} from "@evalstack/contract";
import type { RequestRecord } from "./llmSummary.js";
import type { Prompt } from "./prompts.js";

export const PROTOCOLS = ["grpc", "openai"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export type Measured = Omit<RequestRecord, "stage" | "tags" | "vu" | "promptId" | "startMs">;

export interface GenerateSettings {
  maxTokens: number;
  temperature?: number;
  requestTimeoutMs: number;
}

export interface GenerateClient {
  /** Resolves once the target serves (gRPC health SERVING; OpenAI: GET /models answers). */
  waitReady(timeoutMs: number): Promise<void>;
  /** What the target says about its model, printed beside the tables (null when it says nothing). */
  modelFacts(): Promise<Record<string, unknown> | null>;
  generateOnce(prompt: Prompt, settings: GenerateSettings, requestId: string, signal: AbortSignal): Promise<Measured>;
  close(): void;
}

export function createGenerateClient(options: {
  protocol: Protocol;
  target: string;
  servedModel?: string;
  apiKey?: string;
}): GenerateClient {
  return options.protocol === "grpc"
    ? new GrpcGenerateClient(options.target)
    : new OpenAiGenerateClient(options.target, options.servedModel, options.apiKey);
}

/** TPOT over the decode part of the request, as both protocols report it. */
function tpot(e2eMs: number, ttftMs: number, outputTokens: number): number | null {
  return outputTokens > 1 ? (e2eMs - ttftMs) / (outputTokens - 1) : null;
}

const statusName = (code: number) => (grpcStatus as unknown as Record<number, string>)[code] ?? `CODE_${code}`;

/** One GenerateStream call on a given client, timed on the client's clock (capacity-search shares it). */
export function grpcGenerateOnce(
  client: InferenceClient,
  prompt: Prompt,
  settings: GenerateSettings,
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
        maxTokens: settings.maxTokens,
        ...(settings.temperature === undefined ? {} : { sampling: { temperature: settings.temperature } }),
      }),
      new Metadata(),
      { deadline: new Date(Date.now() + settings.requestTimeoutMs) },
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
        tpotMs: tpot(e2eMs, ttft, outputTokens),
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

export class GrpcGenerateClient implements GenerateClient {
  private readonly client: InferenceClient;

  constructor(private readonly target: string) {
    this.client = createInferenceClient(target);
  }

  waitReady(timeoutMs: number): Promise<void> {
    return waitForServing(this.target, timeoutMs).then(() => undefined);
  }

  modelFacts(timeoutMs = 10_000): Promise<Record<string, unknown> | null> {
    return new Promise((resolve) => {
      this.client.getModelInfo({}, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (error, info?: ModelInfo) => {
        if (error || !info) return resolve(null);
        // The facts worth printing beside a latency table (not the chat template).
        const { chatTemplate: _template, ...facts } = info;
        resolve(facts as unknown as Record<string, unknown>);
      });
    });
  }

  generateOnce(prompt: Prompt, settings: GenerateSettings, requestId: string, signal: AbortSignal): Promise<Measured> {
    return grpcGenerateOnce(this.client, prompt, settings, requestId, signal);
  }

  close(): void {
    this.client.close();
  }
}

/** Any OpenAI-compatible server: POST {base}/chat/completions with stream: true and usage in the last chunk. */
export class OpenAiGenerateClient implements GenerateClient {
  constructor(
    private readonly baseUrl: string,
    private servedModel: string | undefined,
    private readonly apiKey: string | undefined,
  ) {}

  async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const served = await listServedModels(this.baseUrl, { apiKey: this.apiKey, signal: AbortSignal.timeout(5_000) });
        if (!this.servedModel) {
          if (served.length === 0) throw new Error(`${this.baseUrl}/models lists no model: set OPENAI_MODEL`);
          this.servedModel = served[0];
        }
        return;
      } catch (error) {
        if (error instanceof OpenAiHttpError && !error.retryable && error.status !== 404) throw error;
        if (Date.now() > until) throw new Error(`${this.baseUrl} did not serve within ${timeoutMs} ms: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250)); // polling GET /models until the server is up
    }
  }

  async modelFacts(): Promise<Record<string, unknown> | null> {
    // The OpenAI API reports no size, parameters or memory: only the id that answers.
    return this.servedModel ? { name: this.servedModel, protocol: "openai" } : null;
  }

  async generateOnce(prompt: Prompt, settings: GenerateSettings, _requestId: string, signal: AbortSignal): Promise<Measured> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(settings.requestTimeoutMs);
    try {
      const r = await streamChatCompletion(
        this.baseUrl,
        {
          model: this.servedModel ?? "",
          messages: prompt.messages,
          max_tokens: settings.maxTokens,
          ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
        },
        { apiKey: this.apiKey, signal: AbortSignal.any([signal, timeout]) },
      );
      const times = r.contentChunkTimes;
      const e2eMs = r.endedAt - r.sentAt;
      const ttft = (times[0] ?? r.endedAt) - r.sentAt;
      // Without usage the tokens are the content chunks (one token each on llama.cpp-style servers).
      const outputTokens = r.usage?.completionTokens ?? times.length;
      const ok = r.finishReason !== "";
      return {
        ok,
        status: ok ? "OK" : "NO_FINISH_REASON",
        finishReason: r.finishReason || "none",
        ttftMs: ttft,
        e2eMs,
        tpotMs: tpot(e2eMs, ttft, outputTokens),
        itlMs: times.slice(1).map((t, i) => t - times[i]!),
        outputTokens,
        promptTokens: r.usage?.promptTokens ?? 0,
        chunks: times.length,
        server: null,
      };
    } catch (error) {
      const e2eMs = performance.now() - started;
      const status = timeout.aborted
        ? "DEADLINE_EXCEEDED"
        : error instanceof OpenAiHttpError
          ? error.status === 0
            ? "UNAVAILABLE"
            : `HTTP_${error.status}`
          : "ERROR";
      return {
        ok: false,
        status,
        finishReason: "none",
        ttftMs: null,
        e2eMs,
        tpotMs: null,
        itlMs: [],
        outputTokens: 0,
        promptTokens: 0,
        chunks: 0,
        server: null,
        error: (error as Error)?.message ?? String(error),
      };
    }
  }

  close(): void {}
}
