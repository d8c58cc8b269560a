import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Writes the summary as JSON and its Markdown rendering, each where asked (either may be omitted). */
export function writeSummary(summary: unknown, markdown: string, files: { summaryJson?: string; summaryMd?: string }): void {
  for (const [file, text] of [
    [files.summaryJson, JSON.stringify(summary, null, 2) + "\n"],
    [files.summaryMd, markdown],
  ] as const) {
    if (!file) continue;
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, text);
  }
}
