// The per-suite table (measured pass@1 beside the published scores of the model as loaded), formatted once
// so the Markdown and HTML reports, the terminal and the web UI show the same rows.

import type { Comparison, Report } from "./reportTypes.js";
import { VERDICT_TEXT } from "./format.js";
import { STANDARD_SUITES } from "../suites/standard/standardSuites.js";

const STANDARD_SUITE_IDS = new Set(STANDARD_SUITES.map((s) => s.id));

export const SUITE_TABLE_HEADER = [
  "Suite",
  "Items",
  "Model",
  "Model as loaded",
  "Measured pass@1 [95% CI]",
  "pass@k",
  "Published",
  "Published under",
] as const;

export interface SuiteTableRow {
  suite: string;
  items: string;
  model: string;
  modelName: string;
  measured: string;
  passAtK: string;
  published: string;
  publishedUnder: string;
}

const pct = (x: number): string => (100 * x).toFixed(1);

/**
 * Shown for a run over a standard benchmark or over several suites; a single seed-50 run's suite score would
 * only repeat its dimension table.
 */
export function suiteTable(report: Report): SuiteTableRow[] {
  const suites = report.suites ?? [];
  if (suites.length < 2 && !suites.some((s) => STANDARD_SUITE_IDS.has(s.suite))) return [];
  return suites.flatMap((s) =>
    s.per_model.map((m) => ({
      suite: s.suite,
      items: s.suite_items !== null && s.suite_items !== s.items ? `${s.items} of ${s.suite_items}` : String(s.items),
      model: m.model,
      modelName: m.model_name,
      measured:
        m.items > 0
          ? `${pct(m.pass_at_1)} [${pct(m.interval.low)}–${pct(m.interval.high)}]${m.samples_per_item > 1 ? ` (${m.samples_per_item} samples/item)` : ""}`
          : "n/a",
      passAtK: m.pass_at_k.map((p) => `pass@${p.k} ${pct(p.value)}`).join(", "),
      published: m.references.length > 0 ? m.references.map((r) => `${r.value.toFixed(1)} (${r.model})`).join("; ") : "none for this model",
      publishedUnder: m.references.map((r) => `${r.source}: ${r.setting}`).join("; "),
    })),
  );
}

/** The verdict, with the sample a difference of the observed size would need when this one is too small. */
export function verdictWithSampleSize(c: Comparison): string {
  const text = VERDICT_TEXT[c.verdict](c.model_a, c.model_b);
  const undecided = c.verdict === "sample_too_small" || c.verdict === "no_significant_difference";
  return undecided && c.items_needed !== null && c.items_needed > c.paired_items ? `${text} (run ~${c.items_needed} items)` : text;
}
