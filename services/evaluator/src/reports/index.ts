// Reports: build the numbers once from a run's stored replies, render them as md, html, json or csv.

import { renderCsv } from "./renderCsv.js";
import { renderHtml } from "./renderHtml.js";
import { renderMarkdown } from "./renderMarkdown.js";
import type { Report } from "./reportTypes.js";

export { buildReport, aggregateItems, DIMENSION_LABELS, ALPHA } from "./buildReport.js";
export type * from "./reportTypes.js";
export {
  capacityRecommendation,
  capacityRows,
  capacityTable,
  snapshotMismatch,
  type CapacityRow,
  type CapacityTableRow,
} from "./capacitySection.js";
export { describeSnapshot, fmtCount, fmtP, VERDICT_TEXT } from "./format.js";
export { performanceTable } from "./performanceTable.js";
export { suiteTable, verdictWithSampleSize } from "./suiteTable.js";

export type ReportFormat = "md" | "html" | "json" | "csv";
export const REPORT_FORMATS: readonly ReportFormat[] = ["md", "html", "json", "csv"];

export const REPORT_CONTENT_TYPES: Record<ReportFormat, string> = {
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

export function renderReport(report: Report, format: ReportFormat): { body: string; contentType: string } {
  switch (format) {
    case "md":
      return { body: renderMarkdown(report), contentType: REPORT_CONTENT_TYPES.md };
    case "html":
      return { body: renderHtml(report), contentType: REPORT_CONTENT_TYPES.html };
    case "json":
      return { body: `${JSON.stringify(report, null, 2)}\n`, contentType: REPORT_CONTENT_TYPES.json };
    case "csv":
      return { body: renderCsv(report), contentType: REPORT_CONTENT_TYPES.csv };
    default:
      throw new Error(`unknown report format '${String(format)}' (md, html, json or csv)`);
  }
}
