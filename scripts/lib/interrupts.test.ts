import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { handleInterrupts, InterruptedError, signalExitCode, type SignalSource } from "./interrupts.js";

function setup(debounceMs = 500) {
  const source = new EventEmitter() as EventEmitter & SignalSource;
  let time = 1_000;
  const calls: string[] = [];
  const interrupts = handleInterrupts({
    source,
    now: () => time,
    debounceMs,
    onFirst: (s) => calls.push(`first:${s}`),
    onSecond: (s) => calls.push(`second:${s}`),
  });
  return { source, interrupts, calls, advance: (ms: number) => (time += ms) };
}

describe("handleInterrupts", () => {
  it("aborts on the first interrupt and kills on a second one", () => {
    const { source, interrupts, calls, advance } = setup();
    expect(interrupts.signal.aborted).toBe(false);
    source.emit("SIGINT", "SIGINT");
    expect(interrupts.signal.aborted).toBe(true);
    expect(interrupts.signal.reason).toBeInstanceOf(InterruptedError);
    expect(calls).toEqual(["first:SIGINT"]);
    advance(800);
    source.emit("SIGINT", "SIGINT");
    expect(calls).toEqual(["first:SIGINT", "second:SIGINT"]);
    expect(interrupts.count).toBe(2);
    source.emit("SIGINT", "SIGINT");
    expect(calls).toHaveLength(2);
  });

  it("counts the copies of one Ctrl-C that npm and tsx forward as one", () => {
    const { source, calls, advance } = setup();
    source.emit("SIGINT", "SIGINT");
    advance(40);
    source.emit("SIGINT", "SIGINT");
    advance(40);
    source.emit("SIGTERM", "SIGTERM");
    expect(calls).toEqual(["first:SIGINT"]);
  });

  it("stops listening when disposed", () => {
    const { source, interrupts, calls } = setup();
    interrupts.dispose();
    expect(source.listenerCount("SIGINT")).toBe(0);
    source.emit("SIGINT", "SIGINT");
    expect(calls).toEqual([]);
  });

  it("exit codes follow the shell's 128 + signal number", () => {
    expect(signalExitCode("SIGINT")).toBe(130);
    expect(signalExitCode("SIGTERM")).toBe(143);
    expect(signalExitCode("SIGHUP")).toBe(129);
  });
});
