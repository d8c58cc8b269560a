// `npm run compare`: the seed's comparison on this machine. Starts the model services and the evaluator as
// child processes (the small models by default, fetched once), runs a suite on every model through the
// evaluator's HTTP API with live progress, prints the scores side by side and the performance table, writes
// the reports to reports/<run-id>/ and stops everything it started.
//
//   npm run compare
//   npm run compare -- --suite smoke-6 --max-tokens 64
//   npm run compare -- --profile seed --keep-running
//
// Ctrl-C cancels the run and stops the stack cleanly; a second Ctrl-C kills it at once. `--help` lists
// every option. Exit codes: 0 the run completed (or partly: some replies were errors), 1 it failed or the
// stack could not start, 2 bad usage, 130 interrupted.
import { runOutsideTsxCli } from "./lib/outsideTsxCli.js";

await runOutsideTsxCli(import.meta.url);
const { main } = await import("./lib/compareCommand.js");
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`compare: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
