import os from "node:os";

export interface MachineInfo {
  cpuModel: string;
  logicalCpus: number;
  /** What this process may use (cgroup quota aware on Node 20+ via availableParallelism). */
  availableParallelism: number;
  memoryGiB: number;
  platform: string;
  kernel: string;
  node: string;
  hostname: string;
  /** 1, 5 and 15-minute load averages when the summary was written: other work on the machine skews latency. */
  loadAverage: number[];
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    logicalCpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    hostname: os.hostname(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function machineLine(machine: MachineInfo): string {
  return `${machine.cpuModel}, ${machine.availableParallelism} of ${machine.logicalCpus} CPUs usable, ${machine.memoryGiB} GiB RAM, ${machine.platform}, Node ${machine.node}, load average ${machine.loadAverage.join(" / ")}`;
}
