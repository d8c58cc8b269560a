import { describe, expect, it } from "vitest";
import { underTsxCli } from "./outsideTsxCli.js";

describe("underTsxCli", () => {
  it("recognises the child the tsx command starts, not node --import tsx", () => {
    expect(
      underTsxCli(["--require", "/repo/node_modules/tsx/dist/preflight.cjs", "--import", "file:///repo/node_modules/tsx/dist/loader.mjs"]),
    ).toBe(true);
    expect(underTsxCli(["--import", "tsx"])).toBe(false);
    expect(underTsxCli([])).toBe(false);
  });
});
