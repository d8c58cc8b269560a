// The interpreters the sandbox runs: found once per Sandbox instance, resolved to their real executable and
// proved to start inside the sandbox, so a broken setup is an error instead of failing every code check.

import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { findExecutable, SandboxUnavailableError } from "./isolationProbe.js";
import type { EffectiveIsolation } from "./limits.js";

export type SandboxLanguage = "python" | "javascript";

export interface Interpreter {
  language: SandboxLanguage;
  path: string;
  args: (file: string) => string[];
  /** The file name a program of this language is written to. */
  file: string;
  /** A directory outside /usr that must be visible (read-only) inside the sandbox for it to run. */
  extraRoot: string | null;
}

/** Runs a probe program under `mode`; resolves with its exit code and output. */
export type ProbeRunner = (
  interpreter: Interpreter,
  source: string,
  mode: EffectiveIsolation,
) => Promise<{ exitCode: number | null; signal: string | null; stdout: string; stderr: string }>;

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
  const head = await readFile(real).then(
    (b) => b.subarray(0, 2).toString("latin1"),
    () => "",
  );
  if (head !== "#!") return real;
  const asked = await new Promise<string | null>((resolve) => {
    execFile(
      real,
      ["-I", "-S", "-c", "import sys; print(sys.executable)"],
      { timeout: 15_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/" } },
      (error, stdout) => resolve(error ? null : stdout.trim() || null),
    );
  });
  if (!asked) throw new SandboxUnavailableError(`python launcher ${path} did not report its interpreter`);
  return realpathSync(asked);
}

export class Interpreters {
  private readonly found = new Map<string, Promise<Interpreter>>();

  constructor(
    private readonly paths: { python: string | null; node: string | null },
    private readonly probe: ProbeRunner,
  ) {}

  /** The interpreter for `language`, proved once (per path and mode) to start inside the sandbox. */
  get(language: SandboxLanguage, mode: EffectiveIsolation): Promise<Interpreter> {
    const requested =
      language === "python"
        ? (this.paths.python ?? findExecutable("python3", ["/usr/bin/python3"]))
        : (this.paths.node ?? process.execPath);
    if (!requested)
      return Promise.reject(
        new SandboxUnavailableError(`no ${language === "python" ? "python3" : "node"} interpreter found for the sandbox`),
      );
    const key = `${language}\0${requested}\0${mode}`;
    let pending = this.found.get(key);
    if (!pending) {
      pending = this.prove(language, requested, mode);
      this.found.set(key, pending);
      // A failure is not remembered: the interpreter may be installed later.
      pending.catch(() => this.found.delete(key));
    }
    return pending;
  }

  private async prove(language: SandboxLanguage, requested: string, mode: EffectiveIsolation): Promise<Interpreter> {
    const real = await realInterpreter(language, requested);
    // An interpreter installed outside /usr (e.g. /opt/node/bin/node) needs its prefix bound into the sandbox.
    const extraRoot = real.startsWith("/usr/") ? null : dirname(dirname(real));
    const interpreter: Interpreter =
      language === "python"
        ? { language, path: real, args: (f) => ["-I", "-B", "-u", f], file: "main.py", extraRoot }
        : { language, path: real, args: (f) => [f], file: "main.cjs", extraRoot };
    const probe = language === "python" ? "print('sandbox-ok')" : "console.log('sandbox-ok')";
    const r = await this.probe(interpreter, probe, mode);
    if (r.exitCode !== 0 || r.stdout.trim() !== "sandbox-ok") {
      const why = (r.stderr || r.stdout).trim().split("\n").slice(-2).join(" | ") || `exit ${r.exitCode ?? r.signal}`;
      throw new SandboxUnavailableError(`${language} interpreter ${real} does not start in the sandbox (${mode}): ${why}`);
    }
    return interpreter;
  }
}
