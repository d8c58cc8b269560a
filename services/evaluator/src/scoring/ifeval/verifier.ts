// The IFEval and IFBench reference verifiers (services/evaluator/verifiers/verifier.py) as a bounded scoring
// step: one long-lived Python worker per benchmark and evaluator process, installed at install time outside
// the repository (services/evaluator/verifiers/{ifeval,ifbench}/install.sh). Requests are answered one at a time; each has a time limit, and a
// worker that overruns it is killed (the next request starts a fresh one), so no reply can hang scoring.
// The reply is untrusted text, passed as data (a JSON line), never as code; the verifier is trusted code
// that runs with network access refused in-process and a memory ceiling. It does not run in the code
// sandbox (bubblewrap): it executes no model-written code.

import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { suiteCacheDir } from "../../suites/standard/sources.js";

/** Replies over this many UTF-8 bytes are not sent to the verifier (the check reports an error). */
export const IFEVAL_MAX_REPLY_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 60_000;

export interface IfevalRequest {
  instruction_id: string;
  kwargs: Record<string, unknown>;
  prompt: string;
  response: string;
  loose: boolean;
}

export type VerifierBenchmark = "ifeval" | "ifbench";

/** Where the installer puts the verifier's venv, reference code and NLTK data (EVALSTACK_IFEVAL_DIR / _IFBENCH_DIR override it: config.ts). */
export function verifierDir(benchmark: VerifierBenchmark): string {
  return path.join(suiteCacheDir(), `${benchmark}-verifier`);
}

const SCRIPT = fileURLToPath(new URL("../../../verifiers/verifier.py", import.meta.url));

const REFERENCE_PACKAGE: Record<VerifierBenchmark, string> = { ifeval: "ifeval_ref", ifbench: "ifbench" };

export function verifierInstalled(benchmark: VerifierBenchmark, dir = verifierDir(benchmark)): boolean {
  return (
    existsSync(path.join(dir, "venv", "bin", "python")) &&
    existsSync(path.join(dir, REFERENCE_PACKAGE[benchmark], "instructions.py")) &&
    existsSync(path.join(dir, ".evalstack-stamp"))
  );
}

interface Pending {
  resolve(followed: boolean): void;
  reject(err: Error): void;
}

type Worker = ChildProcessByStdio<Writable, Readable, Readable>;

class VerifierWorker {
  private child: Worker | null = null;
  private ready: Promise<void> | null = null;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private stderrTail = "";

  constructor(
    private readonly benchmark: VerifierBenchmark,
    private readonly dir: string,
    private readonly timeoutMs: number,
  ) {}

  /** Verifies one instruction; requests run one after another on the one worker. */
  check(req: IfevalRequest): Promise<boolean> {
    const run = this.queue.then(
      () => this.send(req),
      () => this.send(req),
    );
    this.queue = run.catch(() => {});
    return run;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    if (!verifierInstalled(this.benchmark, this.dir))
      return Promise.reject(new Error(`the ${this.benchmark} reference verifier is not installed in ${this.dir} (run: npm run suites)`));
    const child = spawn(path.join(this.dir, "venv", "bin", "python"), [SCRIPT, this.benchmark, this.dir], {
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        PATH: "/usr/bin:/bin",
        LANG: "C.UTF-8",
        PYTHONIOENCODING: "utf-8",
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONHASHSEED: "0",
        NLTK_DATA: path.join(this.dir, "nltk_data"),
        HOME: this.dir,
      },
    });
    this.child = child;
    this.stderrTail = "";
    let buffered = "";
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the ${this.benchmark} verifier did not start within ${START_TIMEOUT_MS} ms`));
        this.kill();
      }, START_TIMEOUT_MS);
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          let msg: { ready?: boolean; id?: number; followed?: boolean; error?: string };
          try {
            msg = JSON.parse(line);
          } catch {
            continue;
          }
          if (msg.ready) {
            clearTimeout(timer);
            resolve();
            continue;
          }
          const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
          if (!p || msg.id === undefined) continue;
          this.pending.delete(msg.id);
          if (typeof msg.error === "string") p.reject(new Error(`reference verifier: ${msg.error}`));
          else p.resolve(msg.followed === true);
        }
      });
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk: string) => {
        this.stderrTail = (this.stderrTail + chunk).slice(-2000);
      });
      // A worker that died mid-write must not take the evaluator with it (EPIPE); its exit rejects the request.
      child.stdin.on("error", () => {});
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        const why = new Error(
          `the ${this.benchmark} verifier exited (${signal ?? `code ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim().split("\n").slice(-2).join(" | ")}` : ""}`,
        );
        reject(why);
        for (const p of this.pending.values()) p.reject(why);
        this.pending.clear();
        if (this.child === child) {
          this.child = null;
          this.ready = null;
        }
      });
    });
    // Idle workers never keep the evaluator alive; closing its stdin (the evaluator exiting) ends it.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    return this.ready;
  }

  /** Ends the worker (a request in flight is rejected by its exit). */
  stop(): void {
    this.kill();
  }

  private kill(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    child?.kill("SIGKILL");
  }

  private async send(req: IfevalRequest): Promise<boolean> {
    await this.start();
    const child = this.child;
    if (!child) throw new Error(`the ${this.benchmark} verifier is not running`);
    const id = this.nextId++;
    return await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the reference verifier did not answer within ${this.timeoutMs} ms (worker killed)`));
        this.kill();
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.stdin.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }
}

const shared = new Map<VerifierBenchmark, VerifierWorker>();

export interface ReferenceVerifierSettings {
  timeoutMs: number;
  ifevalDir: string | null;
  ifbenchDir: string | null;
}

let settings: ReferenceVerifierSettings = { timeoutMs: DEFAULT_TIMEOUT_MS, ifevalDir: null, ifbenchDir: null };

/** The server applies its validated config (config.ts: EVALSTACK_IFEVAL_TIMEOUT_MS, _IFEVAL_DIR, _IFBENCH_DIR) before scoring. */
export function configureReferenceVerifiers(next: ReferenceVerifierSettings): void {
  settings = next;
  for (const worker of shared.values()) worker.stop();
  shared.clear();
}

/** The process's worker for a benchmark. */
export function referenceVerifier(benchmark: VerifierBenchmark): VerifierWorker {
  let worker = shared.get(benchmark);
  if (!worker) {
    const dir = (benchmark === "ifeval" ? settings.ifevalDir : settings.ifbenchDir) ?? verifierDir(benchmark);
    worker = new VerifierWorker(benchmark, dir, settings.timeoutMs);
    shared.set(benchmark, worker);
  }
  return worker;
}
