// Entry point for bin/evalstack.js: wires runCli to the process.

import { readFileSync } from "node:fs";
import { runCli } from "./main.js";

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: () => readFileSync(0, "utf8"),
});
process.exitCode = code;
