#!/usr/bin/env node
// The `evalstack` command: registers tsx (the evaluator runs from its TypeScript sources) and runs the CLI.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/run.ts");
