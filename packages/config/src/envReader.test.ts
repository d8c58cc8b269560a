import { describe, expect, it } from "vitest";
import { ConfigError, EnvReader, parseDuration } from "./envReader.js";

function failure(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("EnvReader", () => {
  const reader = new EnvReader({
    PORT: " 8080 ",
    BLANK: "  ",
    RATIO: "0.5",
    WORD: "ten",
    BIG: "70000",
    FRACTION: "1.5",
    WAIT: "1m30s",
    VUS: "1, 2,4",
    MODE: "rate",
    ON: "Yes",
  });

  it("reads trimmed values and takes the default when a variable is unset or blank", () => {
    expect(reader.integer("PORT", 1, { min: 0, max: 65535 })).toBe(8080);
    expect(reader.integer("BLANK", 7)).toBe(7);
    expect(reader.string("MISSING", "x")).toBe("x");
    expect(reader.optionalString("BLANK")).toBeUndefined();
    expect(reader.number("RATIO", 1, { min: 0, max: 1 })).toBe(0.5);
    expect(reader.durationMs("WAIT", "1s")).toBe(90_000);
    expect(reader.integerList("VUS", [1])).toEqual([1, 2, 4]);
    expect(reader.oneOf("MODE", ["sweep", "rate"] as const, "sweep")).toBe("rate");
    expect(reader.flag("ON", false)).toBe(true);
    expect(reader.flag("MISSING", false)).toBe(false);
  });

  it.each([
    ["WORD", () => reader.integer("WORD", 1), 'WORD: must be an integer, got "ten"'],
    ["FRACTION", () => reader.integer("FRACTION", 1, { min: 0 }), 'FRACTION: must be an integer >= 0, got "1.5"'],
    ["BIG", () => reader.integer("BIG", 1, { min: 0, max: 65535 }), "BIG: must be between 0 and 65535, got 70000"],
    ["RATIO", () => reader.number("RATIO", 1, { min: 1 }), "RATIO: must be >= 1, got 0.5"],
    ["WORD", () => reader.durationMs("WORD", "1s"), 'WORD: not a duration: "ten" (use e.g. 500ms, 10s, 2m, 1h30m)'],
    ["WORD", () => reader.integerList("WORD", [1]), 'WORD: expected a comma-separated list of positive integers, got "ten"'],
    ["MODE", () => reader.oneOf("MODE", ["sweep", "smoke"] as const, "sweep"), 'MODE: must be one of sweep, smoke, got "rate"'],
    ["WORD", () => reader.flag("WORD", false), 'WORD: must be true or false (1/0, yes/no, on/off), got "ten"'],
  ])("rejects a bad %s with a ConfigError naming it", (variable, read, message) => {
    const error = failure(read);
    expect(error.variable).toBe(variable);
    expect(error.message).toBe(message);
  });

  it("parses durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2")).toBe(2000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(() => parseDuration("")).toThrow(/empty/);
  });
});
