// Three models in one run, the third a catalog entry only (models/catalog.yaml, no code of its own):
// `npm run compare -- --models qwen,phi3,<third> --suite smoke-6 --max-tokens 32` as a user runs it, on the
// small profile and free ports. Every model gets its own process and ports, the threads are split three
// ways, and the report lists all three with complete rows: scores, pairwise comparisons, performance
// (naming the GGUF each one loaded, with the catalog's sha256) and items.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ManagedProcess } from "@evalstack/local-stack";
import { loadCatalog } from "@evalstack/model-catalog";
import type { Report } from "@evalstack/evaluator/reports";

const tmp = mkdtempSync(path.join(os.tmpdir(), "evalstack-three-models-"));
const launched: ManagedProcess[] = [];
afterEach(() => Promise.all(launched.splice(0).map((p) => p.stop("SIGKILL", 5_000))));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const catalog = loadCatalog();
const third = catalog.names().find((name) => !catalog.defaultModels.includes(name))!;
const models = ["qwen", "phi3", third];

describe("npm run compare with three catalog models", () => {
  it(`smoke-6 on qwen, phi3 and ${third}: one process each, the threads split three ways, a complete report for all three`, async () => {
    const run = new ManagedProcess({
      name: "npm run compare",
      command: "npm",
      args: [
        "run",
        "compare",
        "--",
        "--models",
        models.join(","),
        "--suite",
        "smoke-6",
        "--max-tokens",
        "32",
        "--free-ports",
        "--out",
        path.join(tmp, "reports"),
      ],
      env: { EVALSTACK_DB_PATH: path.join(tmp, "evalstack.db"), NO_COLOR: "1" },
      detached: true,
    });
    launched.push(run);
    const status = await run.exited;
    const out = run.logs();
    expect(status.code, out).toBe(0);

    // Each model: its own process, one ggml thread of the two cores split three ways (never more than one).
    for (const model of models) {
      expect(out).toMatch(new RegExp(`^ {2}${model}: starting \\(pid \\d+\\) on 127\\.0\\.0\\.1:\\d+$`, "m"));
      expect(out).toMatch(new RegExp(`^ {2}${model}: loading the model \\(threads 1, slots 2\\)$`, "m"));
      expect(out).toMatch(new RegExp(`^ {2}${model} +█+ +6/6 100% +passed \\d +errors 0 +\\d+\\.\\d tokens/s$`, "m"));
    }
    const endpoints = [...out.matchAll(/^ {2}[\w-]+: starting \(pid \d+\) on (127\.0\.0\.1:\d+|http:\/\/127\.0\.0\.1:\d+)$/gm)].map(
      (m) => m[1],
    );
    expect(new Set(endpoints).size).toBe(4);

    const runId = out.match(/^Run (run_\w+): suite smoke-6, 6 items per model/m)![1]!;
    const report = JSON.parse(readFileSync(path.join(tmp, "reports", runId, "report.json"), "utf8")) as Report;
    expect(report.run).toMatchObject({ status: "completed", models });
    expect(report.models.map((m) => [m.name, m.replies, m.errors])).toEqual(models.map((m) => [m, 6, 0]));
    expect(report.items).toHaveLength(18);
    for (const model of models)
      expect(
        report.items.filter((i) => i.model === model),
        model,
      ).toHaveLength(6);

    // Scores for every model in every dimension, and every pair compared.
    for (const d of report.dimensions) {
      expect(
        d.per_model.map((s) => s.model),
        d.label,
      ).toEqual(models);
      expect(
        d.comparisons.map((c) => `${c.model_a}/${c.model_b}`),
        d.label,
      ).toEqual([`qwen/phi3`, `qwen/${third}`, `phi3/${third}`]);
    }

    // Performance: the file each model loaded is its catalog entry's pinned GGUF; every measured field is there.
    expect(report.performance.map((p) => p.model)).toEqual(models);
    for (const row of report.performance) {
      expect(row.sha256, row.model).toBe(catalog.profile(row.model, "small").pypi!.sha256);
      for (const field of ["parameter_count", "file_size_bytes", "load_ms", "ttft_ms_p50", "e2e_ms_p50", "peak_ram_bytes"] as const) {
        expect(row[field], `${row.model} ${field}`).toBeGreaterThan(0);
      }
      // Measured, not missing: a one-token reply (a greeting, then end of text) decodes nothing after its first token.
      expect(row.tokens_per_second_p50, `${row.model} tokens_per_second_p50`).toBeGreaterThanOrEqual(0);
    }
    expect(report.performance.find((p) => p.model === third)!.architecture).toBe("qwen2");

    // The terminal tables have a column per model.
    expect(out).toMatch(new RegExp(`Dimension +Items +qwen +phi3 +${third} `));
    expect(out).toMatch(new RegExp(`^ {2}Metric +qwen +phi3 +${third}$`, "m"));
    expect(out).toMatch(new RegExp(`stopped \\(qwen pid \\d+, phi3 pid \\d+, ${third} pid \\d+, evaluator pid \\d+\\)`));
  }, 900_000);
});
