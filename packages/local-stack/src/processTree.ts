// Which processes descend from a pid, and whether a process recorded earlier still runs (by pid and start
// time, so a reused pid does not count). Linux /proc; used to prove that a launcher leaves no process behind.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  startTime: number;
  command: string;
}

interface StatLine {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  startTime: number;
  command: string;
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ..." — comm may contain spaces and parentheses: split at the last ')'.
  const close = text.lastIndexOf(")");
  const command = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), state: fields[0]!, startTime: Number(fields[19]), command };
}

function allStats(): StatLine[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is StatLine => s !== undefined);
}

/** Every living descendant of `pid` (children, grandchildren, ...), not `pid` itself. */
export function descendantsOf(pid: number): ProcessIdentity[] {
  const stats = allStats();
  const children = new Map<number, StatLine[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const out: ProcessIdentity[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (child.state === "Z") continue;
      out.push({ pid: child.pid, startTime: child.startTime, command: child.command });
      queue.push(child.pid);
    }
  }
  return out;
}

/** The process itself, for a later isRunning check. */
export function identify(pid: number): ProcessIdentity | undefined {
  const s = readStat(pid);
  return s && { pid, startTime: s.startTime, command: s.command };
}

/** Whether the process recorded as `p` still runs (a zombie does not count; a reused pid is another process). */
export function isRunning(p: ProcessIdentity): boolean {
  const s = readStat(p.pid);
  return s !== undefined && s.startTime === p.startTime && s.state !== "Z";
}
