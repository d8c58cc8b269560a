import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessOptions {
  /** Shown in messages ("<name> exited ..."). */
  name: string;
  /** Default: this node binary. */
  command?: string;
  args?: string[];
  /** Added to this process's environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Default: the repository root. */
  cwd?: string;
  /** Run as this user/group (e.g. PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /**
   * Its own process group: a Ctrl-C in the terminal reaches only the launcher, which decides how the
   * child stops, and signals from `signal()`/`stop()` reach every process the child started.
   */
  detached?: boolean;
  /** Called with every line the child prints (both streams). */
  echo?: (line: string) => void;
  /** `output()` returns at most this many lines (default 200). */
  maxLines?: number;
  /** Characters of output kept (the tail; default 2,000,000). */
  logLimit?: number;
  /** `stop()`'s wait before SIGKILL (default 35,000 ms). */
  stopTimeoutMs?: number;
  /**
   * The kernel sends this signal to the child when the launcher dies, however it dies (even SIGKILL), so no
   * orphan is left (Linux, through util-linux `setpriv --pdeathsig`; ignored where that is missing).
   */
  parentDeathSignal?: NodeJS.Signals;
}

/**
 * A child process of the stack: its output kept (the tail) for error messages, its exit observable, and a
 * stop that escalates from SIGTERM to SIGKILL. Only processes started through this class are ever
 * signalled by it.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  readonly options: ProcessOptions;
  private buffer = "";
  /** Per stream: the start of a line not yet ended. */
  private readonly partial = ["", ""];
  private exitStatus: ExitStatus | undefined;
  private readonly listeners = new Set<() => void>();

  /** `new ManagedProcess(options)`, or `new ManagedProcess(name, entry, env, options)` for `node --import tsx <entry>`. */
  constructor(options: ProcessOptions);
  constructor(
    name: string,
    entry: string,
    env?: Record<string, string | undefined>,
    options?: Omit<ProcessOptions, "name" | "command" | "args" | "env">,
  );
  constructor(
    first: string | ProcessOptions,
    entry?: string,
    env: Record<string, string | undefined> = {},
    rest: Omit<ProcessOptions, "name" | "command" | "args" | "env"> = {},
  ) {
    // node --import tsx <entry>: signals reach the service itself, not an npm or tsx wrapper.
    this.options = typeof first === "string" ? { ...rest, name: first, args: tsxArgs(entry!), env } : first;
    const options = this.options;
    const setpriv = options.parentDeathSignal ? setprivPath() : undefined;
    const command = options.command ?? process.execPath;
    const [file, args] = setpriv
      ? [setpriv, ["--pdeathsig", options.parentDeathSignal!, "--", command, ...(options.args ?? [])]]
      : [command, options.args ?? []];
    // setpriv execs the command: the pid is the command's.
    this.child = spawn(file, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: childEnv({ ...process.env, ...options.env }),
      stdio: ["ignore", "pipe", "pipe"],
      uid: options.uid,
      gid: options.gid,
      detached: options.detached ?? false,
    });
    const limit = options.logLimit ?? 2_000_000;
    for (const [index, stream] of [this.child.stdout!, this.child.stderr!].entries()) {
      stream.setEncoding("utf8");
      stream.on("data", (data: string) => {
        this.buffer += data;
        if (this.buffer.length > limit) this.buffer = this.buffer.slice(-limit);
        if (options.echo) {
          const parts = (this.partial[index] + data).split("\n");
          this.partial[index] = parts.pop() ?? "";
          for (const line of parts) options.echo(line);
        }
        for (const listener of this.listeners) listener();
      });
    }
    this.exited = new Promise((resolve) => {
      const settle = (status: ExitStatus) => {
        if (this.exitStatus) return;
        this.exitStatus = status;
        for (const rest of this.partial) if (rest) options.echo?.(rest);
        this.partial.fill("");
        for (const listener of this.listeners) listener();
        resolve(status);
      };
      // "close": the exit status and every byte of output (a grandchild holding the pipes open is not
      // waited for: "exit" settles it a moment later if "close" has not come).
      this.child.once("exit", (code, signal) => setTimeout(() => settle({ code, signal }), 200).unref());
      this.child.once("close", (code: number | null, signal: NodeJS.Signals | null) => settle({ code, signal }));
      this.child.once("error", (error) => {
        this.buffer += `\n[spawn error] ${error.message}\n`;
        if (this.child.pid === undefined) settle({ code: -1, signal: null });
      });
    });
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** Everything kept of the output (both streams). */
  logs(): string {
    return this.buffer;
  }

  /** The last lines the process printed (both streams), at most `maxLines`. */
  output(): string {
    return this.tail(this.options.maxLines ?? 200);
  }

  /** The last `lines` lines of output, for failure messages. */
  tail(lines = 40): string {
    return this.buffer.replace(/\n$/, "").split("\n").slice(-lines).join("\n");
  }

  /** Resolves when `pattern` appears in the output; rejects if the process exits first or on timeout. */
  waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolveMatch, reject) => {
      const check = () => {
        const match = this.buffer.match(pattern);
        if (match) return done(() => resolveMatch(match));
        if (this.exitStatus) {
          return done(() =>
            reject(new Error(`${this.name} exited (${JSON.stringify(this.exitStatus)}) before printing ${pattern}:\n${this.tail()}`)),
          );
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.tail()}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` to the process (to its whole group when it was started detached). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      if (this.options.detached) process.kill(-this.child.pid, signal);
      else this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /**
   * Sends SIGTERM (or `signal`) and waits for the exit; SIGKILL once `timeoutMs` has passed.
   * `stop(5_000)` is SIGTERM with a 5 s wait.
   */
  async stop(signal: NodeJS.Signals | number = "SIGTERM", timeoutMs?: number): Promise<ExitStatus> {
    if (typeof signal === "number") {
      timeoutMs = signal;
      signal = "SIGTERM";
    }
    if (!this.running) return this.exitStatus!;
    this.signal(signal);
    const timer = setTimeout(() => this.signal("SIGKILL"), timeoutMs ?? this.options.stopTimeoutMs ?? 35_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: no cleanup, no goodbye (a crash). */
  kill(): Promise<ExitStatus> {
    return this.stop("SIGKILL", 5_000);
  }
}

/** node's arguments to run a TypeScript entry point with the tsx loader in one process. */
export function tsxArgs(entry: string, args: string[] = []): string[] {
  return ["--import", "tsx", path.resolve(REPO_ROOT, entry), ...args];
}

/** Runs `until` unless the process exits first, in which case it fails with what the process printed. */
export async function unlessExited<T>(process: ManagedProcess, until: Promise<T>, what: string): Promise<T> {
  const exited = process.exited.then((status) => {
    throw new ProcessExitedError(process, status, what);
  });
  return Promise.race([until, exited]);
}

/** A process ended before it did what it was started for; the message carries its last lines. */
export class ProcessExitedError extends Error {
  constructor(
    readonly process: ManagedProcess,
    readonly status: ExitStatus,
    what: string,
  ) {
    super(
      `${process.name} exited (code ${status.code}, signal ${status.signal}) before ${what}:\n${process.output().split("\n").slice(-15).join("\n")}`,
    );
    this.name = "ProcessExitedError";
  }
}

function childEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  // vitest sets these for its workers; a child service must not think it is a test worker.
  for (const k of Object.keys(out)) if (k.startsWith("VITEST")) delete out[k];
  return out;
}

let setpriv: string | null | undefined;

/** util-linux setpriv with --pdeathsig, if this machine has it (checked once). */
export function setprivPath(): string | undefined {
  if (setpriv === undefined) {
    setpriv = null;
    for (const dir of ["/usr/bin", "/bin", ...(process.env.PATH ?? "").split(":").filter(Boolean)]) {
      const candidate = path.join(dir, "setpriv");
      try {
        accessSync(candidate, constants.X_OK);
      } catch {
        continue;
      }
      if (spawnSync(candidate, ["--pdeathsig", "SIGKILL", "--", "true"], { stdio: "ignore", timeout: 5_000 }).status === 0)
        setpriv = candidate;
      break;
    }
  }
  return setpriv ?? undefined;
}
