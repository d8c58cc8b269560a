import { readFileSync } from "node:fs";
import os from "node:os";

/**
 * CPUs this process may use: the cgroup v2 quota (cpu.max) when one is set, else the affinity mask.
 * In a Kubernetes pod with a 2-CPU limit on a 64-core node, this is 2, not 64.
 */
export function availableCpus(cgroupCpuMax = readCgroupCpuMax()): number {
  const affinity = os.availableParallelism();
  if (!cgroupCpuMax) return affinity;
  const [quota, period] = cgroupCpuMax.trim().split(/\s+/);
  if (!quota || quota === "max" || !period) return affinity;
  const cpus = Number(quota) / Number(period);
  if (!Number.isFinite(cpus) || cpus <= 0) return affinity;
  return Math.max(1, Math.min(affinity, Math.floor(cpus)));
}

function readCgroupCpuMax(): string | undefined {
  try {
    return readFileSync("/sys/fs/cgroup/cpu.max", "utf8");
  } catch {
    return undefined;
  }
}

/**
 * ggml spins its threads at barriers: more threads than free cores is catastrophic (a 27M model fell from
 * 230 to under 2 tokens/s with two processes of 2 threads on 2 cores). So the cores are divided among the
 * model processes that share the machine, never less than one each.
 */
export function defaultThreads(processesPerHost: number, cpus = availableCpus()): number {
  return Math.max(1, Math.floor(cpus / Math.max(1, processesPerHost)));
}
