import { describe, expect, it } from "vitest";
import { SuiteValidationError, validateItem } from "./index.js";

function issuesOf(item: unknown): { path: string; message: string }[] {
  try {
    validateItem(item);
  } catch (err) {
    expect(err).toBeInstanceOf(SuiteValidationError);
    return (err as SuiteValidationError).issues;
  }
  throw new Error("expected a SuiteValidationError");
}

const ok = { id: "m1", dimension: "math", prompt: "2+3?", checks: [{ type: "numeric_answer", value: 5 }] };

describe("validateItem", () => {
  it("normalises prompt into one user message", () => {
    expect(validateItem(ok)).toEqual({
      id: "m1",
      dimension: "math",
      messages: [{ role: "user", content: "2+3?" }],
      checks: [{ type: "numeric_answer", value: 5 }],
    });
  });

  it("keeps messages and max_tokens", () => {
    const item = validateItem({
      ...ok,
      prompt: undefined,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "2+3?" },
      ],
      max_tokens: 64,
    });
    expect(item.messages).toHaveLength(2);
    expect(item.max_tokens).toBe(64);
  });

  it("names an unknown check type with its path", () => {
    const issues = issuesOf({ ...ok, checks: [{ type: "foo" }] });
    expect(issues).toEqual([{ path: "item.checks[0].type", message: expect.stringContaining("unknown check type 'foo'") }]);
  });

  it("names an invalid regex", () => {
    const issues = issuesOf({ ...ok, checks: [{ type: "regex", pattern: "(unclosed" }] });
    expect(issues[0]?.path).toBe("item.checks[0].pattern");
    expect(issues[0]?.message).toMatch(/invalid regex/);
  });

  it("names invalid regex flags", () => {
    expect(issuesOf({ ...ok, checks: [{ type: "regex", pattern: "a", flags: "ii" }] })[0]?.path).toBe("item.checks[0].flags");
    expect(issuesOf({ ...ok, checks: [{ type: "regex", pattern: "a", flags: "x" }] })[0]?.path).toBe("item.checks[0].flags");
  });

  it("names an invalid JSON Schema", () => {
    const issues = issuesOf({ ...ok, checks: [{ type: "json", schema: { type: 12 } }] });
    expect(issues[0]?.path).toBe("item.checks[0].schema");
  });

  it("requires checks except on latency items, and refuses checks on latency items", () => {
    expect(issuesOf({ ...ok, checks: [] })[0]?.path).toBe("item.checks");
    expect(issuesOf({ id: "x", dimension: "math", prompt: "p" })[0]?.path).toBe("item.checks");
    expect(validateItem({ id: "l1", dimension: "latency", prompt: "hi" }).checks).toEqual([]);
    expect(issuesOf({ id: "l1", dimension: "latency", prompt: "hi", checks: [{ type: "lowercase" }] })[0]?.path).toBe("item.checks");
  });

  it("names an unknown dimension", () => {
    expect(issuesOf({ ...ok, dimension: "poetry" })[0]).toEqual({
      path: "item.dimension",
      message: expect.stringContaining("unknown dimension"),
    });
  });

  it("reports every problem at once, including unknown fields and bad field types", () => {
    const issues = issuesOf({
      id: "",
      dimension: "math",
      prompt: "p",
      max_tokens: 0,
      colour: "red",
      checks: [
        { type: "word_count", min: 5, max: 2 },
        { type: "numeric_answer" },
        { type: "contains", value: "a", extra: 1 },
        { type: "code", language: "ruby", tests: "" },
      ],
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "item.id",
        "item.max_tokens",
        "item.colour",
        "item.checks[0].max",
        "item.checks[1].value",
        "item.checks[2].extra",
        "item.checks[3].language",
        "item.checks[3].tests",
      ]),
    );
  });

  it("refuses both prompt and messages, empty messages, bad roles and a non-user last message", () => {
    expect(issuesOf({ ...ok, messages: [{ role: "user", content: "x" }] })[0]?.path).toBe("item.prompt");
    expect(issuesOf({ ...ok, prompt: undefined, messages: [] })[0]?.path).toBe("item.messages");
    expect(issuesOf({ ...ok, prompt: undefined, messages: [{ role: "robot", content: "x" }] }).map((i) => i.path)).toContain(
      "item.messages[0].role",
    );
    expect(
      issuesOf({
        ...ok,
        prompt: undefined,
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: "y" },
        ],
      })[0]?.path,
    ).toBe("item.messages[1].role");
  });

  it("refuses a non-object", () => {
    expect(issuesOf("nope")).toEqual([{ path: "item", message: "must be an object" }]);
    expect(issuesOf(null)).toEqual([{ path: "item", message: "must be an object" }]);
  });

  it("bounds code timeouts", () => {
    expect(
      issuesOf({ ...ok, dimension: "code", checks: [{ type: "code", language: "python", tests: "pass", timeout_ms: 600000 }] })[0]?.path,
    ).toBe("item.checks[0].timeout_ms");
  });

  it("validates ifeval checks: a known instruction id, an object of kwargs, the prompt, a boolean loose", () => {
    const ifeval = { ...ok, dimension: "instruction_following" };
    expect(() =>
      validateItem({
        ...ifeval,
        checks: [{ type: "ifeval", instruction_id: "punctuation:no_comma", kwargs: {}, prompt: "p", loose: true }],
      }),
    ).not.toThrow();
    expect(issuesOf({ ...ifeval, checks: [{ type: "ifeval", instruction_id: "punctuation:no_commas", prompt: "p" }] })).toEqual([
      { path: "item.checks[0].instruction_id", message: "unknown IFEval instruction 'punctuation:no_commas'" },
    ]);
    expect(
      issuesOf({ ...ifeval, checks: [{ type: "ifeval", instruction_id: "punctuation:no_comma", kwargs: [1], loose: "yes" }] }).map(
        (i) => i.path,
      ),
    ).toEqual(["item.checks[0].kwargs", "item.checks[0].prompt", "item.checks[0].loose"]);
    expect(
      issuesOf({ ...ifeval, checks: [{ type: "ifeval", instruction_id: "punctuation:no_comma", prompt: "p", lenient: true }] })[0]?.path,
    ).toBe("item.checks[0].lenient");
  });
});
