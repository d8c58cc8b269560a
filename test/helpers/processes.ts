// Child processes for integration tests: started with captured logs, stopped (or killed) on demand, and all
// reaped at the end of the test file. Only processes started here are ever signalled. The process class and
// the polling helper are @evalstack/local-stack's (the same ones the local launcher uses).
import { ManagedProcess, REPO_ROOT, tsxArgs, waitUntil, type ExitStatus } from "@evalstack/local-stack";

export { ManagedProcess, REPO_ROOT, waitUntil };
export type ExitInfo = ExitStatus;

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

const running = new Set<ManagedProcess>();

/** Adds a process started elsewhere (e.g. the evaluator helper) to those stopAll() reaps. */
export function track(process: ManagedProcess): ManagedProcess {
  running.add(process);
  void process.exited.then(() => running.delete(process));
  return process;
}

export function startProcess(options: StartOptions): ManagedProcess {
  return track(new ManagedProcess({ ...options, stopTimeoutMs: 15_000 }));
}

/** A TypeScript entry point run by node with the tsx loader in one process (signals reach it directly). */
export function startTsProcess(options: Omit<StartOptions, "command" | "args"> & { script: string; args?: string[] }): ManagedProcess {
  return startProcess({ ...options, command: process.execPath, args: tsxArgs(options.script, options.args) });
}

/** Stops every process these helpers started that is still running (call in afterAll). */
export async function stopAll(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(signal)));
}
