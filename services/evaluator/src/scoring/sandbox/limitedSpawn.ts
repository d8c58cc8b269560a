// Starting one sandboxed process and ending it: its own process group, output capped, a wall-clock kill of
// the program (pid 1 of its namespace) and then of the group, and bwrap's status read from fd 3.

import { type ChildProcess, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { EffectiveIsolation } from "./limits.js";

export interface LimitedSpawnOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  uid: number | null;
  timeoutMs: number;
  maxOutput: number;
  mode: EffectiveIsolation;
  /** Give the process two protocol pipes, fd 4 (it reads) and fd 5 (it writes), handed to onSpawn. */
  protocol?: (pipes: { toChild: Writable; fromChild: Readable }) => void;
  /** Lets the caller end the process early (e.g. the candidate once its judge has finished). */
  signal?: AbortSignal;
}

export interface LimitedSpawnResult {
  /** Exit code of the program; null when it was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  /** namespaces mode: whether bwrap got as far as running the program (from its status fd); null otherwise. */
  programRan: boolean | null;
}

/** bwrap's --json-status-fd lines: {"child-pid": N, ...} when the sandbox exists, {"exit-code": N} after the program. */
function parseStatus(text: string): { childPid: number | null; exitCode: number | null } {
  const status = { childPid: null as number | null, exitCode: null as number | null };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const o = JSON.parse(line) as { "child-pid"?: unknown; "exit-code"?: unknown };
      if (typeof o["child-pid"] === "number") status.childPid = o["child-pid"];
      if (typeof o["exit-code"] === "number") status.exitCode = o["exit-code"];
    } catch {
      // a partial line: ignore
    }
  }
  return status;
}

export function spawnLimited(o: LimitedSpawnOptions): Promise<LimitedSpawnResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let child: ChildProcess;
    const stdio: ("ignore" | "pipe")[] = ["ignore", "pipe", "pipe", o.mode === "namespaces" ? "pipe" : "ignore"];
    if (o.protocol) stdio.push("pipe", "pipe");
    try {
      child = spawn(o.command, o.args, {
        cwd: o.cwd,
        env: o.env,
        stdio,
        detached: true, // its own process group, so a timeout can kill the whole group
        ...(o.uid !== null ? { uid: o.uid, gid: o.uid } : {}),
      });
    } catch (err) {
      reject(err as Error);
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const size = { out: 0, err: 0 };
    let truncated = false;
    let statusText = "";
    const collect = (which: "out" | "err", chunks: Buffer[]) => (d: Buffer) => {
      const room = o.maxOutput - size[which];
      if (room <= 0) {
        truncated = true;
        return;
      }
      const part = d.length > room ? d.subarray(0, room) : d;
      if (part.length < d.length) truncated = true;
      chunks.push(part);
      size[which] += part.length;
    };
    child.stdout?.on("data", collect("out", out));
    child.stderr?.on("data", collect("err", err));
    const statusStream = child.stdio[3] as Readable | null | undefined;
    statusStream?.on("data", (d: Buffer) => {
      if (statusText.length < 4096) statusText += d.toString("utf8");
    });
    const extraStdio = child.stdio as unknown as (Readable | Writable | null | undefined)[];
    const toChild = extraStdio[4] as Writable | null | undefined;
    const fromChild = extraStdio[5] as Readable | null | undefined;
    if (o.protocol && toChild && fromChild) {
      // A peer gone away is the protocol's business (EOF on the other side), not a crash of this process.
      toChild.on("error", () => {});
      fromChild.on("error", () => {});
      o.protocol({ toChild, fromChild });
    }
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const killProgram = () => {
      // namespaces: kill the program (pid 1 of its namespace, which takes everything in it along); bwrap then
      // reaps it and exits by itself. Killing bwrap first would leave the program as a zombie of the host's
      // pid 1, counted against RLIMIT_NPROC of the slot's uid. The group kill stays as the fallback.
      const programPid = o.mode === "namespaces" ? parseStatus(statusText).childPid : null;
      // bwrap reaps it once the kernel has emptied the namespace, which takes a while for a fork bomb on a busy
      // machine; killing bwrap before that would leave the program a zombie of the host's pid 1.
      if (programPid !== null && killPid(programPid)) setTimeout(killGroup, 3_000).unref();
      else killGroup();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killProgram();
    }, o.timeoutMs);
    const onAbort = () => killProgram();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    let settled = false;
    child.on("error", (e) => {
      clearTimeout(timer);
      if (!settled) reject(e);
      settled = true;
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      killGroup(); // anything left in the group (rlimits mode: background children)
      for (const s of child.stdio) (s as { destroy?: () => void } | null)?.destroy?.();
      resolve({
        exitCode: code,
        signal,
        timedOut,
        durationMs: performance.now() - started,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        outputTruncated: truncated,
        programRan: o.mode === "namespaces" ? parseStatus(statusText).exitCode !== null : null,
      });
    };
    child.on("close", finish);
    // A background process that escaped the group could hold the pipes open: don't wait on it for long.
    child.on("exit", (code, signal) => {
      setTimeout(() => finish(code, signal), 250).unref();
    });
  });
}

function killPid(pid: number): boolean {
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/** rlimits mode as root: the program ran under a dedicated user id, so every process of that user is its own. */
export function killAllOfUser(uid: number): Promise<void> {
  return new Promise((resolve) => {
    const k = spawn("/bin/kill", ["-KILL", "-1"], { uid, gid: uid, stdio: "ignore" });
    k.on("error", () => resolve());
    k.on("close", () => resolve());
  });
}
