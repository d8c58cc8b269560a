// Every report names the sandbox isolation its code items ran under, from what each stored item recorded.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { RunItemResult } from "../runs/types.js";
import { buildReport, renderReport, type ReportInput } from "./index.js";
import { syntheticRun } from "./reportFixtures.js";
import { summarizeSandbox } from "./sandboxSummary.js";

const fixtures = JSON.parse(readFileSync(new URL("../suites/builtin/seed-50.replies.json", import.meta.url), "utf8"));

/** The synthetic run with every code check stamped as having run under `mode` (or as unavailable). */
function runUnder(mode: "namespaces" | "rlimits" | "unavailable"): ReportInput {
  const input = syntheticRun(fixtures, 1);
  const items: RunItemResult[] = input.items.map((item) => {
    if (!item.score) return item;
    const checks = item.score.checks.map((c) => {
      if (c.type !== "code") return c;
      if (mode === "unavailable")
        return {
          type: c.type,
          passed: false,
          detail: "check could not run: sandbox isolation unavailable",
          error: "sandbox isolation unavailable",
        };
      return { ...c, isolation: mode };
    });
    return { ...item, score: { ...item.score, checks } };
  });
  return { ...input, items };
}

describe("the sandbox mode in reports", () => {
  it("counts code checks per mode, and says so in md, html and json (the terminal rendering: test/reportCli.test.ts)", () => {
    for (const [mode, expected] of [
      ["namespaces", /^namespaces \(\d+ code checks\)$/],
      ["rlimits", /^rlimits only, weak: no file-system, network or pid isolation \(\d+ code checks\)$/],
      ["unavailable", /^could not run \(\d+ code checks, errors: sandbox isolation unavailable/],
    ] as const) {
      const report = buildReport(runUnder(mode));
      expect(report.sandbox.summary).toMatch(expected);
      const codeChecks = runUnder(mode)
        .items.flatMap((i) => i.score?.checks ?? [])
        .filter((c) => c.type === "code").length;
      expect(codeChecks).toBeGreaterThan(0);
      expect(report.sandbox[mode]).toBe(codeChecks);
      expect(renderReport(report, "md").body).toContain(`Code sandbox: ${report.sandbox.summary}`);
      expect(renderReport(report, "html").body).toContain(`Code sandbox: ${report.sandbox.summary.replace(/&/g, "&amp;")}`);
      expect(JSON.parse(renderReport(report, "json").body).sandbox.summary).toBe(report.sandbox.summary);
    }
  });

  it("a run without code items says none; one stored before modes were recorded says so", () => {
    expect(summarizeSandbox([]).summary).toBe("none (no code items)");
    const legacy = syntheticRun(fixtures, 1).items;
    const s = summarizeSandbox(legacy);
    expect(s.namespaces + s.rlimits).toBe(0);
    expect(s.summary).toMatch(/not recorded/);
  });
});
