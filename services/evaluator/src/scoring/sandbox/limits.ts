// The sandbox's limits and settings: defaults in one place, overridable per call and from the environment.

import { availableParallelism } from "node:os";

export type IsolationMode = "auto" | "namespaces" | "rlimits";

export interface SandboxOptions {
  /** Wall-clock limit; the whole process tree is killed when it passes. Default 5000. */
  timeoutMs?: number;
  /** Address-space limit (RLIMIT_AS) of the interpreter. Default 1 GiB. */
  memoryBytes?: number;
  /** Processes/threads the program may have at once (RLIMIT_NPROC). Default 16. */
  maxProcesses?: number;
  /** Largest file it may write (RLIMIT_FSIZE). Default 16 MiB. */
  maxFileBytes?: number;
  /** Open file descriptors (RLIMIT_NOFILE). Default 64. */
  maxOpenFiles?: number;
  /** Size of the writable scratch directory (a tmpfs, namespaces mode only). Default 64 MiB. */
  scratchBytes?: number;
  /** stdout and stderr are each kept up to this many bytes. Default 64 KiB. */
  maxOutputBytes?: number;
  /** "auto" (default): namespaces when bubblewrap works here, else rlimits only. */
  isolation?: IsolationMode;
  /** Interpreters. Defaults: /usr/bin/python3 (else python3 on PATH) and this process's node. */
  pythonPath?: string;
  nodePath?: string;
}

export type ResolvedSandboxOptions = Required<SandboxOptions>;

export const SANDBOX_DEFAULTS = {
  timeoutMs: 5_000,
  memoryBytes: 1024 * 1024 * 1024,
  maxProcesses: 16,
  maxFileBytes: 16 * 1024 * 1024,
  maxOpenFiles: 64,
  scratchBytes: 64 * 1024 * 1024,
  maxOutputBytes: 64 * 1024,
  isolation: "auto" as IsolationMode,
} as const;

/** Hard ceilings a caller (or a suite's timeout_ms) cannot exceed. */
export const SANDBOX_CEILINGS = { timeoutMs: 60_000, memoryBytes: 8 * 1024 * 1024 * 1024 } as const;

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/**
 * Sandbox settings from the environment (all optional): EVALSTACK_SANDBOX_TIMEOUT_MS, _MEMORY_MB,
 * _MAX_PROCESSES, _MAX_FILE_MB, _MAX_OPEN_FILES, _SCRATCH_MB, _ISOLATION (auto|namespaces|rlimits),
 * _PYTHON, _NODE. Concurrency is read separately by the execution pool (EVALSTACK_SANDBOX_CONCURRENCY).
 */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  const mb = (name: string): number | undefined => {
    const n = positiveInt(env, name);
    return n === undefined ? undefined : n * 1024 * 1024;
  };
  const isolation = env.EVALSTACK_SANDBOX_ISOLATION;
  if (isolation !== undefined && isolation !== "" && !["auto", "namespaces", "rlimits"].includes(isolation)) {
    throw new Error(`EVALSTACK_SANDBOX_ISOLATION must be auto, namespaces or rlimits, got "${isolation}"`);
  }
  const options: SandboxOptions = {
    timeoutMs: positiveInt(env, "EVALSTACK_SANDBOX_TIMEOUT_MS"),
    memoryBytes: mb("EVALSTACK_SANDBOX_MEMORY_MB"),
    maxProcesses: positiveInt(env, "EVALSTACK_SANDBOX_MAX_PROCESSES"),
    maxFileBytes: mb("EVALSTACK_SANDBOX_MAX_FILE_MB"),
    maxOpenFiles: positiveInt(env, "EVALSTACK_SANDBOX_MAX_OPEN_FILES"),
    scratchBytes: mb("EVALSTACK_SANDBOX_SCRATCH_MB"),
    isolation: isolation ? (isolation as IsolationMode) : undefined,
    pythonPath: env.EVALSTACK_SANDBOX_PYTHON || undefined,
    nodePath: env.EVALSTACK_SANDBOX_NODE || undefined,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SandboxOptions;
}

export function defaultConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  return positiveInt(env, "EVALSTACK_SANDBOX_CONCURRENCY") ?? Math.max(1, availableParallelism());
}
