// The sandbox's limits and settings: defaults in one place, overridable per call and per evaluator (the
// evaluator's config.ts reads them from the environment; nothing here reads it).

import { availableParallelism } from "node:os";

export type IsolationMode = "auto" | "namespaces" | "rlimits";

/** What a run gets: the isolation it ran under. */
export type EffectiveIsolation = "namespaces" | "rlimits";

/** Per-execution limits (a check's timeout_ms overrides timeoutMs). */
export interface SandboxLimits {
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
}

/** Everything a Sandbox instance is built from. */
export interface SandboxConfig {
  /**
   * "auto" (default): namespaces when bubblewrap works here, else every execution is refused ("sandbox
   * isolation unavailable"). "namespaces": the same, stated. "rlimits": the weak mode, only when asked for.
   */
  isolation: IsolationMode;
  /** Executions at once (default: the CPU count, at most MAX_CONCURRENCY). */
  concurrency: number;
  /**
   * Executions that may wait for a free slot before POST /v1/score refuses more (503 + Retry-After). Run
   * items always wait: their number is already bounded by the runs' per-model concurrency.
   */
  queueLimit: number;
  /** First host uid of the per-slot block when the evaluator runs as root; null: a random block. */
  uidBase: number | null;
  /** Interpreters. Defaults: /usr/bin/python3 (else python3 on PATH) and this process's node. */
  pythonPath: string | null;
  nodePath: string | null;
  /** bubblewrap; default: bwrap on PATH (or /usr/bin/bwrap). */
  bwrapPath: string | null;
  /** Defaults for every execution. */
  limits: SandboxLimits;
}

/** Two host uids per slot (the tests' judge and the candidate run apart), 64 uids in a block. */
export const MAX_CONCURRENCY = 32;

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

export function defaultSandboxConfig(overrides: Partial<SandboxConfig> = {}): SandboxConfig {
  return {
    isolation: "auto",
    concurrency: Math.max(1, Math.min(availableParallelism(), MAX_CONCURRENCY)),
    queueLimit: 64,
    uidBase: null,
    pythonPath: null,
    nodePath: null,
    bwrapPath: null,
    limits: {},
    ...overrides,
  };
}
