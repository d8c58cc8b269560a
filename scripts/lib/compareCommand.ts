// The `npm run compare` command (scripts/compare.ts is its entry point).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readEvents, StackExitedError, type LocalStack, type SseEvent } from "@evalstack/local-stack";
import type { Report } from "@evalstack/evaluator/reports";
import { ensureSuiteData, STANDARD_SUITES } from "@evalstack/evaluator/suites";
import { handleInterrupts, type InterruptedError, signalExitCode } from "./interrupts.js";
import { consoleFor, describeEndpoints, launchStack, LaunchError, type Console } from "./launchStack.js";
import { RunProgress, type ItemEvent, type ProgressEvent } from "./runProgress.js";
import { compareUsage, parseCommandLine, parseCompareArgs, type CompareArgs } from "./stackArgs.js";
import { renderTerminalReport, styleFor } from "./terminalReport.js";

const REPORT_FORMATS = ["md", "html", "json", "csv"] as const;

interface RunRow {
  id: string;
  status: string;
  total_items: number;
  suite_id?: string;
}

type Evaluator = NonNullable<LocalStack["evaluator"]>["process"];

function shortPath(file: string): string {
  const relative = path.relative(process.env.INIT_CWD ?? process.cwd(), file);
  return relative && !relative.startsWith("..") ? relative : file;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

async function problem(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { detail?: string; title?: string };
    return body.detail ?? body.title ?? text;
  } catch {
    return text;
  }
}

/** A built-in suite id, or a JSON/JSONL file uploaded under an id derived from its name and content. */
export async function resolveSuite(evaluator: Evaluator, suite: string, io: Console): Promise<string> {
  const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), suite);
  const looksLikeFile = /[\\/]/.test(suite) || /\.jsonl?$/i.test(suite);
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (looksLikeFile) throw new LaunchError(`--suite ${suite}: no such file (${file})`);
    const res = await evaluator.call(`/v1/suites/${encodeURIComponent(suite)}`);
    if (res.status === 404) {
      const ids = ((await (await evaluator.call("/v1/suites")).json()) as { id: string }[]).map((s) => s.id);
      throw new LaunchError(`--suite ${suite}: no such suite (known: ${ids.join(", ")}); or give a JSON/JSONL suite file`);
    }
    if (!res.ok) throw new LaunchError(`--suite ${suite}: ${res.status} ${await problem(res)}`);
    await res.body?.cancel();
    return suite;
  }
  const text = readFileSync(file, "utf8");
  const base = path
    .basename(file)
    .replace(/\.jsonl?$/i, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "");
  const id = `${base.slice(0, 48) || "suite"}-${createHash("sha256").update(text).digest("hex").slice(0, 12)}`;
  const description = `uploaded by npm run compare from ${path.basename(file)}`;
  let res: Response;
  const jsonText = text.trimStart();
  let parsed: unknown;
  if (!/\.jsonl$/i.test(file) && (jsonText.startsWith("[") || jsonText.startsWith("{"))) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined; // JSONL whose first line is an object
    }
  }
  if (parsed !== undefined) {
    const items = Array.isArray(parsed) ? parsed : (parsed as { items?: unknown }).items;
    if (!Array.isArray(items)) throw new LaunchError(`--suite ${suite}: a JSON suite is an array of items or {"items": [...]}`);
    res = await evaluator.call("/v1/suites", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, description, items }),
    });
  } else {
    res = await evaluator.call(`/v1/suites?id=${encodeURIComponent(id)}&description=${encodeURIComponent(description)}`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: text,
    });
  }
  if (res.status === 409) {
    await res.body?.cancel();
    io.out(`  suite ${id}: ${shortPath(file)} was uploaded before (same content)\n`);
    return id;
  }
  if (!res.ok)
    throw new LaunchError(
      `--suite ${shortPath(file)} is not a valid suite (${res.status}): ${await problem(res)}\nSee docs/suite-format.md; check a file with: npx evalstack validate --suite ${shortPath(file)}`,
    );
  const row = (await res.json()) as { item_count?: number };
  io.out(`  suite ${id}: ${row.item_count ?? "?"} items from ${shortPath(file)}\n`);
  return id;
}

/** Follows the run's event stream to run_completed, drawing progress; resolves with the final status. */
async function followRun(evaluator: Evaluator, run: RunRow, models: string[], io: Console, signal: AbortSignal): Promise<string> {
  const progress = new RunProgress(models, { write: io.out, tty: io.tty, columns: process.stdout.columns });
  let status: string | undefined;
  let lastEventId: string | undefined;
  // The stream ends after run_completed; if it drops before (it should not), it is resumed from the last id.
  for (let attempt = 0; status === undefined; attempt++) {
    const res = await evaluator.call(`/v1/runs/${run.id}/events`, { signal, headers: lastEventId ? { "last-event-id": lastEventId } : {} });
    await readEvents(res, (e: SseEvent) => {
      if (e.id) lastEventId = e.id;
      if (e.event === "item_completed") progress.item(JSON.parse(e.data) as ItemEvent);
      else if (e.event === "progress") progress.progress(JSON.parse(e.data) as ProgressEvent);
      else if (e.event === "run_completed") {
        const done = JSON.parse(e.data) as ProgressEvent & { status: string };
        progress.progress(done);
        status = done.status;
        return true;
      }
      return false;
    });
    if (status === undefined && attempt >= 5) throw new Error(`the event stream of ${run.id} kept ending before the run finished`);
  }
  progress.finish();
  io.out(`  run ${run.id} ${status} in ${duration(progress.elapsedSeconds())}\n`);
  return status;
}

async function writeReports(evaluator: Evaluator, runId: string, out: string): Promise<{ report: Report; files: string[] }> {
  const dir = path.join(out, runId);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let report: Report | undefined;
  for (const format of REPORT_FORMATS) {
    const res = await evaluator.call(`/v1/runs/${runId}/report?format=${format}`);
    if (!res.ok) throw new Error(`report ${format}: ${res.status} ${await problem(res)}`);
    const body = await res.text();
    if (format === "json") report = JSON.parse(body) as Report;
    const file = path.join(dir, `report.${format}`);
    writeFileSync(file, body);
    files.push(file);
  }
  return { report: report!, files };
}

async function compare(
  args: CompareArgs,
  io: Console,
  signal: AbortSignal,
  setStack: (stack: LocalStack) => void,
  setRun: (id: string | undefined) => void,
): Promise<number> {
  const startedAt = Date.now();
  // The standard suites' data is fetched (pinned wheels) before the evaluator starts and lists its suites.
  for (const def of STANDARD_SUITES) {
    if (!args.suite.split(",").some((s) => s.trim() === def.id)) continue;
    await ensureSuiteData(def.data, (line) => io.out(`${line}\n`));
    // IFEval and IFBench are scored by their reference verifiers, whose environments are built beside the data.
    if (def.data === "ifeval" || def.data === "ifbench") {
      const installer = fileURLToPath(new URL("../ci/install-verifier-envs.sh", import.meta.url));
      io.out(execFileSync("bash", [installer], { encoding: "utf8" }));
    }
  }
  const stack = await launchStack(args, io, signal);
  setStack(stack);
  const readyAt = Date.now();
  io.out(`  stack ready in ${duration((readyAt - startedAt) / 1000)}\n\n`);
  const evaluator = stack.evaluator!.process;

  const suites: string[] = [];
  for (const part of args.suite
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean))
    suites.push(await resolveSuite(evaluator, part, io));
  const suite = suites.join(",");
  const unfinished = ((await evaluator.json<RunRow[]>("/v1/runs?status=running,queued")) ?? []).filter((r) => r.id);
  if (unfinished.length > 0) {
    io.err(
      io.style.bad(
        `note: ${unfinished.length} unfinished run(s) of an earlier session resume in this evaluator and share the models: ${unfinished.map((r) => r.id).join(", ")} (cancel one with: curl -X POST ${stack.evaluator!.url}/v1/runs/<id>/cancel)\n`,
      ),
    );
  }
  const res = await evaluator.call("/v1/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      suite,
      ...(args.limit !== undefined ? { limit: args.limit } : {}),
      ...(args.shuffleSeed !== undefined ? { shuffle_seed: args.shuffleSeed } : {}),
      models: args.modelNames,
      repeats: args.repeats,
      sampling: { temperature: args.temperature, seed: args.seed },
      ...(args.maxTokens ? { max_tokens: args.maxTokens } : {}),
      ...(args.concurrency ? { concurrency: args.concurrency } : {}),
    }),
    signal,
  });
  if (!res.ok) throw new LaunchError(`the evaluator refused the run (${res.status}): ${await problem(res)}`);
  const run = (await res.json()) as RunRow;
  setRun(run.id);
  const perModel = run.total_items / args.modelNames.length;
  io.out(
    `${io.style.bold(`Run ${run.id}`)}: suite ${suite}${args.limit !== undefined ? ` (at most ${args.limit} items each${args.shuffleSeed !== undefined ? `, shuffle seed ${args.shuffleSeed}` : ""})` : args.shuffleSeed !== undefined ? ` (shuffle seed ${args.shuffleSeed})` : ""}, ${perModel} item${perModel === 1 ? "" : "s"} per model (${args.repeats} repeat${args.repeats === 1 ? "" : "s"}), ${args.modelNames.join(" and ")} side by side, temperature ${args.temperature}${args.maxTokens ? `, max_tokens ≤ ${args.maxTokens}` : ""}\n`,
  );
  const status = await Promise.race([followRun(evaluator, run, args.modelNames, io, signal), stack.failure]);
  setRun(undefined);
  const code = status === "completed" || status === "partial" ? 0 : 1;

  const { report, files } = await writeReports(evaluator, run.id, args.out);
  io.out(`\n${renderTerminalReport(report, io.style)}\n`);
  io.out(`${io.style.bold("Reports")}\n${files.map((f) => `  ${shortPath(f)}`).join("\n")}\n`);
  const errors = report.models.reduce((n, m) => n + m.errors, 0);
  if (errors > 0)
    io.err(
      io.style.bad(
        `note: ${errors} repl${errors === 1 ? "y" : "ies"} ended in an error (counted as failures); the reports' item tables say why\n`,
      ),
    );
  io.out(
    `\ncompare: ${duration((Date.now() - startedAt) / 1000)} in all (stack ready after ${duration((readyAt - startedAt) / 1000)}, run ${duration((Date.now() - readyAt) / 1000)})\n`,
  );

  if (args.keepRunning) {
    io.out(`\n${describeEndpoints(stack, io)}The stack keeps running (--keep-running); Ctrl-C stops it.\n`);
    // Until Ctrl-C (a clean stop: the run's exit code stands) or a service exits (an error).
    await Promise.race([new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })), stack.failure]);
  }
  return code;
}

export async function main(): Promise<number> {
  const args = parseCommandLine("compare", parseCompareArgs, compareUsage);
  if (typeof args === "number") return args;
  const io = consoleFor(styleFor(process.stdout));
  let stack: LocalStack | undefined;
  let runId: string | undefined;
  const interrupts = handleInterrupts({
    onFirst: (signal) =>
      io.err(
        `\n${signal === "SIGINT" ? "Ctrl-C" : signal}: ${runId ? `cancelling run ${runId} and ` : ""}stopping everything compare started (Ctrl-C again to kill at once)\n`,
      ),
    onSecond: (signal) => {
      io.err(`${signal === "SIGINT" ? "Ctrl-C" : signal} again: killing every process of the stack now\n`);
      stack?.kill(); // processes still starting are killed by the stack's exit hook
      process.exit(signalExitCode(signal));
    },
  });
  let code: number;
  try {
    code = await compare(
      args,
      io,
      interrupts.signal,
      (s) => (stack = s),
      (id) => (runId = id),
    );
  } catch (error) {
    const interrupted = interrupts.signal.aborted;
    if (runId && stack?.evaluator) {
      const res = await stack.evaluator.process
        .call(`/v1/runs/${runId}/cancel`, { method: "POST", signal: AbortSignal.timeout(5_000) })
        .catch(() => undefined);
      io.err(res?.ok ? `  run ${runId} cancelled\n` : `  run ${runId}: could not cancel (${res ? res.status : "no answer"})\n`);
    }
    if (interrupted) code = signalExitCode((interrupts.signal.reason as InterruptedError).signal ?? "SIGINT");
    else {
      code = 1;
      const message =
        error instanceof StackExitedError
          ? `${error.message}\n${io.style.dim(
              error.output
                .split("\n")
                .slice(-12)
                .map((l) => `    ${l}`)
                .join("\n"),
            )}`
          : error instanceof LaunchError
            ? error.message
            : `${(error as Error).message ?? String(error)}`;
      io.err(`${io.style.bad("compare failed:")} ${message}\n`);
      if (!(error instanceof LaunchError) && process.env.DEBUG) io.err(`${(error as Error).stack}\n`);
    }
  }
  if (stack) {
    io.out("stopping the stack ...\n");
    await stack.stop();
    io.out(`stopped (${stack.processes.map((p) => `${p.name} pid ${p.pid}`).join(", ")})\n`);
  }
  interrupts.dispose();
  return code;
}
