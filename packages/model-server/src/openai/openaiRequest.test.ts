import { describe, expect, it } from "vitest";
import { OpenAIError } from "./openaiErrors.js";
import { parseChatRequest, parseCompletionRequest } from "./openaiRequest.js";

const chat = { model: "qwen", messages: [{ role: "user", content: "hi" }] };

function refusal(parse: () => unknown): { param: string | null; code: string | null; status: number } {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(OpenAIError);
    const e = error as OpenAIError;
    return { param: e.param, code: e.code, status: e.httpStatus };
  }
  throw new Error("expected the request to be refused");
}

describe("parseChatRequest", () => {
  it("maps OpenAI's fields onto the contract's request", () => {
    const parsed = parseChatRequest({
      ...chat,
      messages: [
        { role: "developer", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "Hello " },
            { type: "text", text: "there" },
          ],
        },
      ],
      max_completion_tokens: 12,
      temperature: 0,
      top_p: 0.9,
      seed: 7,
      stop: "\n",
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    });
    expect(parsed.generate).toEqual({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello there" },
      ],
      sampling: { temperature: 0, topP: 0.9, topK: undefined, minP: undefined, repeatPenalty: undefined, seed: 7 },
      maxTokens: 12,
      stop: ["\n"],
      jsonSchema: '{"type":"object"}',
    });
    expect(parsed).toMatchObject({ kind: "chat", model: "qwen", stream: true, includeUsage: true });
    // The core's field names read as the request spelled them.
    expect(parsed.paramOf("max_tokens")).toBe("max_completion_tokens");
    expect(parsed.paramOf("json_schema")).toBe("response_format.json_schema.schema");
    expect(parsed.paramOf("sampling.top_p")).toBe("top_p");
    expect(parsed.paramOf("messages[0].role")).toBe("messages[0].role");
  });

  it("json_object is any JSON object; text is unconstrained", () => {
    expect(parseChatRequest({ ...chat, response_format: { type: "json_object" } }).generate.jsonSchema).toBe('{"type":"object"}');
    expect(parseChatRequest({ ...chat, response_format: { type: "text" } }).generate.jsonSchema).toBe("");
  });

  it.each([
    ["a body that is not an object", [1, 2], null],
    ["messages not an array", { messages: "hi" }, "messages"],
    ["an unknown role", { messages: [{ role: "wizard", content: "hi" }] }, "messages[0].role"],
    ["a tool role", { messages: [{ role: "tool", content: "hi" }] }, "messages[0].role"],
    [
      "an image part",
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] },
      "messages[0].content[0]",
    ],
    ["a numeric content", { messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
    ["a string temperature", { ...chat, temperature: "0.5" }, "temperature"],
    ["a temperature above 2", { ...chat, temperature: 2.5 }, "temperature"],
    ["an infinite temperature (1e999 in JSON)", { ...chat, temperature: Number.POSITIVE_INFINITY }, "temperature"],
    ["top_p 0", { ...chat, top_p: 0 }, "top_p"],
    ["a fractional max_tokens", { ...chat, max_tokens: 1.5 }, "max_tokens"],
    ["a string max_completion_tokens", { ...chat, max_completion_tokens: "8" }, "max_completion_tokens"],
    ["a negative seed", { ...chat, seed: -1 }, "seed"],
    ["n = 2", { ...chat, n: 2 }, "n"],
    ["stream not a boolean", { ...chat, stream: "yes" }, "stream"],
    ["stream_options without stream", { ...chat, stream_options: { include_usage: true } }, "stream_options"],
    ["a stop that is a number", { ...chat, stop: 5 }, "stop"],
    ["a stop array with a number", { ...chat, stop: ["a", 5] }, "stop[1]"],
    ["an unknown response_format type", { ...chat, response_format: { type: "yaml" } }, "response_format.type"],
    [
      "a json_schema without a schema",
      { ...chat, response_format: { type: "json_schema", json_schema: { name: "x" } } },
      "response_format.json_schema.schema",
    ],
    ["presence_penalty", { ...chat, presence_penalty: 0.5 }, "presence_penalty"],
    ["tools", { ...chat, tools: [{ type: "function", function: { name: "f" } }] }, "tools"],
    ["a model that is not a string", { ...chat, model: 3 }, "model"],
  ])("refuses %s with a 400 naming the parameter", (_name, body, param) => {
    expect(refusal(() => parseChatRequest(body))).toMatchObject({ status: 400, param });
  });

  it("takes the no-op values of unsupported parameters (what clients send by default)", () => {
    expect(() => parseChatRequest({ ...chat, presence_penalty: 0, frequency_penalty: 0, logprobs: false, tools: [], n: 1 })).not.toThrow();
  });
});

describe("parseCompletionRequest", () => {
  it("sends the prompt as one user turn and names it `prompt` in errors", () => {
    const parsed = parseCompletionRequest({ model: "qwen", prompt: ["Say hi"], max_tokens: 3 });
    expect(parsed.generate.messages).toEqual([{ role: "user", content: "Say hi" }]);
    expect(parsed.paramOf("messages")).toBe("prompt");
    expect(parsed.kind).toBe("completion");
  });

  it.each([
    ["no prompt", {}, "prompt"],
    ["two prompts", { prompt: ["a", "b"] }, "prompt"],
    ["token ids", { prompt: [1, 2, 3] }, "prompt"],
    ["echo", { prompt: "a", echo: true }, "echo"],
    ["best_of 2", { prompt: "a", best_of: 2 }, "best_of"],
  ])("refuses %s", (_name, body, param) => {
    expect(refusal(() => parseCompletionRequest(body))).toMatchObject({ status: 400, param });
  });
});
