// The Markdown report: mirrors the seed article (scores per dimension, performance table, examples,
// recommendations per scenario), with intervals, p-values and verdicts.

import { describeSnapshot, fmtP, mdCell } from "./format.js";
import { capacityTable } from "./capacitySection.js";
import { SUITE_TABLE_HEADER, suiteTable, verdictWithSampleSize } from "./suiteTable.js";
import { performanceTable } from "./performanceTable.js";
import type { Comparison, Report } from "./reportTypes.js";

function verdictText(c: Comparison): string {
  return verdictWithSampleSize(c);
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = "`".repeat(longest + 1);
  return `${f}text\n${text}\n${f}`;
}

export function renderMarkdown(report: Report): string {
  const models = report.models.map((m) => m.name);
  const out: string[] = [];
  const { run } = report;
  out.push(`# Evaluation report: ${models.join(" vs ")}`);
  out.push("");
  out.push(
    `Run \`${run.id}\` · suite \`${run.suite_id}\` · ${run.repeats} repeat${run.repeats === 1 ? "" : "s"} · status ${run.status} · created ${run.created_at}${run.completed_at ? ` · completed ${run.completed_at}` : ""}`,
    "",
    `Code sandbox: ${report.sandbox.summary}`,
  );
  out.push("");
  out.push("Models as loaded (from GetModelInfo; an OpenAI-compatible target reports only its model id):");
  out.push("");
  for (const m of report.models) {
    const s = m.snapshot;
    out.push(s ? `- **${m.name}**: ${mdCell(describeSnapshot(s))}` : `- **${m.name}**: no model info stored`);
  }
  out.push("");

  out.push("## Scores per dimension (0-10)");
  out.push("");
  out.push(
    "Score = pass rate × 10 over the dimension's items, with its 95% Wilson interval. Compared with an exact McNemar test on the paired items (two-sided).",
  );
  out.push("");
  const pair = models.length >= 2;
  out.push(
    `| Dimension | Items | ${models.map((m) => `${mdCell(m)} score [95% CI]`).join(" | ")} |${pair ? " McNemar p | Verdict |" : ""}`,
  );
  out.push(`|---|---:|${models.map(() => "---:").join("|")}|${pair ? "---:|---|" : ""}`);
  for (const d of report.dimensions) {
    const cells = models.map((m) => {
      const s = d.per_model.find((x) => x.model === m);
      return s && s.items > 0 ? `${s.score.toFixed(1)} [${s.interval.low.toFixed(1)}–${s.interval.high.toFixed(1)}]` : "n/a";
    });
    const c = d.comparisons[0];
    out.push(
      `| ${d.label} | ${d.items} | ${cells.join(" | ")} |${pair ? ` ${c ? fmtP(c.p_value) : ""} | ${c ? verdictText(c) : ""} |` : ""}`,
    );
  }
  out.push("");
  for (const d of report.dimensions) for (const c of d.comparisons) out.push(`- ${d.label}: ${c.summary}`);
  if (report.dimensions.some((d) => d.comparisons.length > 0)) out.push("");
  const withErrors = report.dimensions.flatMap((d) =>
    d.per_model.filter((s) => s.errors > 0).map((s) => `${d.label} / ${s.model}: ${s.errors}`),
  );
  if (withErrors.length > 0) {
    out.push(`Replies that ended in an error (counted as failures): ${withErrors.join("; ")}.`);
    out.push("");
  }

  const suites = suiteTable(report);
  if (suites.length > 0) {
    out.push("## Suites and published scores");
    out.push("");
    out.push(
      "pass@1 in percent (the mean item pass rate; with repeats, pass@k by the HumanEval paper's unbiased estimator), 95% Wilson interval over the items, beside the published score of the model as loaded (matched on its GGUF name).",
    );
    out.push("");
    out.push(`| ${SUITE_TABLE_HEADER.join(" | ")} |`);
    out.push("|---|---:|---|---|---:|---|---:|---|");
    for (const r of suites)
      out.push(
        `| ${[r.suite, r.items, r.model, r.modelName, r.measured, r.passAtK, r.published, r.publishedUnder].map(mdCell).join(" | ")} |`,
      );
    out.push("");
  }

  out.push("## Performance");
  out.push("");
  const t = report.latency_targets;
  out.push(
    `Latency targets: TTFT ≤ ${t.ttft_ms} ms and ≥ ${t.tokens_per_second} tokens/s per reply (the latency score is the share of latency replies meeting both, × 10).`,
  );
  out.push("");
  out.push(`| Metric | ${models.map(mdCell).join(" | ")} |`);
  out.push(`|---|${models.map(() => "---:").join("|")}|`);
  for (const { label, cells } of performanceTable(report)) out.push(`| ${label} | ${cells.map(mdCell).join(" | ")} |`);
  out.push("");

  if (report.capacity.length > 0) {
    out.push("## Capacity");
    out.push("");
    out.push(
      "The highest request rate one replica sustained within the SLOs (open-loop capacity search, loadtests/README.md), on the serving configuration of this run.",
    );
    out.push("");
    out.push(`| Metric | ${report.capacity.map((r) => mdCell(r.model)).join(" | ")} |`);
    out.push(`|---|${report.capacity.map(() => "---:").join("|")}|`);
    for (const { label, cells } of capacityTable(report.capacity)) out.push(`| ${mdCell(label)} | ${cells.map(mdCell).join(" | ")} |`);
    out.push("");
  }

  out.push("## Examples");
  out.push("");
  for (const d of report.dimensions) {
    const exs = report.examples.filter((e) => e.dimension === d.dimension);
    if (exs.length === 0) continue;
    out.push(`### ${d.label}`);
    out.push("");
    for (const e of exs) {
      out.push(
        `**${e.kind === "pass" ? "✅ Passed" : "❌ Failed"}**: \`${e.item_id}\`, ${e.model}${e.repeat > 0 ? ` (repeat ${e.repeat})` : ""}`,
      );
      out.push("");
      if (e.prompt) {
        out.push(`Prompt:`);
        out.push("");
        out.push(fence(e.prompt));
        out.push("");
      }
      out.push("Reply:");
      out.push("");
      out.push(fence(e.reply || "(empty)"));
      out.push("");
      for (const c of e.checks) out.push(`- ${c.passed ? "✓" : "✗"} \`${c.type}\`: ${c.detail}`);
      out.push("");
    }
  }

  out.push("## Recommendations");
  out.push("");
  out.push("| Scenario | Recommendation | Basis |");
  out.push("|---|---|---|");
  for (const r of report.recommendations) out.push(`| ${mdCell(r.scenario)} | ${mdCell(r.recommendation)} | ${mdCell(r.basis)} |`);
  out.push("");

  if (report.notes.length > 0) {
    out.push("## Notes");
    out.push("");
    for (const n of report.notes) out.push(`- ${n}`);
    out.push("");
  }
  out.push("---");
  out.push(`Generated ${report.generated_at} by evalstack. Per-item data: \`?format=csv\`; everything: \`?format=json\`.`);
  out.push("");
  return out.join("\n");
}
