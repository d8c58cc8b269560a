// `npm run stack`: the local stack only — the model services and the evaluator as child processes, their
// endpoints printed — running until Ctrl-C, for notebooks and load tests. `--help` lists the options.
// Ctrl-C stops everything cleanly; a second Ctrl-C kills it at once. Exit codes: 0 stopped by Ctrl-C (or
// SIGTERM), 1 the stack could not start or a service exited, 2 bad usage.
import { runOutsideTsxCli } from "./lib/outsideTsxCli.js";

await runOutsideTsxCli(import.meta.url);
const { main } = await import("./lib/stackCommand.js");
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`stack: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
