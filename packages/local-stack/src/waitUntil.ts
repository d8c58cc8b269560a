import type { ManagedProcess } from "./managedProcess.js";

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the timeout message. */
  what?: string;
  /** Fails at once (with its last lines) when this process exits. */
  process?: ManagedProcess;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** Polls `probe` until it returns a truthy value; throws with `what` (and the optional process's log) on timeout. */
export async function waitUntil<T>(probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (options.process?.hasExited) {
      const status = await options.process.exited;
      throw new Error(
        `${options.process.name} exited (code ${status.code}, signal ${status.signal}) while waiting for ${options.what ?? "a condition"}:\n${options.process.tail()}`,
      );
    }
    if (Date.now() > until) {
      const detail = lastError ? ` (last error: ${(lastError as Error).message})` : "";
      const log = options.process ? `\n${options.process.tail()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"}${detail}${log}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
