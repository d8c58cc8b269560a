// A control-plane process: spawned detached with its output in <dir>/logs/<name>.log and its identity
// (pid and start time) in <dir>/pids/<name>.pid, so `down` (another process, later) stops exactly what
// `up` started and never a process that reused the pid.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { identify, isRunning, setprivPath, type ProcessIdentity } from "@evalstack/local-stack";

export interface Daemon {
  name: string;
  identity: ProcessIdentity;
  log: string;
}

export interface SpawnOptions {
  /** The kernel kills the process when the launcher dies (tests); off for `up`, whose processes outlive it. */
  dieWithParent: boolean;
}

export function spawnDaemon(dir: string, name: string, command: string, args: string[], options: SpawnOptions): Daemon {
  mkdirSync(path.join(dir, "logs"), { recursive: true });
  mkdirSync(path.join(dir, "pids"), { recursive: true });
  const log = path.join(dir, "logs", `${name}.log`);
  const fd = openSync(log, "a");
  const setpriv = options.dieWithParent ? setprivPath() : undefined;
  const [file, argv] = setpriv ? [setpriv, ["--pdeathsig", "SIGKILL", "--", command, ...args]] : [command, args];
  const child = spawn(file, argv, { cwd: dir, stdio: ["ignore", fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const identity = identify(child.pid);
  if (!identity) throw new Error(`${name} exited at once; see ${log}:\n${tail(log)}`);
  writeFileSync(path.join(dir, "pids", `${name}.pid`), JSON.stringify(identity) + "\n");
  return { name, identity, log };
}

export function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** The processes a state directory records, in start order, with whether each still runs. */
export function recordedDaemons(dir: string): Array<Daemon & { running: boolean }> {
  const pids = path.join(dir, "pids");
  if (!existsSync(pids)) return [];
  return readdirSync(pids)
    .filter((f) => f.endsWith(".pid"))
    .map((f) => {
      const name = f.slice(0, -4);
      const identity = JSON.parse(readFileSync(path.join(pids, f), "utf8")) as ProcessIdentity;
      return { name, identity, log: path.join(dir, "logs", `${name}.log`), running: isRunning(identity) };
    })
    .sort((a, b) => a.identity.startTime - b.identity.startTime);
}

/** SIGTERM, then SIGKILL after `graceMs`; only the recorded process, and only while it is still that process. */
export async function stopDaemon(dir: string, daemon: Daemon, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    if (!isRunning(daemon.identity)) return;
    try {
      process.kill(daemon.identity.pid, sig);
    } catch {
      // gone meanwhile
    }
  };
  signal("SIGTERM");
  const until = Date.now() + graceMs;
  while (isRunning(daemon.identity) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(daemon.identity)) {
    signal("SIGKILL");
    while (isRunning(daemon.identity)) await new Promise((r) => setTimeout(r, 50));
  }
  rmSync(path.join(dir, "pids", `${daemon.name}.pid`), { force: true });
}
