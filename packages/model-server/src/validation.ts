import type { GenerateRequest, Message } from "@evalstack/contract";
import { jsonSchemaProblem } from "./jsonSchemaShape.js";

export const MAX_STOP_SEQUENCES = 16;
const ROLES = new Set(["system", "user", "assistant"]);

/** A request field at fault, answered as INVALID_ARGUMENT with "<field>: <message>". */
export class InvalidArgument extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export function validateMessages(messages: Message[]): void {
  if (messages.length === 0) throw new InvalidArgument("messages", "at least one message is required");
  messages.forEach((m, i) => {
    if (!ROLES.has(m.role)) {
      throw new InvalidArgument(`messages[${i}].role`, `unknown role '${m.role}' (expected system, user or assistant)`);
    }
  });
  const last = messages[messages.length - 1]!;
  if (last.role === "system") {
    throw new InvalidArgument(`messages[${messages.length - 1}].role`, "the last message must be from the user or the assistant");
  }
}

function finite(field: string, value: number | undefined, min: number, max: number, openMin = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < min || value > max || (openMin && value === min)) {
    const range = `${openMin ? "(" : "["}${min}, ${max}]`;
    throw new InvalidArgument(field, `must be a finite number in ${range}, got ${value}`);
  }
}

/** Checks everything that can be checked without the model; the prompt length is checked after tokenizing. */
export function validateGenerateRequest(request: GenerateRequest, contextSize: number): void {
  if (request.requestId.length > 128) throw new InvalidArgument("request_id", "at most 128 characters");
  validateMessages(request.messages);
  if (request.maxTokens !== undefined && (request.maxTokens < 1 || request.maxTokens > contextSize)) {
    throw new InvalidArgument("max_tokens", `must be between 1 and ${contextSize} (the context size), got ${request.maxTokens}`);
  }
  const s = request.sampling;
  if (s) {
    finite("sampling.temperature", s.temperature, 0, 10);
    finite("sampling.top_p", s.topP, 0, 1, true);
    finite("sampling.min_p", s.minP, 0, 1);
    finite("sampling.repeat_penalty", s.repeatPenalty, 0, 10, true);
    if (s.topK !== undefined && s.topK < 0) throw new InvalidArgument("sampling.top_k", `must be >= 0, got ${s.topK}`);
  }
  if (request.stop.length > MAX_STOP_SEQUENCES) {
    throw new InvalidArgument("stop", `at most ${MAX_STOP_SEQUENCES} stop sequences, got ${request.stop.length}`);
  }
  request.stop.forEach((stop, i) => {
    if (stop.length === 0) throw new InvalidArgument(`stop[${i}]`, "must not be empty");
  });
  if (request.jsonSchema !== "") parseJsonSchema(request.jsonSchema);
}

export function parseJsonSchema(text: string): object {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgument("json_schema", `not valid JSON (${(error as Error).message})`);
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new InvalidArgument("json_schema", "must be a JSON Schema object");
  }
  const problem = jsonSchemaProblem(schema);
  if (problem) throw new InvalidArgument("json_schema", problem);
  return schema;
}
