import { describe, expect, it } from "vitest";
import os from "node:os";
import { availableCpus, defaultThreads } from "./threads.js";

describe("threads", () => {
  it("follows a cgroup quota below the machine's cores", () => {
    expect(availableCpus("100000 100000")).toBe(1);
    expect(availableCpus("150000 100000")).toBe(1);
  });
  it("ignores an unlimited or unreadable quota", () => {
    expect(availableCpus("max 100000")).toBe(os.availableParallelism());
    expect(availableCpus(undefined)).toBe(os.availableParallelism());
    expect(availableCpus("garbage")).toBe(os.availableParallelism());
  });
  it("never exceeds the affinity mask", () => {
    expect(availableCpus("6400000 100000")).toBe(os.availableParallelism());
  });
  it("splits the cores among the model processes on the host, at least one each", () => {
    expect(defaultThreads(2, 2)).toBe(1);
    expect(defaultThreads(1, 2)).toBe(2);
    expect(defaultThreads(3, 2)).toBe(1);
    expect(defaultThreads(2, 16)).toBe(8);
  });
});
