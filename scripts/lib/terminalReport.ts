// The report (GET /v1/runs/{id}/report?format=json) for a terminal: the seed's tables — scores per dimension
// side by side with their intervals, McNemar p and verdict; the performance table; recommendations. The
// numbers come from the evaluator's report module; only the layout is made here.
import {
  capacityTable,
  describeSnapshot,
  fmtP,
  performanceTable,
  suiteTable,
  verdictWithSampleSize,
  type Comparison,
  type Report,
} from "@evalstack/evaluator/reports";

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

export const PLAIN: Style = { bold: (t) => t, dim: (t) => t, good: (t) => t, bad: (t) => t };

export const ANSI: Style = {
  bold: (t) => `\x1b[1m${t}\x1b[22m`,
  dim: (t) => `\x1b[2m${t}\x1b[22m`,
  good: (t) => `\x1b[32m${t}\x1b[39m`,
  bad: (t) => `\x1b[31m${t}\x1b[39m`,
};

/** ANSI colours when writing to a terminal that wants them. */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return stream.isTTY && !env.NO_COLOR && env.TERM !== "dumb" ? ANSI : PLAIN;
}

/** Columns a string takes in a terminal: escape codes take none, East Asian wide characters two. */
export function displayWidth(text: string): number {
  let width = 0;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes (ESC [ ... m)
  for (const ch of text.replace(/\x1b\[[0-9;]*m/g, "")) {
    const code = ch.codePointAt(0)!;
    width +=
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd)
        ? 2
        : 1;
  }
  return width;
}

function pad(text: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - displayWidth(text)));
  return align === "left" ? text + fill : fill + text;
}

/** A plain table: a header row, a rule, the rows; `right` marks right-aligned columns. */
export function table(header: string[], rows: string[][], right: boolean[] = [], style: Style = PLAIN): string {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ""))));
  const line = (cells: string[]) =>
    `  ${cells
      .map((c, i) => pad(c, widths[i]!, right[i] ? "right" : "left"))
      .join("  ")
      .trimEnd()}`;
  return [style.bold(line(header)), `  ${widths.map((w) => "─".repeat(w)).join("  ")}`, ...rows.map(line)].join("\n");
}

function verdictText(c: Comparison, style: Style): string {
  const text = verdictWithSampleSize(c);
  if (c.verdict === "a_better" || c.verdict === "b_better") return style.good(text);
  return c.verdict === "sample_too_small" ? style.dim(text) : text;
}

export function renderTerminalReport(report: Report, style: Style = PLAIN): string {
  const models = report.models.map((m) => m.name);
  const out: string[] = [];
  const { run } = report;
  out.push(style.bold(`Evaluation report: ${models.join(" vs ")}`));
  out.push(`run ${run.id} · suite ${run.suite_id} · ${run.repeats} repeat${run.repeats === 1 ? "" : "s"} · status ${run.status}`);
  out.push(`  code sandbox: ${report.sandbox.summary}`);
  for (const m of report.models) {
    const s = m.snapshot;
    out.push(s ? `  ${m.name}: ${describeSnapshot(s)}` : `  ${m.name}: no model info stored`);
  }
  out.push("");

  out.push(style.bold("Scores per dimension (0-10, 95% Wilson interval; exact McNemar test on the paired items)"));
  const pair = models.length >= 2;
  const header = ["Dimension", "Items", ...models, ...(pair ? ["McNemar p", "Verdict"] : [])];
  const rows = report.dimensions.map((d) => {
    const cells = models.map((m) => {
      const s = d.per_model.find((x) => x.model === m);
      return s && s.items > 0 ? `${s.score.toFixed(1)} [${s.interval.low.toFixed(1)}–${s.interval.high.toFixed(1)}]` : "n/a";
    });
    const c = d.comparisons[0];
    return [d.label, String(d.items), ...cells, ...(pair ? [c ? fmtP(c.p_value) : "", c ? verdictText(c, style) : ""] : [])];
  });
  out.push(table(header, rows, [false, true, ...models.map(() => true), true, false], style));
  const withErrors = report.dimensions.flatMap((d) =>
    d.per_model.filter((s) => s.errors > 0).map((s) => `${d.label} / ${s.model}: ${s.errors}`),
  );
  if (withErrors.length > 0) out.push(style.bad(`  Replies that ended in an error (counted as failures): ${withErrors.join("; ")}.`));
  out.push("");

  const suites = suiteTable(report);
  if (suites.length > 0) {
    out.push(style.bold("Suites (pass@1 %, 95% Wilson interval) and published scores of the model as loaded"));
    out.push(
      table(
        ["Suite", "Items", "Model", "Measured", "pass@k", "Published"],
        suites.map((r) => [r.suite, r.items, r.model, r.measured, r.passAtK, r.published]),
        [false, true, false, true, false, false],
        style,
      ),
    );
    for (const r of suites.filter((x) => x.publishedUnder))
      out.push(style.dim(`  ${r.model} on ${r.suite}: published ${r.published}; ${r.publishedUnder}`));
    out.push("");
  }

  const t = report.latency_targets;
  out.push(style.bold(`Performance (latency targets: TTFT ≤ ${t.ttft_ms} ms, ≥ ${t.tokens_per_second} tokens/s)`));
  out.push(
    table(
      ["Metric", ...report.performance.map((p) => p.model)],
      performanceTable(report).map(({ label, cells }) => [label, ...cells]),
      [false, ...report.performance.map(() => true)],
      style,
    ),
  );
  out.push("");

  if (report.capacity.length > 0) {
    out.push(style.bold("Capacity (one replica, within the SLOs)"));
    out.push(
      table(
        ["Metric", ...report.capacity.map((r) => r.model)],
        capacityTable(report.capacity).map(({ label, cells }) => [label, ...cells]),
        [false, ...report.capacity.map(() => true)],
        style,
      ),
    );
    out.push("");
  }

  if (report.recommendations.length > 0) {
    out.push(style.bold("Recommendations"));
    out.push(
      table(
        ["Scenario", "Recommendation"],
        report.recommendations.map((r) => [r.scenario, r.recommendation]),
        [],
        style,
      ),
    );
    out.push("");
  }
  for (const n of report.notes) out.push(`Note: ${n}`);
  return `${out.join("\n").trimEnd()}\n`;
}
