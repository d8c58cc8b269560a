import type { GenerateRequest, Message, SamplingParams } from "@evalstack/contract";
import { invalidParam, type ParamNames } from "./openaiErrors.js";

/** A parsed OpenAI request: what the serving core is asked to do, and how the answer is to be shaped. */
export interface ParsedOpenAIRequest {
  kind: "chat" | "completion";
  /** The `model` sent ("" when omitted); the server checks it against the names it serves. */
  model: string;
  generate: Omit<GenerateRequest, "requestId">;
  stream: boolean;
  includeUsage: boolean;
  /** Core field names as this request spelled them (for error messages). */
  paramOf: ParamNames;
}

type Json = Record<string, unknown>;

const ROLES: Record<string, Message["role"]> = { system: "system", developer: "system", user: "user", assistant: "assistant" };

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

function optionalNumber(body: Json, param: string, integer = false): number | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || (integer && !Number.isInteger(value))) {
    throw invalidParam(
      param,
      `expected ${integer ? "an integer" : "a number"}, got ${typeName(value)} ${JSON.stringify(value)}`,
      "invalid_type",
    );
  }
  return value;
}

function inRange(param: string, value: number | undefined, min: number, max: number, openMin = false): number | undefined {
  if (value === undefined) return undefined;
  if (value < min || value > max || (openMin && value === min)) {
    throw invalidParam(param, `must be in ${openMin ? "(" : "["}${min}, ${max}], got ${value}`);
  }
  return value;
}

function optionalBoolean(body: Json, param: string): boolean | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidParam(param, `expected a boolean, got ${typeName(value)}`, "invalid_type");
  return value;
}

/** Parameters of OpenAI's API this server does not implement: refused when set to anything but their no-op value. */
function refuseUnsupported(body: Json, params: Record<string, (v: unknown) => boolean>): void {
  for (const [param, isNoOp] of Object.entries(params)) {
    const value = body[param];
    if (value !== undefined && value !== null && !isNoOp(value)) {
      throw invalidParam(param, "is not supported by this server", "unsupported_parameter");
    }
  }
}

function contentText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part, j) => {
        if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") {
          throw invalidParam(`${param}[${j}]`, 'only text parts ({"type": "text", "text": "..."}) are supported', "unsupported_value");
        }
        return part.text;
      })
      .join("");
  }
  throw invalidParam(param, `expected a string or an array of text parts, got ${typeName(content)}`, "invalid_type");
}

function parseMessages(value: unknown): Message[] {
  if (!Array.isArray(value)) throw invalidParam("messages", `expected an array of messages, got ${typeName(value)}`, "invalid_type");
  return value.map((m, i) => {
    if (!isObject(m)) throw invalidParam(`messages[${i}]`, `expected an object, got ${typeName(m)}`, "invalid_type");
    const role = typeof m.role === "string" ? ROLES[m.role] : undefined;
    if (!role) {
      throw invalidParam(`messages[${i}].role`, `unknown role ${JSON.stringify(m.role)} (expected system, developer, user or assistant)`);
    }
    return { role, content: contentText(m.content, `messages[${i}].content`) };
  });
}

function parseStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    return value.map((s, i) => {
      if (typeof s !== "string") throw invalidParam(`stop[${i}]`, `expected a string, got ${typeName(s)}`, "invalid_type");
      return s;
    });
  }
  throw invalidParam("stop", `expected a string or an array of strings, got ${typeName(value)}`, "invalid_type");
}

/** response_format → the JSON Schema text the core constrains the output with ("" for plain text). */
function parseResponseFormat(value: unknown): { schema: string; param: string } {
  if (value === undefined || value === null) return { schema: "", param: "response_format" };
  if (!isObject(value)) throw invalidParam("response_format", `expected an object, got ${typeName(value)}`, "invalid_type");
  switch (value.type) {
    case "text":
      return { schema: "", param: "response_format" };
    case "json_object":
      return { schema: JSON.stringify({ type: "object" }), param: "response_format" };
    case "json_schema": {
      const spec = value.json_schema;
      if (!isObject(spec)) throw invalidParam("response_format.json_schema", "expected an object with a schema", "invalid_type");
      if (!isObject(spec.schema)) {
        throw invalidParam(
          "response_format.json_schema.schema",
          `expected a JSON Schema object, got ${typeName(spec.schema)}`,
          "invalid_type",
        );
      }
      return { schema: JSON.stringify(spec.schema), param: "response_format.json_schema.schema" };
    }
    default:
      throw invalidParam("response_format.type", `expected text, json_object or json_schema, got ${JSON.stringify(value.type)}`);
  }
}

/** The fields /v1/chat/completions and /v1/completions share. */
function parseCommon(
  body: Json,
  kind: "chat" | "completion",
): Omit<ParsedOpenAIRequest, "generate" | "paramOf"> & {
  sampling: SamplingParams;
  maxTokens: number | undefined;
  maxTokensParam: string;
  stop: string[];
} {
  if (body.model !== undefined && typeof body.model !== "string") {
    throw invalidParam("model", `expected a string, got ${typeName(body.model)}`, "invalid_type");
  }
  const n = optionalNumber(body, "n", true);
  if (n !== undefined && n !== 1) throw invalidParam("n", `only n = 1 is supported, got ${n}`, "unsupported_value");
  const stream = optionalBoolean(body, "stream") ?? false;
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!isObject(body.stream_options)) throw invalidParam("stream_options", "expected an object", "invalid_type");
    if (!stream) throw invalidParam("stream_options", "only allowed when stream is true");
    includeUsage = optionalBoolean(body.stream_options, "include_usage") ?? false;
  }
  const maxTokensParam = kind === "chat" && body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  const maxTokens = optionalNumber(body, maxTokensParam, true);
  refuseUnsupported(body, {
    frequency_penalty: (v) => v === 0,
    presence_penalty: (v) => v === 0,
    logprobs: (v) => v === false || v === 0,
    top_logprobs: (v) => v === 0,
    logit_bias: (v) => isObject(v) && Object.keys(v).length === 0,
    tools: (v) => Array.isArray(v) && v.length === 0,
    functions: (v) => Array.isArray(v) && v.length === 0,
    ...(kind === "completion"
      ? { echo: (v: unknown) => v === false, best_of: (v: unknown) => v === 1, suffix: (v: unknown) => v === "" }
      : {}),
  });
  const seed = inRange("seed", optionalNumber(body, "seed", true), 0, 0xffffffff);
  // OpenAI's ranges; top_k, min_p and repeat_penalty are llama.cpp's extensions, as llama-server takes them.
  const sampling: SamplingParams = {
    temperature: inRange("temperature", optionalNumber(body, "temperature"), 0, 2),
    topP: inRange("top_p", optionalNumber(body, "top_p"), 0, 1, true),
    topK: optionalNumber(body, "top_k", true),
    minP: optionalNumber(body, "min_p"),
    repeatPenalty: optionalNumber(body, "repeat_penalty"),
    seed,
  };
  return {
    kind,
    model: (body.model as string | undefined) ?? "",
    stream,
    includeUsage,
    sampling,
    maxTokens,
    maxTokensParam,
    stop: parseStop(body.stop),
  };
}

function paramNames(overrides: Record<string, string>): ParamNames {
  return (field) => {
    if (field in overrides) return overrides[field]!;
    if (field.startsWith("sampling.")) return field.slice("sampling.".length);
    return field;
  };
}

export function parseChatRequest(body: unknown): ParsedOpenAIRequest {
  if (!isObject(body)) throw invalidParam(null, `the request body must be a JSON object, got ${typeName(body)}`, "invalid_type");
  const common = parseCommon(body, "chat");
  const messages = parseMessages(body.messages);
  const format = parseResponseFormat(body.response_format);
  return {
    ...common,
    generate: { messages, sampling: common.sampling, maxTokens: common.maxTokens, stop: common.stop, jsonSchema: format.schema },
    paramOf: paramNames({ max_tokens: common.maxTokensParam, json_schema: format.param }),
  };
}

/**
 * /v1/completions: the prompt is sent as one user turn through the model's chat template, exactly what
 * the gRPC contract (messages only) does with it; the engine has no raw-text continuation.
 */
export function parseCompletionRequest(body: unknown): ParsedOpenAIRequest {
  if (!isObject(body)) throw invalidParam(null, `the request body must be a JSON object, got ${typeName(body)}`, "invalid_type");
  const common = parseCommon(body, "completion");
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
  if (Array.isArray(prompt)) throw invalidParam("prompt", `one prompt per request is supported, got ${prompt.length}`, "unsupported_value");
  if (typeof prompt !== "string") throw invalidParam("prompt", `expected a string, got ${typeName(prompt)}`, "invalid_type");
  const format = parseResponseFormat(body.response_format);
  return {
    ...common,
    generate: {
      messages: [{ role: "user", content: prompt }],
      sampling: common.sampling,
      maxTokens: common.maxTokens,
      stop: common.stop,
      jsonSchema: format.schema,
    },
    paramOf: paramNames({ max_tokens: common.maxTokensParam, json_schema: format.param, messages: "prompt", "messages[0].role": "prompt" }),
  };
}
