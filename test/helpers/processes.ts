// Child processes for integration tests: started with captured logs, stopped (or killed) on demand, and all
// reaped at the end of the test file. Only processes started here are ever signalled.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface StartOptions {
  name: string;
  command: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Run as this user/group (e.g. PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** Keep at most this many characters of output (the tail). */
  logLimit?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private output = "";
  private exitInfo: ExitInfo | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(readonly options: StartOptions) {
    this.child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd ?? REPO_ROOT,
      env: cleanEnv({ ...process.env, ...options.env }),
      stdio: ["ignore", "pipe", "pipe"],
      uid: options.uid,
      gid: options.gid,
    });
    const limit = options.logLimit ?? 2_000_000;
    const append = (chunk: Buffer) => {
      this.output += chunk.toString("utf8");
      if (this.output.length > limit) this.output = this.output.slice(-limit);
      for (const listener of this.listeners) listener();
    };
    this.child.stdout!.on("data", append);
    this.child.stderr!.on("data", append);
    this.exited = new Promise((resolveExit) => {
      this.child.on("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        for (const listener of this.listeners) listener();
        resolveExit(this.exitInfo);
      });
      this.child.on("error", (error) => {
        this.output += `\n[spawn error] ${error.message}\n`;
        this.exitInfo = { code: -1, signal: null };
        resolveExit(this.exitInfo);
      });
    });
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  logs(): string {
    return this.output;
  }

  /** The last `lines` lines of output, for failure messages. */
  tail(lines = 40): string {
    return this.output.split("\n").slice(-lines).join("\n");
  }

  /** Resolves when `pattern` appears in the output; rejects if the process exits first or on timeout. */
  waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolveMatch, reject) => {
      const check = () => {
        const match = this.output.match(pattern);
        if (match) return done(() => resolveMatch(match));
        if (this.exitInfo) {
          return done(() => reject(new Error(`${this.name} exited (${JSON.stringify(this.exitInfo)}) before printing ${pattern}:\n${this.tail()}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.tail()}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no cleanup, no goodbye (a crash). */
  kill(): Promise<ExitInfo> {
    return this.stop("SIGKILL", 5_000);
  }
}

const running = new Set<ManagedProcess>();

export function startProcess(options: StartOptions): ManagedProcess {
  return new ManagedProcess(options);
}

/** A TypeScript entry point run by node with the tsx loader in one process (signals reach it directly). */
export function startTsProcess(options: Omit<StartOptions, "command" | "args"> & { script: string; args?: string[] }): ManagedProcess {
  return startProcess({
    ...options,
    command: process.execPath,
    args: ["--import", "tsx", resolve(REPO_ROOT, options.script), ...(options.args ?? [])],
  });
}

/** Stops every process these helpers started that is still running (call in afterAll). */
export async function stopAll(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(signal)));
}

/** Polls `probe` until it returns a truthy value; throws with `what` (and the optional process's log) on timeout. */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string; process?: ManagedProcess } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (options.process?.hasExited) {
      throw new Error(`${options.process.name} exited while waiting for ${options.what ?? "a condition"}:\n${options.process.tail()}`);
    }
    if (Date.now() > until) {
      const detail = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      const log = options.process ? `\n${options.process.tail()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"}${detail}${log}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  // vitest sets these for its workers; a child service must not think it is a test worker.
  for (const k of Object.keys(out)) if (k.startsWith("VITEST")) delete out[k];
  return out;
}
