// CSV: one row per (item, model), RFC 4180 quoting, so pandas.read_csv reads it as is.

import type { ItemRow, Report } from "./reportTypes.js";

const COLUMNS: (keyof ItemRow)[] = [
  "item_id",
  "dimension",
  "model",
  "replies",
  "errors",
  "pass_rate",
  "instruction_score",
  "ttft_ms",
  "tokens_per_second",
  "total_ms",
  "prompt",
  "reply",
  "checks",
];

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const s = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : String(value);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(report: Report): string {
  const lines = [COLUMNS.join(",")];
  for (const row of report.items) lines.push(COLUMNS.map((c) => csvField(row[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
