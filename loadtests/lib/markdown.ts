/** A GitHub-flavoured Markdown table; numbers are printed as given (format them first). */
export function markdownTable(header: string[], rows: (string | number)[][], align?: ("l" | "r")[]): string {
  const escapeCell = (cell: string | number) => String(cell).replaceAll("|", "\\|");
  const rule = header.map((_, i) => ((align?.[i] ?? "r") === "l" ? ":---" : "---:"));
  return [header, rule, ...rows].map((row) => `| ${row.map(escapeCell).join(" | ")} |`).join("\n");
}

/** Milliseconds for a table: "—" when there is no value. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function pct(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${(value * 100).toFixed(1)}%`;
}

export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toFixed(digits);
}
