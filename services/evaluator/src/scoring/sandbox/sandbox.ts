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

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, constants, existsSync, lstatSync, realpathSync } from "node:fs";
import { chmod, chown, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
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
  /**
   * Run before prlimit, inside the sandbox: `nice -n 10` (the program yields the CPU to the evaluator and to
   * model servers on the same machine) and `choom -n 1000` (under memory pressure the kernel's OOM killer
   * picks sandboxed programs before anything else). Empty where those tools are missing.
   */
  wrappers: string[];
}

/**
 * First user id used for sandboxed programs when the evaluator runs as root (one per concurrent slot, up to
 * UID_SLOTS). User ids and their RLIMIT_NPROC counts are shared by every process on the host, so by default
 * each evaluator process picks its own random block (200000 + k * 64): two evaluators (or test runs) on one
 * machine then never count, or kill, each other's programs. EVALSTACK_SANDBOX_UID_BASE pins it.
 */
const UID_SLOTS = 64;
const SANDBOX_UID_BASE = uidBase(process.env.EVALSTACK_SANDBOX_UID_BASE);

function uidBase(configured: string | undefined): number {
  if (configured !== undefined && configured !== "") {
    const n = Number(configured);
    if (!Number.isInteger(n) || n < 1000 || n > 4_000_000_000) {
      throw new Error(`EVALSTACK_SANDBOX_UID_BASE must be an integer from 1000 to 4000000000, got "${configured}"`);
    }
    return n;
  }
  return 200_000 + Math.floor(Math.random() * 100_000) * UID_SLOTS;
}

/** The host user ids this process runs sandboxed programs under (as root); null when not root. */
export function sandboxUidRange(): { first: number; last: number } | null {
  return isRoot ? { first: SANDBOX_UID_BASE, last: SANDBOX_UID_BASE + UID_SLOTS - 1 } : null;
}
const INNER_UID = 1000;

let pool = new ExecutionPool(Math.min(defaultConcurrency(), UID_SLOTS));

/** Resizes the pool of concurrent executions (default: EVALSTACK_SANDBOX_CONCURRENCY, else the CPU count). */
export function setSandboxConcurrency(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > UID_SLOTS) throw new RangeError(`sandbox concurrency must be an integer from 1 to ${UID_SLOTS}, got ${size}`);
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

/** The sandbox cannot run programs of this language here: a setup problem, never the program's fault. */
export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxUnavailableError";
  }
}

/**
 * The interpreter's real executable. A launcher such as a pyenv shim (a shell script under a home directory
 * the sandbox cannot see) is asked for sys.executable, so the sandbox runs the real binary.
 */
async function realInterpreter(language: SandboxLanguage, path: string): Promise<string> {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new SandboxUnavailableError(`${language} interpreter ${path} does not exist`);
  }
  if (language !== "python") return real;
  const head = await readFile(real).then((b) => b.subarray(0, 2).toString("latin1"), () => "");
  if (head !== "#!") return real;
  const asked = await new Promise<string | null>((resolve) => {
    execFile(real, ["-I", "-S", "-c", "import sys; print(sys.executable)"], { timeout: 15_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/" } }, (error, stdout) =>
      resolve(error ? null : stdout.trim() || null),
    );
  });
  if (!asked) throw new SandboxUnavailableError(`python launcher ${path} did not report its interpreter`);
  return realpathSync(asked);
}

const interpreters = new Map<string, Promise<Interpreter>>();

/**
 * Finds the interpreter and proves once (per interpreter path and isolation mode) that it starts inside the
 * sandbox, so a broken setup is reported as an error instead of failing every code check silently.
 */
function interpreterFor(language: SandboxLanguage, options: SandboxOptions, mode: "namespaces" | "rlimits"): Promise<Interpreter> {
  const requested =
    language === "python"
      ? (options.pythonPath ?? findExecutable("python3", ["/usr/bin/python3"]))
      : (options.nodePath ?? process.execPath);
  if (!requested) return Promise.reject(new SandboxUnavailableError(`no ${language === "python" ? "python3" : "node"} interpreter found for the sandbox`));
  const key = `${language}\0${requested}\0${mode}`;
  let pending = interpreters.get(key);
  if (!pending) {
    pending = (async () => {
      const real = await realInterpreter(language, requested);
      // An interpreter installed outside /usr (e.g. /opt/node/bin/node) needs its prefix bound into the sandbox.
      const extraRoot = real.startsWith("/usr/") ? null : dirname(dirname(real));
      const interpreter: Interpreter =
        language === "python"
          ? { path: real, args: (f) => ["-I", "-B", "-u", f], file: "main.py", extraRoot }
          : { path: real, args: (f) => [f], file: "main.cjs", extraRoot };
      const probe = language === "python" ? "print('sandbox-ok')" : "console.log('sandbox-ok')";
      const r = await execProgram(interpreter, probe, { timeoutMs: 15_000 }, mode);
      if (r.exitCode !== 0 || r.stdout.trim() !== "sandbox-ok") {
        const why = (r.stderr || r.stdout).trim().split("\n").slice(-2).join(" | ") || `exit ${r.exitCode ?? r.signal}`;
        throw new SandboxUnavailableError(`${language} interpreter ${real} does not start in the sandbox (${mode}): ${why}`);
      }
      return interpreter;
    })();
    interpreters.set(key, pending);
    // A failure is not remembered: the interpreter may be installed later.
    pending.catch(() => interpreters.delete(key));
  }
  return pending;
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
  if (!isolationProbe) {
    isolationProbe = probeIsolation();
    // A failed probe (prlimit missing) is not remembered: it may be installed later.
    isolationProbe.catch(() => {
      isolationProbe = null;
    });
  }
  return isolationProbe;
}

async function probeIsolation(): Promise<IsolationInfo> {
  const prlimit = findExecutable("prlimit", ["/usr/bin/prlimit"]);
  if (!prlimit) throw new SandboxUnavailableError("prlimit (util-linux) is required by the sandbox and was not found");
  const wrappers: string[] = [];
  const nice = findExecutable("nice", ["/usr/bin/nice"]);
  if (nice) wrappers.push(nice, "-n", "10");
  const choom = findExecutable("choom", ["/usr/bin/choom"]);
  if (choom) wrappers.push(choom, "-n", "1000", "--");
  const bwrap = findExecutable("bwrap", ["/usr/bin/bwrap"]);
  if (!bwrap) return { mode: "rlimits", reason: "bubblewrap (bwrap) is not installed", bwrap: null, prlimit, wrappers };
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
    if (code === 0) return { mode: "namespaces", reason: null, bwrap, prlimit, wrappers };
    return { mode: "rlimits", reason: `bubblewrap cannot create namespaces here: ${stderr.trim() || `exit ${code}`}`, bwrap, prlimit, wrappers };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function clamp(n: number, max: number): number {
  return Math.max(1, Math.min(n, max));
}

/** Runs `source` as a python3 or node (CommonJS) program in the sandbox; resolves when it has ended. */
export async function runInSandbox(language: SandboxLanguage, source: string, options: SandboxOptions = {}): Promise<SandboxResult> {
  if (language !== "python" && language !== "javascript") {
    throw new SandboxUnavailableError(`the sandbox runs python or javascript, not ${JSON.stringify(language)}`);
  }
  const isolation = await sandboxIsolation();
  const wanted = options.isolation ?? SANDBOX_DEFAULTS.isolation;
  if (wanted === "namespaces" && isolation.mode !== "namespaces") {
    throw new SandboxUnavailableError(`sandbox isolation "namespaces" was required but is unavailable: ${isolation.reason ?? "unknown"}`);
  }
  const mode = wanted === "rlimits" ? "rlimits" : isolation.mode;
  const interpreter = await interpreterFor(language, options, mode);
  return execProgram(interpreter, source, options, mode, language);
}

async function execProgram(
  interpreter: Interpreter,
  source: string,
  options: SandboxOptions,
  mode: "namespaces" | "rlimits",
  language: SandboxLanguage = interpreter.file.endsWith(".py") ? "python" : "javascript",
): Promise<SandboxResult> {
  const isolation = await sandboxIsolation();
  const limits = {
    timeoutMs: clamp(options.timeoutMs ?? SANDBOX_DEFAULTS.timeoutMs, SANDBOX_CEILINGS.timeoutMs),
    memoryBytes: clamp(options.memoryBytes ?? SANDBOX_DEFAULTS.memoryBytes, SANDBOX_CEILINGS.memoryBytes),
    maxProcesses: options.maxProcesses ?? SANDBOX_DEFAULTS.maxProcesses,
    maxFileBytes: options.maxFileBytes ?? SANDBOX_DEFAULTS.maxFileBytes,
    maxOpenFiles: options.maxOpenFiles ?? SANDBOX_DEFAULTS.maxOpenFiles,
  };
  const scratchBytes = options.scratchBytes ?? SANDBOX_DEFAULTS.scratchBytes;
  const maxOutput = options.maxOutputBytes ?? SANDBOX_DEFAULTS.maxOutputBytes;

  return pool.run(async (slot) => {
    const uid = isRoot ? SANDBOX_UID_BASE + slot : null;
    const dir = await mkdtemp(join(tmpdir(), "evalstack-sandbox-"));
    try {
      const file = join(dir, interpreter.file);
      await writeFile(file, source, { mode: 0o644 });
      await chmod(dir, 0o755);
      // rlimits mode without root: the program shares the evaluator's uid, whose tasks (the evaluator's own
      // threads included) all count against RLIMIT_NPROC; allow the program maxProcesses on top of them.
      const nprocLimits =
        mode === "rlimits" && uid === null ? { ...limits, maxProcesses: (await tasksOfUser(process.getuid?.() ?? -1)) + limits.maxProcesses } : limits;
      const rl = [...isolation.wrappers, isolation.prlimit, ...prlimitArgs(nprocLimits), "--"];
      let command: string;
      let args: string[];
      let env: NodeJS.ProcessEnv;
      if (mode === "namespaces") {
        command = isolation.bwrap as string;
        const inner = [...rl, interpreter.path, ...interpreter.args(`/src/${interpreter.file}`)];
        // fd 3: bwrap's JSON status (the program's pid once it exists, its exit code once it has run).
        args = ["--json-status-fd", "3", ...bwrapArgs(dir, scratchBytes, interpreter.extraRoot ? [interpreter.extraRoot] : [], inner)];
        env = {};
      } else {
        if (uid !== null) await chown(dir, uid, uid);
        command = rl[0] as string;
        args = [...rl.slice(1), interpreter.path, ...interpreter.args(file)];
        env = { PATH: "/usr/bin:/bin", HOME: dir, TMPDIR: dir, LANG: "C.UTF-8", PYTHONIOENCODING: "utf-8" };
      }
      const result = await execute(command, args, { cwd: dir, env, uid, timeoutMs: limits.timeoutMs, maxOutput, language, mode });
      if (mode === "namespaces" && !result.timedOut && result.programRan === false) {
        // bwrap could not set the sandbox up or start the interpreter: not the program's fault.
        throw new SandboxUnavailableError(`the sandbox could not start the program: ${result.stderr.trim().split("\n").slice(-2).join(" | ") || `exit ${result.exitCode}`}`);
      }
      const { programRan: _ran, ...rest } = result;
      return rest;
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

/** bwrap's --json-status-fd lines: {"child-pid": N, ...} when the sandbox exists, {"exit-code": N} after the program. */
interface BwrapStatus {
  childPid: number | null;
  exitCode: number | null;
}

function parseStatus(text: string): BwrapStatus {
  const status: BwrapStatus = { childPid: null, exitCode: null };
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

function execute(command: string, args: string[], o: ExecuteOptions): Promise<SandboxResult & { programRan: boolean | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: o.cwd,
        env: o.env,
        stdio: o.mode === "namespaces" ? ["ignore", "pipe", "pipe", "pipe"] : ["ignore", "pipe", "pipe"],
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
    const statusStream = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    statusStream?.on("data", (d: Buffer) => {
      if (statusText.length < 4096) statusText += d.toString("utf8");
    });
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
      // namespaces: kill the program (pid 1 of its namespace, which takes everything in it along); bwrap then
      // reaps it and exits by itself. Killing bwrap first would leave the program as a zombie of the host's
      // pid 1, counted against RLIMIT_NPROC of the slot's uid. The group kill stays as the fallback.
      const programPid = o.mode === "namespaces" ? parseStatus(statusText).childPid : null;
      if (programPid !== null && killPid(programPid)) setTimeout(killGroup, 500).unref();
      else killGroup();
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
      (statusStream as { destroy?: () => void } | null | undefined)?.destroy?.();
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

/** Tasks (threads included, as RLIMIT_NPROC counts them) of the processes whose real uid is `uid`. */
async function tasksOfUser(uid: number): Promise<number> {
  let tasks = 0;
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (real !== undefined && Number(real) === uid) tasks += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
  }
  return tasks;
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
function killAllOfUser(uid: number): Promise<void> {
  return new Promise((resolve) => {
    const k = spawn("/bin/kill", ["-KILL", "-1"], { uid, gid: uid, stdio: "ignore" });
    k.on("error", () => resolve());
    k.on("close", () => resolve());
  });
}
