import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process of the stack: its output kept (last lines) for error messages, its exit observable. */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  private readonly lines: string[] = [];
  private exitStatus: ExitStatus | undefined;

  constructor(
    readonly name: string,
    entry: string,
    env: Record<string, string | undefined>,
    private readonly options: { echo?: (line: string) => void; maxLines?: number } = {},
  ) {
    // node --import tsx <entry>: signals reach the service itself, not an npm wrapper.
    this.child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (data: string) => {
        const parts = (rest + data).split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) this.remember(line);
      });
      stream.on("end", () => rest && this.remember(rest));
    }
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The last lines the process printed (both streams). */
  output(): string {
    return this.lines.join("\n");
  }

  private remember(line: string): void {
    this.lines.push(line);
    if (this.lines.length > (this.options.maxLines ?? 200)) this.lines.shift();
    this.options.echo?.(line);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 35_000): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus!;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs `until` unless the process exits first, in which case it fails with what the process printed. */
export async function unlessExited<T>(process: ManagedProcess, until: Promise<T>, what: string): Promise<T> {
  const exited = process.exited.then((status) => {
    throw new Error(
      `${process.name} exited (code ${status.code}, signal ${status.signal}) before ${what}:\n${process.output().split("\n").slice(-15).join("\n")}`,
    );
  });
  return Promise.race([until, exited]);
}
