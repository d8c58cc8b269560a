// npm runs `tsx scripts/<name>.ts`: the tsx command runs the script in a child process and, when a signal
// arrives, gives that child 30 ms to acknowledge it (then another 30 ms) before it SIGKILLs it. A launcher
// that is busy starting services on a loaded machine misses that, and a SIGKILLed launcher cannot cancel its
// run or stop its services. So under the tsx command the script starts itself again as
// `node --import tsx <script>` (the way the services run) and this process only waits: it acknowledges
// signals at once, passes them on and ends with the launcher's exit code. Kept free of other imports, so the
// waiting process stays light.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Whether this process is the child the tsx command started (its preflight script is preloaded). */
export function underTsxCli(execArgv: string[] = process.execArgv): boolean {
  return execArgv.some((a) => /[\\/]tsx[\\/]dist[\\/]preflight\.cjs$/.test(a));
}

/**
 * Under the tsx command: runs `entry` as `node --import tsx`, waits for it, and exits with its code (this
 * function then never returns). Otherwise returns at once, and the caller runs the script itself.
 */
export async function runOutsideTsxCli(entryUrl: string): Promise<void> {
  if (!underTsxCli()) return;
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(entryUrl), ...process.argv.slice(2)], { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => {
    // A Ctrl-C reaches the launcher directly too (same process group); it counts copies of one press once.
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c, s) => resolve([c, s]));
  });
  process.exit(code ?? 128 + (SIGNAL_NUMBERS[signal ?? "SIGKILL"] ?? 9));
}
