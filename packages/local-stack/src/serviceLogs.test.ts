import { describe, expect, it } from "vitest";
import { failureReason, parseLogLine } from "./serviceLogs.js";

describe("failureReason", () => {
  it("names the last fatal log line, with its err", () => {
    const output = [
      '{"level":30,"name":"alpha","msg":"gRPC and HTTP listening; loading model"}',
      '{"level":60,"name":"alpha","msg":"cannot load model file /x/nope.gguf: ENOENT"}',
      '{"level":30,"name":"alpha","msg":"stopped"}',
    ].join("\n");
    expect(failureReason(output)).toBe("cannot load model file /x/nope.gguf: ENOENT");
    expect(failureReason('{"level":60,"msg":"cannot start","err":"SQLITE_CANTOPEN"}')).toBe("cannot start: SQLITE_CANTOPEN");
  });

  it("falls back to an error line that is not JSON, then to the last line", () => {
    expect(failureReason("node:internal/x\nError: Cannot find module 'y'\n    at foo (bar.js:1:1)\n")).toBe(
      "Error: Cannot find module 'y'",
    );
    expect(failureReason('{"level":30,"msg":"ok"}\nsomething odd\n')).toBe("something odd");
    expect(failureReason("")).toBeUndefined();
  });

  it("parses only JSON objects", () => {
    expect(parseLogLine('{"level":30,"msg":"x"}')).toEqual({ level: 30, msg: "x" });
    expect(parseLogLine("[1,2]")).toBeUndefined();
    expect(parseLogLine('{"level":')).toBeUndefined();
  });
});
