import { describe, expect, it } from "vitest";
import { loadSandboxConfig } from "../../config.js";
import { ExecutionPool } from "./executionPool.js";

describe("loadSandboxConfig (EVALSTACK_SANDBOX_*, read only in config.ts)", () => {
  it("refuses bad values, naming the variable", () => {
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_TIMEOUT_MS: "soon" })).toThrow(/EVALSTACK_SANDBOX_TIMEOUT_MS: must be an integer/);
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_MEMORY_MB: "-1" })).toThrow(/EVALSTACK_SANDBOX_MEMORY_MB/);
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_MAX_PROCESSES: "1.5" })).toThrow(/EVALSTACK_SANDBOX_MAX_PROCESSES/);
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_ISOLATION: "docker" })).toThrow(
      /EVALSTACK_SANDBOX_ISOLATION: must be one of auto, namespaces, rlimits/,
    );
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_CONCURRENCY: "0" })).toThrow(/EVALSTACK_SANDBOX_CONCURRENCY/);
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_CONCURRENCY: "33" })).toThrow(
      /EVALSTACK_SANDBOX_CONCURRENCY: must be between 1 and 32/,
    );
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_BWRAP: "bwrap" })).toThrow(/EVALSTACK_SANDBOX_BWRAP: must be an absolute path/);
    expect(() => loadSandboxConfig({ EVALSTACK_SANDBOX_UID_BASE: "12" })).toThrow(/EVALSTACK_SANDBOX_UID_BASE/);
  });

  it("reads every variable, in bytes where given in MB", () => {
    expect(
      loadSandboxConfig({
        EVALSTACK_SANDBOX_TIMEOUT_MS: "2500",
        EVALSTACK_SANDBOX_MEMORY_MB: "512",
        EVALSTACK_SANDBOX_MAX_PROCESSES: "8",
        EVALSTACK_SANDBOX_MAX_FILE_MB: "4",
        EVALSTACK_SANDBOX_MAX_OPEN_FILES: "32",
        EVALSTACK_SANDBOX_SCRATCH_MB: "16",
        EVALSTACK_SANDBOX_ISOLATION: "namespaces",
        EVALSTACK_SANDBOX_PYTHON: "/usr/bin/python3",
        EVALSTACK_SANDBOX_BWRAP: "/usr/bin/bwrap",
        EVALSTACK_SANDBOX_CONCURRENCY: "3",
        EVALSTACK_SANDBOX_QUEUE_LIMIT: "7",
        EVALSTACK_SANDBOX_UID_BASE: "300000",
      }),
    ).toEqual({
      isolation: "namespaces",
      concurrency: 3,
      queueLimit: 7,
      uidBase: 300000,
      pythonPath: "/usr/bin/python3",
      nodePath: null,
      bwrapPath: "/usr/bin/bwrap",
      limits: {
        timeoutMs: 2500,
        memoryBytes: 512 * 1024 * 1024,
        maxProcesses: 8,
        maxFileBytes: 4 * 1024 * 1024,
        maxOpenFiles: 32,
        scratchBytes: 16 * 1024 * 1024,
      },
    });
  });

  it("leaves unset (and empty) variables to the defaults: isolation auto, never rlimits unasked", () => {
    const config = loadSandboxConfig({});
    expect(config.isolation).toBe("auto");
    expect(config.limits).toEqual({});
    expect(loadSandboxConfig({ EVALSTACK_SANDBOX_TIMEOUT_MS: "", EVALSTACK_SANDBOX_ISOLATION: "" })).toMatchObject({
      isolation: "auto",
      limits: {},
    });
  });
});

describe("ExecutionPool", () => {
  it("refuses a size below one", () => {
    expect(() => new ExecutionPool(0)).toThrow(/positive integer/);
    expect(() => new ExecutionPool(1.5)).toThrow(/positive integer/);
  });

  it("runs at most `size` tasks at once, gives each a distinct slot and serves waiters in order", async () => {
    const pool = new ExecutionPool(2);
    const active = new Set<number>();
    let most = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = Array.from({ length: 5 }, (_, i) =>
      pool.run(async (slot) => {
        expect(active.has(slot)).toBe(false);
        active.add(slot);
        most = Math.max(most, active.size);
        order.push(i);
        await new Promise<void>((resolve) => gates.push(resolve));
        active.delete(slot);
        return slot;
      }),
    );
    // release one task at a time, as each one starts
    for (let released = 0; released < 5; released++) {
      while (gates.length === 0) await new Promise((r) => setImmediate(r));
      expect(pool.running).toBeLessThanOrEqual(2);
      gates.shift()!();
    }
    const slots = await Promise.all(tasks);
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(slots.every((s) => s === 0 || s === 1)).toBe(true);
    expect(pool.running).toBe(0);
    expect(pool.queued).toBe(0);
  });

  it("frees the slot when a task throws", async () => {
    const pool = new ExecutionPool(1);
    await expect(pool.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await pool.run(async (slot) => slot)).toBe(0);
    expect(pool.running).toBe(0);
  });
});
