// Merges the summaries of several runners of one distributed grpc-generate test (a Kubernetes Job with
// parallelism N) into one, exactly: every runner keeps every request, so percentiles, goodput and the
// thresholds are recomputed over all requests together, not averaged per runner.
//
//   kubectl logs -l job-name=evalstack-loadtest --tail=-1 --prefix > runners.log
//   npx tsx loadtests/merge.ts runners.log > merged.md           # or: summary JSON files
//   SUMMARY_JSON=merged.json npx tsx loadtests/merge.ts runners.log
//
// Inputs: summary JSON files, or logs holding EVALSTACK_LOADTEST_SUMMARY lines (one per runner).
// A stage's concurrency (or arrival rate) in the merged table is the sum over the runners.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { EnvReader } from "@evalstack/config";
import { buildLlmSummary, renderLlmMarkdown, type LlmSummary, type StageSpec } from "./lib/llmSummary.js";
import { SUMMARY_LINE_PREFIX, writeSummary } from "./lib/output.js";
import type { StageRun } from "./lib/executors.js";
import type { Thresholds } from "./lib/thresholds.js";

export function readSummaries(text: string): LlmSummary[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return [JSON.parse(trimmed) as LlmSummary];
  const summaries: LlmSummary[] = [];
  for (const line of text.split("\n")) {
    const at = line.indexOf(SUMMARY_LINE_PREFIX);
    if (at >= 0) summaries.push(JSON.parse(line.slice(at + SUMMARY_LINE_PREFIX.length)) as LlmSummary);
  }
  return summaries;
}

export function mergeSummaries(summaries: LlmSummary[]): LlmSummary {
  const first = summaries[0];
  if (!first) throw new Error("no summaries to merge");
  for (const s of summaries) {
    if (s.schema !== first.schema || s.scenario !== first.scenario)
      throw new Error("summaries of different tests: schema or scenario differ");
    if (s.stages.map((x) => x.stage).join() !== first.stages.map((x) => x.stage).join()) throw new Error("summaries with different stages");
  }
  const thresholds: Thresholds = {};
  for (const t of first.thresholds) (thresholds[t.metric] ??= []).push(t.expression);
  const stages = first.stages.map((row) => {
    const rows = summaries.map((s) => s.stages.find((x) => x.stage === row.stage)!);
    const sum = (pick: (r: (typeof rows)[number]) => number | null) => rows.reduce((acc, r) => acc + (pick(r) ?? 0), 0);
    const spec: StageSpec = {
      name: row.stage,
      executor: row.executor,
      durationMs: Math.max(...rows.map((r) => r.durationS)) * 1000,
      tags: { stage: row.stage },
      ...(row.label ? { label: row.label } : {}),
      ...(row.concurrency === null ? {} : { concurrency: sum((r) => r.concurrency) }),
      ...(row.rate === null ? {} : { rate: sum((r) => r.rate) }),
    };
    const run: StageRun = {
      startedAt: 0,
      endedAt: spec.durationMs,
      iterations: sum((r) => r.requests),
      interrupted: sum((r) => r.interrupted),
      dropped: sum((r) => r.dropped),
      maxInFlight: sum((r) => r.concurrency),
    };
    return { spec, run };
  });
  const records = summaries.flatMap((s, runner) => s.requests.map((r) => ({ ...r, tags: { ...r.tags, runner: String(runner) } })));
  const merged = buildLlmSummary({
    script: `${first.script} (${summaries.length} runners)`,
    target: first.target,
    scenario: first.scenario,
    startedAt: new Date(Math.min(...summaries.map((s) => Date.parse(s.startedAt)))),
    durationMs: Math.max(...summaries.map((s) => s.durationMs)),
    machine: first.machine,
    model: first.model,
    options: { ...first.options, runners: summaries.length },
    slo: first.slo,
    stages,
    records,
    thresholds,
  });
  return merged;
}

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: tsx loadtests/merge.ts SUMMARY.json|RUNNERS.log ...");
    process.exit(2);
  }
  const summaries = files.flatMap((file) => readSummaries(readFileSync(file, "utf8")));
  const merged = mergeSummaries(summaries);
  const markdown = renderLlmMarkdown(merged);
  const summaryJson = new EnvReader().optionalString("SUMMARY_JSON");
  writeSummary(merged, markdown, { ...(summaryJson ? { summaryJson } : {}) });
  process.stdout.write(markdown);
  process.exit(merged.thresholdsOk ? 0 : 99);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
