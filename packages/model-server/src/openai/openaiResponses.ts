import { FinishReason, finishReasonName, type Timings } from "@evalstack/contract";
import type { Completed } from "../generationCore.js";

/** OpenAI has two finish reasons for what the contract tells apart; the exact one is in x_evalstack. */
export function openAIFinishReason(reason: FinishReason): "stop" | "length" {
  return reason === FinishReason.LENGTH ? "length" : "stop";
}

/** The service's own timings (milliseconds, measured inside the model service), snake_case as in proto/. */
export function timingsJson(t: Timings) {
  return {
    queue_ms: t.queueMs,
    ttft_ms: t.ttftMs,
    prompt_ms: t.promptMs,
    decode_ms: t.decodeMs,
    total_ms: t.totalMs,
    tokens_per_second: t.tokensPerSecond,
  };
}

export function usageJson(done: Completed) {
  return {
    prompt_tokens: done.promptTokens,
    completion_tokens: done.completionTokens,
    total_tokens: done.promptTokens + done.completionTokens,
  };
}

/** The `x_evalstack` extension on a response or on the final chunk of a stream. */
export function finalExtension(done: Completed, loadedModel: string, tokens?: number) {
  return {
    request_id: done.requestId,
    model: loadedModel,
    finish_reason: finishReasonName(done.finishReason),
    ...(tokens === undefined ? {} : { tokens }),
    timings: timingsJson(done.timings),
  };
}

export interface ResponseIdentity {
  id: string;
  created: number;
  /** The served name (`/v1/models`), as OpenAI echoes the model asked for. */
  model: string;
}

/** Builds the objects of one response, chat or text completion, streamed or not. */
export class ResponseShaper {
  private roleSent = false;

  constructor(
    private readonly kind: "chat" | "completion",
    private readonly identity: ResponseIdentity,
    private readonly loadedModel: string,
  ) {}

  private envelope(object: string) {
    return { id: this.identity.id, object, created: this.identity.created, model: this.identity.model };
  }

  private choiceDelta(text: string, finishReason: string | null) {
    if (this.kind === "completion") return { index: 0, text, logprobs: null, finish_reason: finishReason };
    const delta: { role?: "assistant"; content?: string } = {};
    if (!this.roleSent) [delta.role, this.roleSent] = ["assistant", true];
    if (text.length > 0 || finishReason === null) delta.content = text;
    return { index: 0, delta, logprobs: null, finish_reason: finishReason };
  }

  private get chunkObject(): string {
    return this.kind === "chat" ? "chat.completion.chunk" : "text_completion";
  }

  /** A chunk of text with the completion tokens it accounts for. */
  deltaChunk(text: string, tokens: number) {
    return { ...this.envelope(this.chunkObject), choices: [this.choiceDelta(text, null)], x_evalstack: { tokens } };
  }

  /** The chunk with the finish reason, the trailing tokens and the service's timings. */
  finalChunk(done: Completed) {
    return {
      ...this.envelope(this.chunkObject),
      choices: [this.choiceDelta("", openAIFinishReason(done.finishReason))],
      x_evalstack: finalExtension(done, this.loadedModel, done.trailingTokens),
    };
  }

  /** `stream_options.include_usage`: one more chunk, no choices, with the usage. */
  usageChunk(done: Completed) {
    return { ...this.envelope(this.chunkObject), choices: [], usage: usageJson(done) };
  }

  /** The whole non-streamed response. */
  response(text: string, done: Completed) {
    const finish_reason = openAIFinishReason(done.finishReason);
    const choice =
      this.kind === "chat"
        ? { index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason }
        : { index: 0, text, logprobs: null, finish_reason };
    return {
      ...this.envelope(this.kind === "chat" ? "chat.completion" : "text_completion"),
      choices: [choice],
      usage: usageJson(done),
      x_evalstack: finalExtension(done, this.loadedModel),
    };
  }
}
