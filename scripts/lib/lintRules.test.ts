// The rules `npm run lint` enforces bite: a cross-workspace import by path fails the boundary check, and a
// misformatted file fails the formatter check with this repository's biome.json.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { findBoundaryViolations, owningWorkspace, readWorkspaces } from "./packageBoundaries.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tsx = path.join(repo, "node_modules/.bin/tsx");
const biome = path.join(repo, "node_modules/.bin/biome");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "evalstack-lint-"));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const manifest = (name: string, extra: object = {}) => JSON.stringify({ name, type: "module", ...extra });

function fixtureRepo(extra: Record<string, string>): string {
  return tree({
    "package.json": manifest("fixture", { workspaces: ["packages/*", "services/*", "loadtests"] }),
    "packages/core/package.json": manifest("@fixture/core", { exports: { ".": "./src/index.ts" } }),
    "packages/core/src/index.ts": 'export { helper } from "./helper.js";\n',
    "packages/core/src/helper.ts": "export const helper = 1;\n",
    "services/api/package.json": manifest("@fixture/api"),
    "services/api/src/main.ts":
      'import { helper } from "@fixture/core";\nimport { local } from "./local.js";\nexport const x = helper + local;\n',
    "services/api/src/local.ts": "export const local = 2;\n",
    "loadtests/package.json": manifest("@fixture/loadtests"),
    "loadtests/lib/stats.ts": "export const p50 = 0;\n",
    ...extra,
  });
}

describe("package boundaries", () => {
  it("finds the workspaces and the one each path belongs to", () => {
    const root = fixtureRepo({});
    const workspaces = readWorkspaces(root);
    expect(workspaces.map((w) => w.dir).sort()).toEqual(["", "loadtests", "packages/core", "services/api"]);
    expect(owningWorkspace(workspaces, "services/api/src/main.ts").name).toBe("@fixture/api");
    expect(owningWorkspace(workspaces, "test/x.test.ts").name).toBe("fixture");
    expect(owningWorkspace(workspaces, "loadtestsX/a.ts").name).toBe("fixture");
  });

  it("accepts imports by package name and relative imports inside a workspace", () => {
    expect(findBoundaryViolations(fixtureRepo({}))).toEqual([]);
  });

  it("names every import that reaches into another workspace's files, and a shared package importing a service", () => {
    const root = fixtureRepo({
      "services/api/src/deep.ts": 'import { helper } from "../../../packages/core/src/helper.js";\nexport const y = helper;\n',
      "scripts/report.ts": '\n\nexport { p50 } from "../loadtests/lib/stats.js";\n',
      "packages/core/src/dynamic.ts": 'export const load = () => import("../../../services/api/src/main.js");\n',
      "packages/core/src/knowsCaller.ts": 'import { x } from "@fixture/api";\nexport const z = x;\n',
      "services/api/src/test.test.ts": 'import { s } from "../../../test/helpers/server.js";\nexport { s };\n',
    });
    const found = findBoundaryViolations(root).map((v) => `${v.file}:${v.line} ${v.specifier}`);
    expect(found.sort()).toEqual([
      "packages/core/src/dynamic.ts:1 ../../../services/api/src/main.js",
      "packages/core/src/knowsCaller.ts:1 @fixture/api",
      "scripts/report.ts:3 ../loadtests/lib/stats.js",
      "services/api/src/deep.ts:1 ../../../packages/core/src/helper.js",
      "services/api/src/test.test.ts:1 ../../../test/helpers/server.js",
    ]);
  });

  it("fails the lint step on a cross-package src import, naming the file and the package to import from", () => {
    const root = fixtureRepo({
      "services/api/src/deep.ts": 'import { helper } from "../../../packages/core/src/helper.js";\nexport const y = helper;\n',
    });
    const run = spawnSync(tsx, [path.join(repo, "scripts/checkBoundaries.ts"), root], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('services/api/src/deep.ts:1: "../../../packages/core/src/helper.js"');
    expect(run.stderr).toContain('import it from "@fixture/core"');
  });

  it("passes on this repository", () => {
    expect(findBoundaryViolations(repo)).toEqual([]);
  });
});

describe("formatter check", () => {
  // This repository's formatter settings, in a tree of its own (no git, so no ignore file).
  const config = JSON.parse(readFileSync(path.join(repo, "biome.json"), "utf8")) as Record<string, unknown>;
  delete config.vcs;
  delete config.$schema;
  const check = (source: string) => {
    const root = tree({ "biome.json": JSON.stringify(config), "src/sample.ts": source });
    return spawnSync(biome, ["format", "src"], { cwd: root, encoding: "utf8" });
  };

  it("fails on a misformatted file", () => {
    const run = check("const  answer = {value:'x'}\nexport { answer }\n");
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toContain("sample.ts");
  });

  it("passes the house style: 2 spaces, double quotes, trailing commas, lines up to 140", () => {
    const long = `export const message = "${"a".repeat(100)}";\n`;
    const run = check(`export const answer = {\n  value: "x",\n  nested: [1, 2],\n};\n${long}`);
    expect(run.stdout + run.stderr).not.toContain("×");
    expect(run.status).toBe(0);
  });

  it("is the same formatter the lint script runs", () => {
    const scripts = (JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["format:check"]).toBe("biome format .");
    expect(scripts.lint).toContain("tsx scripts/checkBoundaries.ts");
    expect(execFileSync(biome, ["--version"], { encoding: "utf8" })).toContain("2.6.8");
  });
});
