// Runs untrusted code (python3 or node) in a child process that cannot hurt the evaluator.
//
// namespaces mode (bubblewrap): new user, pid, network, mount, ipc, uts and cgroup namespaces; the root is
// read-only /usr plus a fresh, size-limited tmpfs as the working directory; no /etc, /home, /root or the
// repository; no network (only a downed loopback); a non-root user both inside and, when the evaluator runs as
// root, outside (one user id per concurrent slot); rlimits on address space, processes, file size, open files
// and CPU time; a wall-clock timeout that kills bwrap, which takes the whole pid namespace with it.
//
// rlimits mode (the fallback where user namespaces are unavailable): the same rlimits, emptied environment,
// fresh temp directory as cwd, own process group killed on timeout, a dedicated user when run as root. It does
// NOT isolate the network or the filesystem: the program can read whatever that user can read.

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { chmod, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ExecutionPool } from "./executionPool.js";
import { SANDBOX_CEILINGS, SANDBOX_DEFAULTS, type SandboxOptions, defaultConcurrency } from "./limits.js";

export type { SandboxOptions } from "./limits.js";

export type SandboxLanguage = "python" | "javascript";

export interface SandboxResult {
  language: SandboxLanguage;
  /** Exit code of the program; null when it was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  outputTruncated: boolean;
  isolation: "namespaces" | "rlimits";
}

export interface IsolationInfo {
  mode: "namespaces" | "rlimits";
  /** Why namespaces are not used, where they are not. */
  reason: string | null;
  bwrap: string | null;
  prlimit: string;
}

/** First user id used for sandboxed programs when the evaluator runs as root (one per concurrent slot). */
const SANDBOX_UID_BASE = Number(process.env.EVALSTACK_SANDBOX_UID_BASE ?? 61_000);
const INNER_UID = 1000;

let pool = new ExecutionPool(defaultConcurrency());

/** Resizes the pool of concurrent executions (default: EVALSTACK_SANDBOX_CONCURRENCY, else the CPU count). */
export function setSandboxConcurrency(size: number): void {
  pool = new ExecutionPool(size);
}

export function sandboxLoad(): { running: number; queued: number; size: number } {
  return { running: pool.running, queued: pool.queued, size: pool.size };
}

function findExecutable(name: string, preferred: string[] = []): string | null {
  for (const candidate of preferred) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

interface Interpreter {
  path: string;
  args: (file: string) => string[];
  file: string;
  /** A directory outside /usr that must be visible (read-only) inside the sandbox for it to run. */
  extraRoot: string | null;
}

function interpreterFor(language: SandboxLanguage, options: SandboxOptions): Interpreter {
  const path =
    language === "python"
      ? (options.pythonPath ?? findExecutable("python3", ["/usr/bin/python3"]))
      : (options.nodePath ?? process.execPath);
  if (!path) throw new Error(`no interpreter found for ${language}`);
  const real = realpathSync(path);
  // An interpreter installed outside /usr (e.g. /opt/node/bin/node) needs its prefix bound into the sandbox.
  const extraRoot = real.startsWith("/usr/") ? null : dirname(dirname(real));
  return language === "python"
    ? { path: real, args: (f) => ["-I", "-B", f], file: "main.py", extraRoot }
    : { path: real, args: (f) => [f], file: "main.cjs", extraRoot };
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function prlimitArgs(o: Required<Pick<SandboxOptions, "memoryBytes" | "maxProcesses" | "maxFileBytes" | "maxOpenFiles" | "timeoutMs">>): string[] {
  return [
    `--as=${o.memoryBytes}`,
    `--nproc=${o.maxProcesses}`,
    `--fsize=${o.maxFileBytes}`,
    `--nofile=${o.maxOpenFiles}`,
    `--cpu=${Math.ceil(o.timeoutMs / 1000) + 1}`,
    "--core=0",
  ];
}

/** The bubblewrap command line around `inner` (argv inside the sandbox). */
function bwrapArgs(srcDir: string, scratchBytes: number, extraRoots: string[], inner: string[]): string[] {
  const args = [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    // The program is pid 1 of its namespace: when it ends, the kernel kills everything it left behind. Without
    // this, bwrap's own init process is left as a zombie of the host's pid 1 after every run, and zombies
    // count against RLIMIT_NPROC of the slot's uid until reaped (never, where the evaluator itself is pid 1).
    "--as-pid-1",
    "--die-with-parent",
    "--new-session",
    "--uid", String(INNER_UID),
    "--gid", String(INNER_UID),
    "--hostname", "sandbox",
    "--ro-bind", "/usr", "/usr",
  ];
  // Merged-/usr systems link /bin, /lib, /lib64 and /sbin into /usr; others have real directories.
  for (const top of ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]) {
    if (!existsSync(top)) continue;
    const st = lstatSync(top);
    if (st.isSymbolicLink()) args.push("--symlink", realpathSync(top), top);
    else if (st.isDirectory()) args.push("--ro-bind", top, top);
  }
  for (const root of extraRoots) args.push("--ro-bind", root, root);
  args.push(
    "--proc", "/proc",
    "--dev", "/dev",
    "--size", String(scratchBytes),
    "--tmpfs", "/work",
    "--ro-bind", srcDir, "/src",
    "--chdir", "/work",
    "--clearenv",
    "--setenv", "PATH", "/usr/bin:/bin",
    "--setenv", "HOME", "/work",
    "--setenv", "TMPDIR", "/work",
    "--setenv", "LANG", "C.UTF-8",
    "--setenv", "PYTHONIOENCODING", "utf-8",
    "--",
    ...inner,
  );
  return args;
}

let isolationProbe: Promise<IsolationInfo> | null = null;

/** Which isolation this machine allows: probed once (a real bwrap run of /usr/bin/true), then cached. */
export function sandboxIsolation(): Promise<IsolationInfo> {
  isolationProbe ??= probeIsolation();
  return isolationProbe;
}

async function probeIsolation(): Promise<IsolationInfo> {
  const prlimit = findExecutable("prlimit", ["/usr/bin/prlimit"]);
  if (!prlimit) throw new Error("prlimit (util-linux) is required by the sandbox and was not found");
  const bwrap = findExecutable("bwrap", ["/usr/bin/bwrap"]);
  if (!bwrap) return { mode: "rlimits", reason: "bubblewrap (bwrap) is not installed", bwrap: null, prlimit };
  const dir = await mkdtemp(join(tmpdir(), "evalstack-probe-"));
  try {
    await chmod(dir, 0o755);
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(bwrap, bwrapArgs(dir, 1024 * 1024, [], [prlimit, "--nproc=8", "--", "/usr/bin/true"]), {
        stdio: ["ignore", "ignore", "pipe"],
        ...(isRoot ? { uid: SANDBOX_UID_BASE, gid: SANDBOX_UID_BASE } : {}),
      });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", (e) => resolve({ code: -1, stderr: e.message }));
      child.on("close", (c) => resolve({ code: c, stderr: err }));
    });
    if (code === 0) return { mode: "namespaces", reason: null, bwrap, prlimit };
    return { mode: "rlimits", reason: `bubblewrap cannot create namespaces here: ${stderr.trim() || `exit ${code}`}`, bwrap, prlimit };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function clamp(n: number, max: number): number {
  return Math.max(1, Math.min(n, max));
}

/** Runs `source` as a python3 or node (CommonJS) program in the sandbox; resolves when it has ended. */
export async function runInSandbox(language: SandboxLanguage, source: string, options: SandboxOptions = {}): Promise<SandboxResult> {
  const isolation = await sandboxIsolation();
  const wanted = options.isolation ?? SANDBOX_DEFAULTS.isolation;
  if (wanted === "namespaces" && isolation.mode !== "namespaces") {
    throw new Error(`sandbox isolation "namespaces" was required but is unavailable: ${isolation.reason ?? "unknown"}`);
  }
  const mode = wanted === "rlimits" ? "rlimits" : isolation.mode;
  const limits = {
    timeoutMs: clamp(options.timeoutMs ?? SANDBOX_DEFAULTS.timeoutMs, SANDBOX_CEILINGS.timeoutMs),
    memoryBytes: clamp(options.memoryBytes ?? SANDBOX_DEFAULTS.memoryBytes, SANDBOX_CEILINGS.memoryBytes),
    maxProcesses: options.maxProcesses ?? SANDBOX_DEFAULTS.maxProcesses,
    maxFileBytes: options.maxFileBytes ?? SANDBOX_DEFAULTS.maxFileBytes,
    maxOpenFiles: options.maxOpenFiles ?? SANDBOX_DEFAULTS.maxOpenFiles,
  };
  const scratchBytes = options.scratchBytes ?? SANDBOX_DEFAULTS.scratchBytes;
  const maxOutput = options.maxOutputBytes ?? SANDBOX_DEFAULTS.maxOutputBytes;
  const interpreter = interpreterFor(language, options);

  return pool.run(async (slot) => {
    const uid = isRoot ? SANDBOX_UID_BASE + slot : null;
    const dir = await mkdtemp(join(tmpdir(), "evalstack-sandbox-"));
    try {
      const file = join(dir, interpreter.file);
      await writeFile(file, source, { mode: 0o644 });
      await chmod(dir, 0o755);
      const rl = [isolation.prlimit, ...prlimitArgs(limits), "--"];
      let command: string;
      let args: string[];
      let cwd: string;
      let env: NodeJS.ProcessEnv;
      if (mode === "namespaces") {
        command = isolation.bwrap as string;
        const inner = [...rl, interpreter.path, ...interpreter.args(`/src/${interpreter.file}`)];
        args = bwrapArgs(dir, scratchBytes, interpreter.extraRoot ? [interpreter.extraRoot] : [], inner);
        cwd = dir;
        env = {};
      } else {
        if (uid !== null) await chown(dir, uid, uid);
        command = rl[0] as string;
        args = [...rl.slice(1), interpreter.path, ...interpreter.args(file)];
        cwd = dir;
        env = { PATH: "/usr/bin:/bin", HOME: dir, TMPDIR: dir, LANG: "C.UTF-8", PYTHONIOENCODING: "utf-8" };
      }
      return await execute(command, args, { cwd, env, uid, timeoutMs: limits.timeoutMs, maxOutput, language, mode });
    } finally {
      if (mode === "rlimits" && uid !== null) await killAllOfUser(uid);
      await rm(dir, { recursive: true, force: true });
    }
  });
}

interface ExecuteOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  uid: number | null;
  timeoutMs: number;
  maxOutput: number;
  language: SandboxLanguage;
  mode: "namespaces" | "rlimits";
}

function execute(command: string, args: string[], o: ExecuteOptions): Promise<SandboxResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: o.cwd,
        env: o.env,
        stdio: ["ignore", "pipe", "pipe"],
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
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      if (o.mode === "namespaces" && killNamespaceInit(child.pid)) {
        // bwrap reaps its child and exits by itself; the group kill is only the fallback.
        setTimeout(killGroup, 500).unref();
      } else {
        killGroup();
      }
    }, o.timeoutMs);
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
      killGroup(); // anything left in the group (rlimits mode: background children)
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        language: o.language,
        exitCode: code,
        signal,
        timedOut,
        durationMs: performance.now() - started,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        outputTruncated: truncated,
        isolation: o.mode,
      });
    };
    child.on("close", finish);
    // A background process that escaped the group could hold the pipes open: don't wait on it for long.
    child.on("exit", (code, signal) => {
      setTimeout(() => finish(code, signal), 250).unref();
    });
  });
}

/**
 * Kills bwrap's child, the program running as pid 1 of the sandbox's pid namespace (which takes every other
 * process of the namespace with it). Killing bwrap first would orphan that child as a zombie of the host's
 * pid 1. Returns false when the child cannot be found (then the caller kills the whole group).
 */
function killNamespaceInit(bwrapPid: number | undefined): boolean {
  if (bwrapPid === undefined) return false;
  let children: number[];
  try {
    children = readFileSync(`/proc/${bwrapPid}/task/${bwrapPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return false;
  }
  if (children.length === 0) return false;
  for (const pid of children) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return true;
}

/** rlimits mode as root: the program ran under a dedicated user id, so every process of that user is its own. */
function killAllOfUser(uid: number): Promise<void> {
  return new Promise((resolve) => {
    const k = spawn("/bin/kill", ["-KILL", "-1"], { uid, gid: uid, stdio: "ignore" });
    k.on("error", () => resolve());
    k.on("close", () => resolve());
  });
}
