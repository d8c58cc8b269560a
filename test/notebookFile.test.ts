// The example notebooks as files: valid nbformat 4 JSON with a python3 kernel, outputs cleared in git (no
// outputs, no execution counts), nothing imported beyond requests, pandas, matplotlib and the standard
// library, and every setting read from the environment. Executing them: test/notebook.test.ts.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const DIR = path.resolve(import.meta.dirname, "../examples/notebooks");
const notebooks = readdirSync(DIR).filter((f) => f.endsWith(".ipynb"));

interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
  metadata: Record<string, unknown>;
}
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name: string; language: string } };
  cells: Cell[];
}

const text = (cell: Cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);
const load = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as Notebook;
const ALLOWED_IMPORTS = new Set(["requests", "pandas", "matplotlib", "json", "os", "urllib"]);

describe("example notebooks", () => {
  it("include compare.ipynb", () => {
    expect(notebooks).toContain("compare.ipynb");
  });

  for (const file of notebooks) {
    describe(file, () => {
      it("is nbformat 4 with a python3 kernel", () => {
        const nb = load(file);
        expect(nb.nbformat).toBe(4);
        expect(nb.nbformat_minor).toBeGreaterThanOrEqual(4);
        expect(nb.metadata.kernelspec).toMatchObject({ name: "python3", language: "python" });
        expect(nb.cells.filter((c) => c.cell_type === "code").length).toBeGreaterThan(5);
      });

      it("has its outputs cleared", () => {
        const nb = load(file);
        const dirty = nb.cells
          .map((c, i) => ({ i, c }))
          .filter(({ c }) => c.cell_type === "code" && ((c.outputs?.length ?? 0) > 0 || (c.execution_count ?? null) !== null));
        expect(
          dirty.map(({ i }) => `cell ${i}`),
          "clear the outputs before committing (Jupyter: Edit > Clear All Outputs)",
        ).toEqual([]);
        // Cell metadata that only a run leaves behind (execution timings, collapsed/scrolled state).
        for (const c of nb.cells)
          expect(Object.keys(c.metadata).filter((k) => ["execution", "scrolled", "collapsed"].includes(k))).toEqual([]);
      });

      it("imports only requests, pandas, matplotlib and the standard library", () => {
        const code = load(file)
          .cells.filter((c) => c.cell_type === "code")
          .map(text)
          .join("\n");
        const modules = [...code.matchAll(/^\s*(?:import|from)\s+([\w.]+)/gm)].map((m) => m[1]!.split(".")[0]!);
        expect(modules.length).toBeGreaterThan(0);
        expect(modules.filter((m) => !ALLOWED_IMPORTS.has(m))).toEqual([]);
        expect(code).not.toMatch(/^\s*[!%]/m); // no shell escapes or magics: it runs as plain Python
      });

      it("reads the evaluator URL, API key, suite and token budget from the environment", () => {
        const code = load(file)
          .cells.filter((c) => c.cell_type === "code")
          .map(text)
          .join("\n");
        expect(code).toMatch(/os\.environ\.get\("EVALSTACK_URL", "http:\/\/localhost:8080"\)/);
        expect(code).toMatch(/os\.environ\.get\("EVALSTACK_API_KEY"\)/);
        expect(code).toMatch(/os\.environ\.get\("EVALSTACK_SUITE", "smoke-6"\)/);
        expect(code).toMatch(/os\.environ\.get\("EVALSTACK_MAX_TOKENS"/);
        expect(code).not.toMatch(/127\.0\.0\.1:\d+|Bearer [A-Za-z0-9]{8,}/); // no endpoint or key baked in
      });
    });
  }
});
