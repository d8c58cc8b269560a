// `npm run lint` step: fails, naming each import, when an import crosses a workspace boundary other than by
// package name (see scripts/lib/packageBoundaries.ts). `tsx scripts/checkBoundaries.ts [root]`: the repository by
// default, another tree (a test fixture) when given.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findBoundaryViolations } from "./lib/packageBoundaries.js";

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."));
const violations = findBoundaryViolations(root);
for (const v of violations) console.error(`${v.file}:${v.line}: "${v.specifier}" ${v.message}`);
if (violations.length > 0) {
  console.error(`package boundaries: ${violations.length} import(s) cross a workspace boundary by path`);
  process.exit(1);
}
console.log("package boundaries: every cross-workspace import goes through a package's exports");
