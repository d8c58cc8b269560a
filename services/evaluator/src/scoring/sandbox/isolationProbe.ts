// Which isolation this machine gives the sandbox: a real bwrap run of /usr/bin/true, and from it (with the
// configured mode) what code items run under, or why they cannot run at all.

import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bwrapArgs } from "./bwrapArgs.js";
import type { IsolationMode } from "./limits.js";

export interface IsolationInfo {
  /** EVALSTACK_SANDBOX_ISOLATION as configured. */
  configured: IsolationMode;
  /** What code items run under; "unavailable": every code item ends as an error, none runs. */
  mode: "namespaces" | "rlimits" | "unavailable";
  /** Why the mode is not "namespaces" (null when it is). */
  reason: string | null;
  bwrap: string | null;
  prlimit: string | null;
  /**
   * `nice -n 10` (the program yields the CPU to the evaluator and model servers) and `choom -n 1000` (the
   * kernel's OOM killer picks sandboxed programs first): around bwrap in namespaces mode (the sandbox has no
   * /proc for choom to write), before prlimit in rlimits mode. Empty where those are missing.
   */
  wrappers: string[];
  /** rlimits mode needs host uids of its own (the evaluator runs as root and drops to them). */
  programUser: "own uid per slot" | "evaluator's uid";
}

/** The sandbox cannot run programs here: a setup problem, never the program's fault. */
export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxUnavailableError";
  }
}

export function findExecutable(name: string, preferred: string[] = []): string | null {
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

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

export interface ProbeOptions {
  configured: IsolationMode;
  bwrapPath: string | null;
  /** The uid bwrap runs as when this process is root (the first slot's). */
  probeUid: number;
}

export async function probeIsolation(o: ProbeOptions): Promise<IsolationInfo> {
  const prlimit = findExecutable("prlimit", ["/usr/bin/prlimit"]);
  const wrappers: string[] = [];
  const nice = findExecutable("nice", ["/usr/bin/nice"]);
  if (nice) wrappers.push(nice, "-n", "10");
  const choom = findExecutable("choom", ["/usr/bin/choom"]);
  if (choom) wrappers.push(choom, "-n", "1000", "--");
  const programUser = isRoot ? "own uid per slot" : "evaluator's uid";
  const info = (mode: IsolationInfo["mode"], reason: string | null, bwrap: string | null): IsolationInfo => ({
    configured: o.configured,
    mode,
    reason,
    bwrap,
    prlimit,
    wrappers,
    programUser,
  });
  if (!prlimit) return info("unavailable", "prlimit (util-linux) is required by the sandbox and was not found", null);

  const bwrap = o.bwrapPath ?? findExecutable("bwrap", ["/usr/bin/bwrap"]);
  const namespaces = bwrap ? await bwrapWorks(bwrap, prlimit, o.probeUid) : "bubblewrap (bwrap) is not installed";
  if (namespaces === true && o.configured !== "rlimits") return info("namespaces", null, bwrap);
  if (o.configured === "rlimits") {
    // Explicitly asked for. Without a uid of its own the program could read everything the evaluator can
    // (its API-key file, its database, /proc/<pid>/environ): refuse rather than run it that way.
    if (!isRoot) {
      return info(
        "unavailable",
        "EVALSTACK_SANDBOX_ISOLATION=rlimits needs the evaluator to run as root, so that programs run under host uids of their own; as a non-root user they would run as the evaluator's user and could read its secrets",
        bwrap,
      );
    }
    return info("rlimits", "EVALSTACK_SANDBOX_ISOLATION=rlimits: no file-system, network or pid isolation (see the sandbox README)", bwrap);
  }
  return info("unavailable", `sandbox isolation unavailable: ${namespaces}`, bwrap);
}

/** true, or why bubblewrap cannot build a sandbox here. */
async function bwrapWorks(bwrap: string, prlimit: string, probeUid: number): Promise<true | string> {
  const dir = await mkdtemp(join(tmpdir(), "evalstack-probe-"));
  try {
    await chmod(dir, 0o755);
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(bwrap, bwrapArgs(dir, 1024 * 1024, [], [prlimit, "--nproc=8", "--", "/usr/bin/true"]), {
        stdio: ["ignore", "ignore", "pipe"],
        ...(isRoot ? { uid: probeUid, gid: probeUid } : {}),
      });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", (e) => resolve({ code: -1, stderr: e.message }));
      child.on("close", (c) => resolve({ code: c, stderr: err }));
    });
    if (code === 0) return true;
    return `bubblewrap (${bwrap}) cannot create namespaces here: ${stderr.trim().slice(0, 300) || `exit ${code}`}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
