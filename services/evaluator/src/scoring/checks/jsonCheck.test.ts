import { describe, expect, it } from "vitest";
import { jsonCheck, stripFence } from "./jsonCheck.js";

const person = { type: "object", required: ["name", "age"], properties: { name: { type: "string" }, age: { type: "integer" } } };

describe("json check", () => {
  it.each([
    ["plain JSON", {}, '{"a": 1}', true],
    ["```json fence removed", { schema: person }, '```json\n{"name": "Alice", "age": 30}\n```', true],
    ["bare ``` fence removed", {}, "```\n[1, 2]\n```", true],
    ["schema mismatch: age is a string", { schema: person }, '{"name": "Alice", "age": "30"}', false],
    ["missing required", { schema: person }, '{"name": "Alice"}', false],
    ["prose around JSON is not JSON", {}, 'Here you go: {"a": 1}', false],
    ["trailing comma is not JSON", {}, '{"a": 1,}', false],
    ["Chinese strings", { schema: { type: "array", items: { type: "object", required: ["name"] } } }, '[{"name": "张三"}]', true],
    ["const array", { schema: { const: [2, 3, 5, 7, 11] } }, "[2, 3, 5, 7, 11]", true],
    ["const array differs", { schema: { const: [2, 3, 5, 7, 11] } }, "[1, 2, 3, 5, 7]", false],
    ["format email (ajv-formats)", { schema: { type: "string", format: "email" } }, '"not-an-email"', false],
    [
      "2020-12 schema",
      { schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "array", prefixItems: [{ type: "integer" }] } },
      "[1]",
      true,
    ],
  ])("%s", (_name, fields, reply, passes) => {
    const r = jsonCheck.run({ type: "json", ...fields }, reply, {});
    expect((r as { passed: boolean }).passed).toBe(passes);
  });

  it("reports an invalid schema at validation time with the field path", () => {
    const issues: { path: string; message: string }[] = [];
    jsonCheck.validate({ type: "json", schema: { type: "objekt" } }, "items[0].checks[1]", issues);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe("items[0].checks[1].schema");
    expect(issues[0]?.message).toMatch(/invalid JSON Schema/);
  });

  it("rejects unknown schema keywords (strict), catching typos", () => {
    const issues: { path: string; message: string }[] = [];
    jsonCheck.validate({ type: "json", schema: { type: "object", requird: ["a"] } }, "c", issues);
    expect(issues[0]?.message).toMatch(/requird/);
  });

  it("strips only one surrounding fence", () => {
    expect(stripFence("```json\n{}\n```")).toBe("{}");
    expect(stripFence("  ```\n[]\n```  ")).toBe("[]");
    expect(stripFence('{"a": "```"}')).toBe('{"a": "```"}');
  });
});
