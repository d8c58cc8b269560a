import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Writes the summary as JSON and its Markdown rendering, each where asked (either may be omitted). */
export function writeSummary(summary: unknown, markdown: string, files: { summaryJson?: string; summaryMd?: string }): void {
  for (const [file, text] of [
    [files.summaryJson, `${JSON.stringify(summary, null, 2)}\n`],
    [files.summaryMd, markdown],
  ] as const) {
    if (!file) continue;
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, text);
  }
}

/** Marks the one-line JSON summary a runner prints to its log (Kubernetes Jobs: collected with kubectl logs). */
export const SUMMARY_LINE_PREFIX = "EVALSTACK_LOADTEST_SUMMARY ";

export function printSummaryLine(summary: unknown): void {
  process.stdout.write(`\n${SUMMARY_LINE_PREFIX}${JSON.stringify(summary)}\n`);
}

/** START_AT: an ISO time or epoch milliseconds at which every runner of a distributed test begins. */
export function parseStartAt(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const at = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(at)) throw new Error(`START_AT: expected an ISO time or epoch milliseconds, got "${raw}"`);
  return at;
}
