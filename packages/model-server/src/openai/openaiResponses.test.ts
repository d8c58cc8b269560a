import { describe, expect, it } from "vitest";
import { FinishReason } from "@evalstack/contract";
import { AdmissionCancelledError, QueueFullError } from "../admissionQueue.js";
import { ServiceUnavailableError, type Completed } from "../generationCore.js";
import { InvalidArgument } from "../validation.js";
import { toOpenAIError } from "./openaiErrors.js";
import { ResponseShaper } from "./openaiResponses.js";

const done = (finishReason: FinishReason): Completed => ({
  requestId: "r1",
  finishReason,
  promptTokens: 10,
  completionTokens: 3,
  trailingTokens: 1,
  timings: { queueMs: 1, ttftMs: 20, promptMs: 19, decodeMs: 30, totalMs: 50, tokensPerSecond: 66.7 },
});
const identity = { id: "chatcmpl-r1", created: 1, model: "qwen" };

describe("ResponseShaper", () => {
  it("chat chunks: the role once, on the first chunk; tokens per chunk; the final chunk's finish reason and timings", () => {
    const shaper = new ResponseShaper("chat", identity, "SmolLM2");
    expect(shaper.deltaChunk("Hel", 1).choices[0]).toEqual({
      index: 0,
      delta: { role: "assistant", content: "Hel" },
      logprobs: null,
      finish_reason: null,
    });
    expect(shaper.deltaChunk("lo", 1)).toMatchObject({
      object: "chat.completion.chunk",
      choices: [{ delta: { content: "lo" } }],
      x_evalstack: { tokens: 1 },
    });
    const final = shaper.finalChunk(done(FinishReason.STOP_SEQUENCE));
    expect(final.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
    expect(final.x_evalstack).toEqual({
      request_id: "r1",
      model: "SmolLM2",
      finish_reason: "stop_sequence",
      tokens: 1,
      timings: { queue_ms: 1, ttft_ms: 20, prompt_ms: 19, decode_ms: 30, total_ms: 50, tokens_per_second: 66.7 },
    });
    expect(shaper.usageChunk(done(FinishReason.STOP))).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
  });

  it("a reply with no text still names the assistant role on its final chunk", () => {
    expect(new ResponseShaper("chat", identity, "m").finalChunk(done(FinishReason.LENGTH)).choices[0]!.delta).toEqual({
      role: "assistant",
    });
  });

  it("text completions and whole responses", () => {
    const completion = new ResponseShaper("completion", { ...identity, id: "cmpl-r1" }, "m");
    expect(completion.deltaChunk("a", 1)).toMatchObject({
      object: "text_completion",
      choices: [{ index: 0, text: "a", finish_reason: null }],
    });
    expect(completion.response("abc", done(FinishReason.LENGTH))).toMatchObject({
      object: "text_completion",
      choices: [{ text: "abc", finish_reason: "length" }],
      usage: { total_tokens: 13 },
    });
    expect(new ResponseShaper("chat", identity, "m").response("abc", done(FinishReason.STOP)).choices[0]).toMatchObject({
      message: { role: "assistant", content: "abc" },
      finish_reason: "stop",
    });
  });
});

describe("toOpenAIError", () => {
  const asSent = (field: string) => (field === "max_tokens" ? "max_completion_tokens" : field);
  it.each([
    [
      new InvalidArgument("max_tokens", "must be between 1 and 2048"),
      400,
      "invalid_request_error",
      "max_completion_tokens",
      "invalid_value",
    ],
    [
      new InvalidArgument("messages", "the prompt is 5000 tokens after the chat template, longer than the context (2048)"),
      400,
      "invalid_request_error",
      "messages",
      "context_length_exceeded",
    ],
    [new QueueFullError("all 1 slots are busy"), 429, "rate_limit_error", null, "queue_full"],
    [new ServiceUnavailableError("loading"), 503, "server_error", null, "model_loading"],
    [new ServiceUnavailableError("draining"), 503, "server_error", null, "shutting_down"],
    [new AdmissionCancelledError("cancelled while queued"), 499, "invalid_request_error", null, "cancelled"],
    [new Error("boom"), 500, "server_error", null, "internal_error"],
  ])("%s", (error, status, type, param, code) => {
    const mapped = toOpenAIError(error, asSent);
    expect({ status: mapped.httpStatus, ...mapped.body().error }).toMatchObject({ status, type, param, code });
  });

  it("names the parameter as sent in the message too", () => {
    expect(toOpenAIError(new InvalidArgument("max_tokens", "must be between 1 and 2048"), asSent).message).toBe(
      "max_completion_tokens: must be between 1 and 2048",
    );
  });
});
