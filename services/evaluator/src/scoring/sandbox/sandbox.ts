// Runs untrusted code (python3 or node) in child processes that cannot hurt the evaluator: one Sandbox per
// evaluator, built from its configuration (config.ts), owning its pool, interpreters and isolation probe.
//
// namespaces mode (bubblewrap): see bwrapArgs.ts; a non-root user both inside and, when the evaluator runs as
// root, outside (host uids of their own per slot); rlimits on address space, processes, file size, open
// files and CPU time; a wall-clock timeout that kills the program, which takes its pid namespace along.
//
// rlimits mode (only when configured explicitly, and only as root): the same rlimits, emptied environment,
// a private temp directory, own process group killed on timeout, host uids of their own. It does NOT isolate
// the network or the world-readable file system. "auto" never falls back to it: without namespaces every
// execution is refused with SandboxUnavailableError ("sandbox isolation unavailable").
//
// A code check runs twice over (runTests): the candidate's code in one sandbox, the item's tests in another
// (the judge), calling the candidate's functions over a pipe relayed by this process. The verdict is the
// judge's exit status, which nothing in the candidate's sandbox can reach. See judge/ and the README.

import { chmod, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { bwrapArgs, prlimitArgs } from "./bwrapArgs.js";
import { ExecutionPool } from "./executionPool.js";
import { type Interpreter, Interpreters, type SandboxLanguage } from "./interpreters.js";
import { type IsolationInfo, isRoot, probeIsolation, SandboxUnavailableError } from "./isolationProbe.js";
import {
  type EffectiveIsolation,
  MAX_CONCURRENCY,
  SANDBOX_CEILINGS,
  SANDBOX_DEFAULTS,
  type SandboxConfig,
  type SandboxLimits,
} from "./limits.js";
import { killAllOfUser, type LimitedSpawnResult, spawnLimited } from "./limitedSpawn.js";

export type { SandboxLanguage } from "./interpreters.js";
export { SandboxUnavailableError, type IsolationInfo } from "./isolationProbe.js";

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
  isolation: EffectiveIsolation;
}

export interface TestRunResult {
  /** The judge ran the tests to their end (its own exit status 0): the only way to pass. */
  passed: boolean;
  /** The judge's exit status 3: the candidate's code ended or raised before the tests completed. */
  candidateEnded: boolean;
  timedOut: boolean;
  durationMs: number;
  isolation: EffectiveIsolation;
  judge: SandboxResult;
  candidate: SandboxResult;
}

/** Host uids per slot: the candidate's and the judge's. */
const UIDS_PER_SLOT = 2;
const UID_BLOCK = MAX_CONCURRENCY * UIDS_PER_SLOT;

const JUDGE_SOURCES = (() => {
  const read = (name: string) => readFileSync(new URL(`./judge/${name}`, import.meta.url), "utf8");
  return {
    python: { judge: `${read("wire.py")}\n${read("judge.py")}`, candidate: `${read("wire.py")}\n${read("candidate.py")}` },
    javascript: { judge: `${read("wire.cjs")}\n${read("judge.cjs")}`, candidate: `${read("wire.cjs")}\n${read("candidate.cjs")}` },
  };
})();

function clamp(n: number, max: number): number {
  return Math.max(1, Math.min(n, max));
}

export class Sandbox {
  private readonly pool: ExecutionPool;
  private readonly uidBase: number;
  private readonly interpreters: Interpreters;
  private probe: Promise<IsolationInfo> | null = null;

  constructor(readonly config: SandboxConfig) {
    if (!Number.isInteger(config.concurrency) || config.concurrency < 1 || config.concurrency > MAX_CONCURRENCY) {
      throw new RangeError(`sandbox concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got ${config.concurrency}`);
    }
    this.pool = new ExecutionPool(config.concurrency);
    // User ids and their RLIMIT_NPROC counts are shared by every process on the host, so by default each
    // Sandbox picks its own random block: two evaluators (or test runs) on one machine never count, or
    // kill, each other's programs.
    this.uidBase = config.uidBase ?? 200_000 + Math.floor(Math.random() * 100_000) * UID_BLOCK;
    this.interpreters = new Interpreters({ python: config.pythonPath, node: config.nodePath }, (interpreter, source, mode) =>
      this.pool.run((slot) =>
        this.execute(interpreter, { [interpreter.file]: source }, interpreter.file, [], { timeoutMs: 15_000 }, mode, this.uid(slot, 0)),
      ),
    );
  }

  /** Which isolation code runs under here: probed once (a real bwrap run), then kept. */
  isolation(): Promise<IsolationInfo> {
    if (!this.probe) {
      this.probe = probeIsolation({ configured: this.config.isolation, bwrapPath: this.config.bwrapPath, probeUid: this.uidBase });
      this.probe.catch(() => (this.probe = null));
    }
    return this.probe;
  }

  /** True when as many executions wait as config.queueLimit allows: POST /v1/score refuses code items then. */
  saturated(): boolean {
    return this.pool.queued >= this.config.queueLimit;
  }

  load(): { running: number; queued: number; size: number } {
    return { running: this.pool.running, queued: this.pool.queued, size: this.pool.size };
  }

  /** The host user ids this sandbox runs programs under (as root); null when not root. */
  uidRange(): { first: number; last: number } | null {
    return isRoot ? { first: this.uidBase, last: this.uidBase + UID_BLOCK - 1 } : null;
  }

  /** Runs `source` as one python3 or node (CommonJS) program; resolves when it has ended. */
  async run(language: SandboxLanguage, source: string, limits: SandboxLimits = {}): Promise<SandboxResult> {
    const { mode, interpreter } = await this.ready(language);
    return this.pool.run((slot) =>
      this.execute(interpreter, { [interpreter.file]: source }, interpreter.file, [], limits, mode, this.uid(slot, 0)),
    );
  }

  /**
   * Runs `tests` against `code`: the code in one sandbox, the tests in another that calls the code's
   * functions over a pipe. Passes only when the tests ran to their end.
   */
  async runTests(language: SandboxLanguage, code: string, tests: string, limits: SandboxLimits = {}): Promise<TestRunResult> {
    const { mode, interpreter } = await this.ready(language);
    const sources = JUDGE_SOURCES[language];
    const ext = language === "python" ? "py" : "cjs";
    return this.pool.run(async (slot) => {
      const started = performance.now();
      const ends: { judge?: { toChild: Writable; fromChild: Readable }; candidate?: { toChild: Writable; fromChild: Readable } } = {};
      const relay = () => {
        if (!ends.judge || !ends.candidate) return;
        ends.judge.fromChild.pipe(ends.candidate.toChild);
        ends.candidate.fromChild.pipe(ends.judge.toChild);
      };
      const stopCandidate = new AbortController();
      const candidate = this.execute(
        interpreter,
        { [`candidate.${ext}`]: sources.candidate, [`main.${ext}`]: code },
        `candidate.${ext}`,
        [`main.${ext}`],
        limits,
        mode,
        this.uid(slot, 0),
        {
          protocol: (p) => {
            ends.candidate = p;
            relay();
          },
          signal: stopCandidate.signal,
        },
      );
      const judge = this.execute(
        interpreter,
        { [`judge.${ext}`]: sources.judge, [`tests.${ext}`]: tests },
        `judge.${ext}`,
        [`tests.${ext}`],
        limits,
        mode,
        this.uid(slot, 1),
        {
          protocol: (p) => {
            ends.judge = p;
            relay();
          },
        },
      );
      const judged = await judge.catch(async (error: unknown) => {
        stopCandidate.abort();
        await candidate.catch(() => undefined);
        throw error;
      });
      // The judge has spoken; the candidate has nothing left to do.
      stopCandidate.abort();
      const ran = await candidate;
      return {
        passed: judged.exitCode === 0 && !judged.timedOut,
        candidateEnded: judged.exitCode === 3,
        timedOut: judged.timedOut,
        durationMs: performance.now() - started,
        isolation: mode,
        judge: judged,
        candidate: ran,
      };
    });
  }

  private async ready(language: SandboxLanguage): Promise<{ mode: EffectiveIsolation; interpreter: Interpreter }> {
    if (language !== "python" && language !== "javascript") {
      throw new SandboxUnavailableError(`the sandbox runs python or javascript, not ${JSON.stringify(language)}`);
    }
    const isolation = await this.isolation();
    if (isolation.mode === "unavailable") throw new SandboxUnavailableError(isolation.reason ?? "sandbox isolation unavailable");
    const mode = isolation.mode;
    return { mode, interpreter: await this.interpreters.get(language, mode) };
  }

  private uid(slot: number, role: 0 | 1): number | null {
    return isRoot ? this.uidBase + slot * UIDS_PER_SLOT + role : null;
  }

  /** Writes `files` into a fresh directory and runs `entry` (with `args`, paths in the sandbox) there. */
  private async execute(
    interpreter: Interpreter,
    files: Record<string, string>,
    entry: string,
    args: string[],
    options: SandboxLimits,
    mode: EffectiveIsolation,
    uid: number | null,
    extra: { protocol?: (pipes: { toChild: Writable; fromChild: Readable }) => void; signal?: AbortSignal } = {},
  ): Promise<SandboxResult> {
    const isolation = await this.isolation();
    const o = { ...this.config.limits, ...options };
    const limits = {
      timeoutMs: clamp(o.timeoutMs ?? SANDBOX_DEFAULTS.timeoutMs, SANDBOX_CEILINGS.timeoutMs),
      memoryBytes: clamp(o.memoryBytes ?? SANDBOX_DEFAULTS.memoryBytes, SANDBOX_CEILINGS.memoryBytes),
      maxProcesses: o.maxProcesses ?? SANDBOX_DEFAULTS.maxProcesses,
      maxFileBytes: o.maxFileBytes ?? SANDBOX_DEFAULTS.maxFileBytes,
      maxOpenFiles: o.maxOpenFiles ?? SANDBOX_DEFAULTS.maxOpenFiles,
    };
    const scratchBytes = o.scratchBytes ?? SANDBOX_DEFAULTS.scratchBytes;
    const maxOutput = o.maxOutputBytes ?? SANDBOX_DEFAULTS.maxOutputBytes;
    const dir = await mkdtemp(join(tmpdir(), "evalstack-sandbox-"));
    try {
      for (const [name, text] of Object.entries(files)) {
        await writeFile(join(dir, name), text);
        // Explicitly: the evaluator's umask (077) keeps its own files private, these are for the program.
        await chmod(join(dir, name), 0o644);
      }
      const prlimit = [isolation.prlimit as string, ...prlimitArgs(limits), "--"];
      const rl = [...isolation.wrappers, ...prlimit];
      let command: string;
      let argv: string[];
      let env: NodeJS.ProcessEnv;
      if (mode === "namespaces") {
        await chmod(dir, 0o755);
        // nice and choom around bwrap, not inside: choom writes /proc/self/oom_score_adj, and the sandbox has
        // no /proc. Both settings are inherited by bwrap's children, the program included; both exec, so the
        // spawned pid is bwrap's.
        const outer = [...isolation.wrappers, isolation.bwrap as string];
        command = outer[0] as string;
        const inner = [...prlimit, interpreter.path, ...interpreter.args(`/src/${entry}`), ...args.map((a) => `/src/${a}`)];
        // fd 3: bwrap's JSON status (the program's pid once it exists, its exit code once it has run).
        argv = [
          ...outer.slice(1),
          "--json-status-fd",
          "3",
          ...bwrapArgs(dir, scratchBytes, interpreter.extraRoot ? [interpreter.extraRoot] : [], inner),
        ];
        env = {};
      } else {
        // Private to the program's own uid: another slot's program (or the judge's tests) stays unreadable.
        if (uid !== null) await chown(dir, uid, uid);
        await chmod(dir, 0o700);
        command = rl[0] as string;
        argv = [...rl.slice(1), interpreter.path, ...interpreter.args(join(dir, entry)), ...args.map((a) => join(dir, a))];
        env = { PATH: "/usr/bin:/bin", HOME: dir, TMPDIR: dir, LANG: "C.UTF-8", PYTHONIOENCODING: "utf-8" };
      }
      const result: LimitedSpawnResult = await spawnLimited({
        command,
        args: argv,
        cwd: dir,
        env,
        uid,
        timeoutMs: limits.timeoutMs,
        maxOutput,
        mode,
        ...extra,
      });
      if (mode === "namespaces" && !result.timedOut && result.programRan === false && !extra.signal?.aborted) {
        // bwrap could not set the sandbox up or start the interpreter: not the program's fault.
        throw new SandboxUnavailableError(
          `the sandbox could not start the program: ${result.stderr.trim().split("\n").slice(-2).join(" | ") || `exit ${result.exitCode}`}`,
        );
      }
      const { programRan: _ran, ...rest } = result;
      return { language: interpreter.language, ...rest, isolation: mode };
    } finally {
      if (mode === "rlimits" && uid !== null) await killAllOfUser(uid);
      await rm(dir, { recursive: true, force: true });
    }
  }
}
