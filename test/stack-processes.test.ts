// The local stack's process handling, on small throwaway processes: output kept, exits observed, a detached
// process stopped with every process it started, escalation to SIGKILL, and the /proc helpers the
// no-orphans tests rely on.
import { describe, expect, it } from "vitest";
import { descendantsOf, identify, isRunning, ManagedProcess } from "@evalstack/local-stack";

async function waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("ManagedProcess", () => {
  it("keeps the output, reports the exit, and hands lines to echo", async () => {
    const lines: string[] = [];
    const p = new ManagedProcess({
      name: "printer",
      args: ["-e", "console.log('one'); console.error('two'); process.stdout.write('three'); process.exit(3)"],
      echo: (l) => lines.push(l),
    });
    expect(await p.exited).toEqual({ code: 3, signal: null });
    expect(p.hasExited).toBe(true);
    for (const text of ["one", "two", "three"]) expect(p.logs()).toContain(text);
    // Lines are split per stream: an unfinished stdout line does not swallow a stderr line.
    expect(lines.sort()).toEqual(["one", "three", "two"]);
  });

  it("a detached process is stopped with every process it started (its group)", async () => {
    // A node process that starts a grandchild (sleep) and ignores nothing: SIGTERM to the group ends both.
    const p = new ManagedProcess({
      name: "parent",
      args: [
        "-e",
        "require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' }); console.log('started'); setInterval(() => {}, 1000)",
      ],
      detached: true,
    });
    await p.waitForOutput(/started/, 10_000);
    const sleep = await waitFor(() => descendantsOf(p.pid!).find((d) => d.command === "sleep"), "the grandchild");
    expect(isRunning(sleep)).toBe(true);
    expect(await p.stop()).toEqual({ code: null, signal: "SIGTERM" });
    await waitFor(() => (isRunning(sleep) ? undefined : true), "the grandchild to end");
  });

  it("escalates to SIGKILL when SIGTERM is ignored", async () => {
    const p = new ManagedProcess({
      name: "stubborn",
      args: ["-e", "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
    });
    await p.waitForOutput(/ready/, 10_000);
    const started = Date.now();
    expect(await p.stop("SIGTERM", 300)).toEqual({ code: null, signal: "SIGKILL" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a command that cannot start settles as exited with the reason in its output", async () => {
    const p = new ManagedProcess({ name: "missing", command: "/nonexistent/binary" });
    expect(await p.exited).toEqual({ code: -1, signal: null });
    expect(p.logs()).toMatch(/spawn error.*ENOENT/);
  });
});

describe("parentDeathSignal", () => {
  it("the kernel kills a service whose launcher was SIGKILLed", async () => {
    // A launcher (node) starts a service (sleep) with parentDeathSignal, prints its pid, then is SIGKILLed.
    const launcher = new ManagedProcess({
      name: "launcher",
      args: [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        "import { ManagedProcess } from '@evalstack/local-stack'; const s = new ManagedProcess({ name: 'sleep', command: 'sleep', args: ['60'], detached: true, parentDeathSignal: 'SIGKILL' }); console.log('service', s.pid); setInterval(() => {}, 1000);",
      ],
    });
    const pid = Number((await launcher.waitForOutput(/service (\d+)/, 30_000))[1]);
    const service = await waitFor(() => identify(pid), "the service");
    expect(service.command).toBe("sleep");
    expect(isRunning(service)).toBe(true);
    await launcher.kill();
    await waitFor(() => (isRunning(service) ? undefined : true), "the service to die with its launcher");
  });
});

describe("process tree", () => {
  it("finds grandchildren and tells a reused pid from the process recorded", async () => {
    const p = new ManagedProcess({ name: "sh", command: "sh", args: ["-c", "sleep 30 & wait"] });
    const sleep = await waitFor(() => descendantsOf(p.pid!).find((d) => d.command === "sleep"), "sleep under sh");
    expect(descendantsOf(process.pid).map((d) => d.pid)).toEqual(expect.arrayContaining([p.pid, sleep.pid]));
    process.kill(sleep.pid, "SIGKILL");
    await p.exited;
    expect(isRunning(sleep)).toBe(false);
    expect(isRunning(identify(process.pid)!)).toBe(true);
    expect(isRunning({ ...identify(process.pid)!, startTime: 1 })).toBe(false);
  });
});
