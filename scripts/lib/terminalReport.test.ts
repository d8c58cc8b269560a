import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildReport } from "@evalstack/evaluator/reports";
import type { ReportInput } from "@evalstack/evaluator/reports";
import { ANSI, displayWidth, PLAIN, renderTerminalReport, table } from "./terminalReport.js";

const input = JSON.parse(
  readFileSync(new URL("../../services/evaluator/src/reports/fixtures/seed50-small-models.json", import.meta.url), "utf8"),
) as ReportInput;
const report = buildReport(input);

describe("renderTerminalReport", () => {
  const text = renderTerminalReport(report, PLAIN);

  it("puts every dimension's scores side by side with interval, p and verdict", () => {
    expect(text).toMatch(/Dimension\s+Items\s+qwen\s+phi3\s+McNemar p\s+Verdict/);
    for (const d of report.dimensions) {
      const qwen = d.per_model.find((m) => m.model === "qwen")!;
      const phi3 = d.per_model.find((m) => m.model === "phi3")!;
      const cell = (s: typeof qwen) => `${s.score.toFixed(1)} [${s.interval.low.toFixed(1)}–${s.interval.high.toFixed(1)}]`;
      const row = text.split("\n").find((l) => l.trimStart().startsWith(d.label));
      expect(row, d.label).toBeDefined();
      expect(row).toContain(cell(qwen));
      expect(row).toContain(cell(phi3));
      expect(row).toMatch(/sample too small|no significant difference|better/);
    }
  });

  it("prints the performance table with the models as loaded", () => {
    expect(text).toContain("Smollm2 135M 8k Lc100K Mix1 Ep2");
    expect(text).toContain("Gemma 3 270m");
    expect(text).toMatch(/Generation speed p50 \(tokens\/s\)\s+29\.0\s+27\.6/);
    expect(text).toMatch(/First-token latency p50\s+285 ms\s+127 ms/);
    expect(text).toContain("sha256 b179c9523d0e");
  });

  it("aligns columns (every row of a table is as wide as its rule)", () => {
    const lines = table(
      ["A", "Bee"],
      [
        ["一二", "1"],
        ["x", "22"],
      ],
      [false, true],
    ).split("\n");
    expect(lines).toEqual(["  A     Bee", "  ────  ───", "  一二    1", "  x      22"]);
    expect(displayWidth(ANSI.bold("ab"))).toBe(2);
  });

  it("colours only when asked", () => {
    expect(text).not.toContain("\x1b[");
    expect(renderTerminalReport(report, ANSI)).toContain("\x1b[1m");
  });
});
