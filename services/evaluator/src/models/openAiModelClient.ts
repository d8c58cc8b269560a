// Any OpenAI-compatible server (vLLM, TGI, llama-server, Ollama, KServe, our own model services' HTTP API) as a
// model under evaluation: a streamed chat completion per attempt, with usage (stream_options.include_usage).
// Such a server reports no timings or model facts of its own, so everything here is measured client-side:
// TTFT at the first content token, tokens/s from usage over the decode span (first to last content token).
import {
  OpenAiHttpError,
  listServedModels,
  streamChatCompletion,
  type GenerateRequest,
  type OpenAiChatRequest,
  type OpenAiStreamResult,
} from "@evalstack/contract";
import {
  AttemptFailure,
  decodeRate,
  type AttemptOptions,
  type Generation,
  type ModelClient,
  type TargetDescription,
} from "./modelClient.js";
import type { OpenAiTargetSpec } from "./targetSpec.js";

export class OpenAiModelClient implements ModelClient {
  readonly kind = "openai" as const;
  private servedModel: string | undefined;

  constructor(private readonly spec: OpenAiTargetSpec) {
    this.servedModel = spec.servedModel;
  }

  get target(): string {
    return this.spec.target;
  }

  async describe(timeoutMs: number): Promise<TargetDescription> {
    const served = await listServedModels(this.spec.target, { apiKey: this.spec.apiKey, signal: AbortSignal.timeout(timeoutMs) }).catch(
      (error) => {
        throw asFailure(error, "GET /models");
      },
    );
    if (this.spec.servedModel) {
      if (served.length > 0 && !served.includes(this.spec.servedModel)) {
        throw new AttemptFailure(
          false,
          "NOT_FOUND",
          `${this.spec.target} does not serve "${this.spec.servedModel}"; it lists ${served.join(", ")}`,
        );
      }
    } else {
      if (served.length === 0)
        throw new AttemptFailure(false, "NOT_FOUND", `${this.spec.target}/models lists no model: name one with #model in EVALSTACK_MODELS`);
      this.servedModel = served[0];
    }
    return { kind: "openai", modelName: this.servedModel! };
  }

  async checkHealth(timeoutMs: number): Promise<{ status: string; error?: string }> {
    try {
      await listServedModels(this.spec.target, { apiKey: this.spec.apiKey, signal: AbortSignal.timeout(timeoutMs) });
      return { status: "SERVING" };
    } catch (error) {
      return { status: "NOT_SERVING", error: asFailure(error, "GET /models").message };
    }
  }

  async generate(request: Partial<GenerateRequest>, options: AttemptOptions): Promise<Generation> {
    const model = this.servedModel ?? (await this.describe(Math.min(options.timeoutMs, 10_000))).modelName;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let result: OpenAiStreamResult;
    try {
      result = await streamChatCompletion(this.spec.target, toChatRequest(model, request), {
        apiKey: this.spec.apiKey,
        signal,
        onDelta: options.onDelta,
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) throw new AttemptFailure(true, "DEADLINE_EXCEEDED", `no complete reply within ${options.timeoutMs} ms`);
      throw asFailure(error, "POST /chat/completions");
    }
    const first = result.contentChunkTimes[0] ?? result.endedAt;
    const last = result.contentChunkTimes.at(-1) ?? result.endedAt;
    const completionTokens = result.usage?.completionTokens ?? 0;
    const ttft = first - result.sentAt;
    const total = result.endedAt - result.sentAt;
    const decode = last - first;
    return {
      text: result.text,
      finish_reason: finishReason(result.finishReason),
      prompt_tokens: result.usage?.promptTokens ?? 0,
      completion_tokens: completionTokens,
      timings: { queue_ms: 0, ttft_ms: ttft, decode_ms: decode, total_ms: total, tokens_per_second: decodeRate(completionTokens, decode) },
      client_ttft_ms: ttft,
      client_total_ms: total,
    };
  }

  close(): void {}
}

/** The contract's request as an OpenAI chat completion body (grammar-constrained output as json_schema). */
export function toChatRequest(model: string, request: Partial<GenerateRequest>): OpenAiChatRequest {
  const s = request.sampling;
  const body: OpenAiChatRequest = { model, messages: (request.messages ?? []).map((m) => ({ role: m.role, content: m.content })) };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (s?.temperature !== undefined) body.temperature = s.temperature;
  if (s?.topP !== undefined) body.top_p = s.topP;
  if (s?.seed !== undefined) body.seed = s.seed;
  if (s?.topK !== undefined) body.top_k = s.topK;
  if (s?.minP !== undefined) body.min_p = s.minP;
  if (s?.repeatPenalty !== undefined) body.repeat_penalty = s.repeatPenalty;
  if (request.stop?.length) body.stop = request.stop;
  if (request.jsonSchema)
    body.response_format = {
      type: "json_schema",
      json_schema: { name: "reply", schema: JSON.parse(request.jsonSchema) as unknown, strict: true },
    };
  return body;
}

/** OpenAI finish reasons in the contract's words ("stop", "length"; anything else as sent, lower-cased; none = "unspecified"). */
function finishReason(reason: string): string {
  return reason ? reason.toLowerCase() : "unspecified";
}

function asFailure(error: unknown, call: string): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (error instanceof OpenAiHttpError) {
    const code = error.status === 0 ? "UNAVAILABLE" : `HTTP_${error.status}`;
    return new AttemptFailure(error.retryable, code, `${call}: ${error.message}`);
  }
  return new AttemptFailure(false, "INTERNAL", `${call}: ${(error as Error)?.message ?? String(error)}`);
}
