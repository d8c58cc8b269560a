import { describe, expect, it } from "vitest";
import { wireTimings } from "./wireTimings.js";

describe("wireTimings", () => {
  it("maps the contract's camelCase timings onto the wire's snake_case, field by field", () => {
    expect(wireTimings({ queueMs: 1.5, ttftMs: 20, decodeMs: 300, totalMs: 321.5, tokensPerSecond: 42, promptMs: 7 })).toEqual({
      queue_ms: 1.5,
      ttft_ms: 20,
      decode_ms: 300,
      total_ms: 321.5,
      tokens_per_second: 42,
    });
  });

  it("is all zeros when the model service sent no timings", () => {
    expect(wireTimings(undefined)).toEqual({ queue_ms: 0, ttft_ms: 0, decode_ms: 0, total_ms: 0, tokens_per_second: 0 });
  });
});
