// The `npm run stack` command (scripts/stack.ts is its entry point).
import { StackExitedError, type LocalStack } from "@evalstack/local-stack";
import { handleInterrupts, signalExitCode } from "./interrupts.js";
import { consoleFor, describeEndpoints, launchStack, LaunchError } from "./launchStack.js";
import { parseCommandLine, parseStackArgs, stackUsage } from "./stackArgs.js";
import { styleFor } from "./terminalReport.js";

export async function main(): Promise<number> {
  const args = parseCommandLine("stack", parseStackArgs, stackUsage);
  if (typeof args === "number") return args;
  const io = consoleFor(styleFor(process.stdout));
  let stack: LocalStack | undefined;
  const interrupts = handleInterrupts({
    onFirst: (signal) => io.err(`\n${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping the stack (Ctrl-C again to kill at once)\n`),
    onSecond: (signal) => {
      io.err(`${signal === "SIGINT" ? "Ctrl-C" : signal} again: killing every process of the stack now\n`);
      stack?.kill();
      process.exit(signalExitCode(signal));
    },
  });
  let code = 0;
  try {
    const startedAt = Date.now();
    stack = await launchStack(args, io, interrupts.signal);
    io.out(
      `  stack ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n\n${describeEndpoints(stack, io)}\nRunning; Ctrl-C stops everything.\n`,
    );
    const signal = interrupts.signal;
    await Promise.race([new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })), stack.failure]);
  } catch (error) {
    if (interrupts.signal.aborted) code = 0;
    else {
      code = 1;
      const message =
        error instanceof StackExitedError
          ? `${error.message}\n${io.style.dim(
              error.output
                .split("\n")
                .slice(-12)
                .map((l) => `    ${l}`)
                .join("\n"),
            )}`
          : (error as Error).message;
      io.err(`${io.style.bad("stack failed:")} ${message}\n`);
      if (!(error instanceof LaunchError) && !(error instanceof StackExitedError) && process.env.DEBUG)
        io.err(`${(error as Error).stack}\n`);
    }
  }
  if (stack) {
    io.out("stopping the stack ...\n");
    await stack.stop();
    io.out(`stopped (${stack.processes.map((p) => `${p.name} pid ${p.pid}`).join(", ")})\n`);
  }
  interrupts.dispose();
  return code;
}
