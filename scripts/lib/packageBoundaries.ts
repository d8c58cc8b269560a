// Workspace boundaries: a file may import another workspace only by its package name, through that package's
// `exports`, never by a relative path into its files; and shared packages (packages/*) never import a service.
// tsc cannot tell (a referenced project's files type-check wherever they are imported from) and Biome's
// noRestrictedImports matches specifiers, not the workspaces they resolve into, so lint runs this check.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export interface Workspace {
  /** Folder relative to the repository root ("" for the root package). */
  dir: string;
  name: string;
}

export interface BoundaryViolation {
  file: string;
  line: number;
  specifier: string;
  message: string;
}

const SOURCE_EXTENSIONS = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".tsbuild", "dist", "coverage", "results"]);

/** The root package and every workspace its package.json lists (a trailing `/*` is one level of folders). */
export function readWorkspaces(root: string): Workspace[] {
  const rootManifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; workspaces?: string[] };
  const workspaces: Workspace[] = [{ dir: "", name: rootManifest.name }];
  for (const pattern of rootManifest.workspaces ?? []) {
    const dirs = pattern.endsWith("/*")
      ? readdirSync(path.join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => path.posix.join(pattern.slice(0, -2), entry.name))
      : [pattern];
    for (const dir of dirs) {
      const manifest = path.join(root, dir, "package.json");
      if (existsSync(manifest)) workspaces.push({ dir, name: (JSON.parse(readFileSync(manifest, "utf8")) as { name: string }).name });
    }
  }
  return workspaces;
}

/** The workspace a path (relative to the root, posix separators) belongs to: the deepest folder containing it. */
export function owningWorkspace(workspaces: Workspace[], relativePath: string): Workspace {
  let owner = workspaces.find((w) => w.dir === "")!;
  for (const w of workspaces) {
    if (w.dir !== "" && (relativePath === w.dir || relativePath.startsWith(`${w.dir}/`)) && w.dir.length > owner.dir.length) owner = w;
  }
  return owner;
}

function sourceFiles(root: string, dir = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith(".")) files.push(...sourceFiles(root, relative));
    } else if (SOURCE_EXTENSIONS.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      files.push(relative);
    }
  }
  return files;
}

/** Every import that crosses a workspace boundary other than by package name, in the tree under `root`. */
export function findBoundaryViolations(root: string, files: string[] = sourceFiles(root)): BoundaryViolation[] {
  const workspaces = readWorkspaces(root);
  const services = workspaces.filter((w) => w.dir.startsWith("services/"));
  const violations: BoundaryViolation[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    const owner = owningWorkspace(workspaces, file);
    const lineOf = (position: number) => text.slice(0, position).split("\n").length;
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      const specifier = imported.fileName;
      if (specifier.startsWith(".")) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        const targetOwner = owningWorkspace(workspaces, target);
        if (targetOwner.dir === owner.dir) continue;
        const via =
          targetOwner.dir === ""
            ? "move what both need into a package"
            : `import it from "${targetOwner.name}" (add it to its package.json exports)`;
        violations.push({
          file,
          line: lineOf(imported.pos),
          specifier,
          message: `reaches into ${targetOwner.dir === "" ? "the root package" : targetOwner.dir}/ from ${owner.dir || "the root package"}: ${via}`,
        });
      } else if (owner.dir.startsWith("packages/")) {
        const service = services.find((s) => specifier === s.name || specifier.startsWith(`${s.name}/`));
        if (service) {
          violations.push({ file, line: lineOf(imported.pos), specifier, message: `a shared package imports the service ${service.name}` });
        }
      }
    }
  }
  return violations;
}
