import { describe, expect, it } from "vitest";
import { fullRequest, type GenerateRequest } from "@evalstack/contract";
import { InvalidArgument, validateGenerateRequest } from "./validation.js";

const ok: Partial<GenerateRequest> = { messages: [{ role: "user", content: "hi" }] };

function fieldOf(request: Partial<GenerateRequest>): string | undefined {
  try {
    validateGenerateRequest(fullRequest(request), 4096);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgument);
    return (error as InvalidArgument).field;
  }
}

describe("validateGenerateRequest", () => {
  it("accepts a plain request", () => expect(fieldOf(ok)).toBeUndefined());
  it.each([
    ["no messages", { messages: [] }, "messages"],
    ["an unknown role", { messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    ["max_tokens 0", { ...ok, maxTokens: 0 }, "max_tokens"],
    ["negative max_tokens", { ...ok, maxTokens: -5 }, "max_tokens"],
    ["max_tokens above the context", { ...ok, maxTokens: 4097 }, "max_tokens"],
    ["a negative temperature", { ...ok, sampling: { temperature: -0.1 } }, "sampling.temperature"],
    ["a NaN temperature", { ...ok, sampling: { temperature: Number.NaN } }, "sampling.temperature"],
    ["top_p above 1", { ...ok, sampling: { topP: 1.5 } }, "sampling.top_p"],
    ["top_p 0", { ...ok, sampling: { topP: 0 } }, "sampling.top_p"],
    ["17 stop sequences", { ...ok, stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }, "stop"],
    ["an empty stop sequence", { ...ok, stop: ["a", ""] }, "stop[1]"],
    ["a json_schema that is not JSON", { ...ok, jsonSchema: "{nope" }, "json_schema"],
    ["a json_schema that is not an object", { ...ok, jsonSchema: "[1]" }, "json_schema"],
    ["a json_schema with an unknown type", { ...ok, jsonSchema: '{"type":"object","properties":{"a":{"type":"wat"}}}' }, "json_schema"],
  ])("rejects %s naming the field", (_name, request, field) => {
    expect(fieldOf(request as Partial<GenerateRequest>)).toBe(field);
  });
});

describe("json_schema shape", () => {
  const problemOf = (schema: object) => {
    try {
      validateGenerateRequest(fullRequest({ ...ok, jsonSchema: JSON.stringify(schema) }), 4096);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  it("accepts well-shaped schemas, local references included", () => {
    expect(
      problemOf({
        type: "object",
        properties: { a: { type: ["string", "null"] }, b: { $ref: "#/$defs/b" } },
        required: ["a"],
        $defs: { b: { enum: [1, 2] } },
      }),
    ).toBeUndefined();
    expect(problemOf({ type: "array", items: { anyOf: [{ type: "integer" }, { type: "string" }] } })).toBeUndefined();
  });
  it.each([
    [{ type: "wat" }, "json_schema: schema.type: unknown type"],
    [{ type: "object", properties: { age: { type: 5 } } }, "json_schema: schema.properties.age.type: unknown type 5"],
    [{ type: "object", properties: 5 }, "json_schema: schema.properties: expected an object of schemas"],
    [{ type: "array", items: "x" }, "json_schema: schema.items: expected a schema object"],
    [{ enum: "x" }, "json_schema: schema.enum: expected an array"],
    [{ required: [1] }, "json_schema: schema.required: expected an array of property names"],
    [{ $ref: "#/$defs/missing" }, 'json_schema: schema.$ref: "#/$defs/missing" does not resolve'],
    [{ anyOf: [] }, "json_schema: schema.anyOf: expected a non-empty array"],
  ])("names the misshapen keyword of %j", (schema, message) => {
    expect(problemOf(schema)).toContain(message);
  });
});
