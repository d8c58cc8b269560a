// examples/notebooks/compare.ipynb executed as CI does: the local stack on the small models (startLocalStack,
// auth on), the notebook run headless by nbclient in the notebook venv (scripts/ci/install-notebook-env.sh)
// on smoke-6 with a small token budget, failing on any cell error. Then its results are checked against the
// API: the DataFrame shapes, the diff of its two runs recomputed from their stored items, and every tabular
// endpoint read with one pandas call (flat columns, numbers as numbers, ISO 8601 timestamps).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "@evalstack/local-stack";
import { DIMENSION_DIFF_COLUMNS, ITEM_DIFF_COLUMNS } from "@evalstack/evaluator/runs/diff";
import { ITEM_COLUMNS, MODEL_COLUMNS, SUMMARY_COLUMNS } from "@evalstack/evaluator/api/rows";
import { scoreLatency } from "@evalstack/evaluator/scoring";
import { DEFAULT_NOTEBOOK, describeFailure, notebookPython, runNotebook, type RunNotebookResult } from "../scripts/runNotebook.js";
import { TEST_API_KEY } from "./helpers/evaluator.js";
import { TEST_MODEL_ENV } from "./helpers/modelServices.js";

const SUITE_ITEMS = 6; // smoke-6
const MODELS = ["qwen", "phi3"];
const TARGETS = { ttft_ms: 200, tokens_per_second: 30 };

interface Results {
  run_a: string;
  run_b: string;
  final_a: { status: string; done: number; total: number; errors: number };
  final_b: { status: string; done: number; total: number; errors: number };
  shapes: Record<string, [number, number]>;
  items_dtypes: Record<string, string>;
  diff: {
    model_a: string;
    model_b: string;
    dimension: string;
    score_a: number;
    score_b: number;
    score_delta: number;
    p_value: number;
    verdict: string;
    newly_passed: number;
    newly_failed: number;
  }[];
  changes: { model_a: string; item_id: string; change: string }[];
}

interface ApiItem {
  item_id: string;
  model: string;
  dimension: string;
  status: string;
  passed: boolean | null;
  ttft_ms: number;
  tokens_per_second: number;
  queue_ms: number;
  decode_ms: number;
  total_ms: number;
}

let dir: string;
let stack: LocalStack;
let url: string;
let execution: RunNotebookResult;
let results: Results;

const api = async <T>(p: string): Promise<T> => {
  const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

beforeAll(async () => {
  notebookPython(); // fails at once, naming the installer, when the venv is missing
  dir = mkdtempSync(path.join(tmpdir(), "evalstack-notebook-"));
  stack = await startLocalStack({
    freePorts: true,
    dbPath: path.join(dir, "evalstack.db"),
    modelEnv: TEST_MODEL_ENV,
    evaluatorEnv: {
      EVALSTACK_AUTH: "on",
      EVALSTACK_API_KEYS: TEST_API_KEY,
      EVALSTACK_TARGET_TTFT_MS: String(TARGETS.ttft_ms),
      EVALSTACK_TARGET_TOKENS_PER_SECOND: String(TARGETS.tokens_per_second),
      LOG_LEVEL: "warn",
    },
  });
  url = stack.evaluator!.url;
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("examples/notebooks/compare.ipynb on the local stack", () => {
  it("executes every cell without an error, figures included", async () => {
    execution = await runNotebook({
      notebook: DEFAULT_NOTEBOOK,
      out: path.join(dir, "compare.executed.ipynb"),
      env: {
        EVALSTACK_URL: url,
        EVALSTACK_API_KEY: TEST_API_KEY,
        EVALSTACK_SUITE: "smoke-6",
        EVALSTACK_MAX_TOKENS: "32",
        EVALSTACK_NOTEBOOK_RESULTS: path.join(dir, "results.json"),
      },
      cellTimeoutS: 180,
      timeoutMs: 200_000,
    });
    expect(execution.ok, describeFailure(execution.failure)).toBe(true);

    const nb = JSON.parse(readFileSync(execution.out, "utf8")) as {
      cells: {
        cell_type: string;
        execution_count: number | null;
        outputs?: { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> }[];
      }[];
    };
    const code = nb.cells.filter((c) => c.cell_type === "code");
    expect(code.every((c) => typeof c.execution_count === "number")).toBe(true);
    const outputs = code.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === "error")).toEqual([]);
    expect(outputs.filter((o) => o.data?.["image/png"]).length).toBe(3); // scores, latency, score change
    const stdout = outputs
      .filter((o) => o.output_type === "stream" && o.name === "stdout")
      .map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text))
      .join("");
    expect(stdout).toMatch(/completed\s+12\/12 \(100%\)/); // progress followed to the end, twice
    expect(stdout.match(/completed\s+12\/12/g)).toHaveLength(2);
    expect(stdout).toContain("results written to");

    results = JSON.parse(readFileSync(path.join(dir, "results.json"), "utf8")) as Results;
    expect(results.final_a).toMatchObject({ status: "completed", done: 12, total: 12, errors: 0 });
    expect(results.final_b).toMatchObject({ status: "completed", done: 12, total: 12, errors: 0 });
  }, 240_000);

  it("loaded DataFrames of the shapes the API serves", async () => {
    const s = results.shapes;
    expect(s.models).toEqual([MODELS.length, MODEL_COLUMNS.length]);
    expect(s.suites![0]).toBeGreaterThanOrEqual(2);
    expect(s.items).toEqual([SUITE_ITEMS * MODELS.length, ITEM_COLUMNS.length]);
    expect(s.items_json).toEqual(s.items);
    expect(s.summary).toEqual([5 * MODELS.length, SUMMARY_COLUMNS.length]); // smoke-6 covers all five dimensions
    expect(s.diff).toEqual([5 * MODELS.length, DIMENSION_DIFF_COLUMNS.length]);
    expect(s.changes![1]).toBe(ITEM_DIFF_COLUMNS.length);
    expect(s.pairs).toEqual([SUITE_ITEMS * MODELS.length, ITEM_DIFF_COLUMNS.length + 2]); // + reply_changed, ttft_change_ms
    expect(s.changes![0]).toBe(results.changes.length);

    const itemsA = await api<ApiItem[]>(`/v1/runs/${results.run_a}/items`);
    expect(s.failed).toEqual([itemsA.filter((i) => i.passed === false).length, ITEM_COLUMNS.length + 1]); // + failed_checks
    // Numbers as numbers, timestamps as timestamps, straight from the CSV.
    for (const column of ["ttft_ms", "tokens_per_second", "total_ms", "completion_tokens", "seq"])
      expect(results.items_dtypes[column], column).toMatch(/^(int|float)/);
    expect(results.items_dtypes.completed_at).toMatch(/^datetime64/);
  });

  it("diffed its two runs as their stored items say", async () => {
    const [summaryA, summaryB, itemsA, itemsB] = await Promise.all([
      api<{ model: string; dimension: string; score: number }[]>(`/v1/runs/${results.run_a}/summary`),
      api<{ model: string; dimension: string; score: number }[]>(`/v1/runs/${results.run_b}/summary`),
      api<ApiItem[]>(`/v1/runs/${results.run_a}/items`),
      api<ApiItem[]>(`/v1/runs/${results.run_b}/items`),
    ]);
    const score = (rows: typeof summaryA, model: string, dimension: string) =>
      rows.find((r) => r.model === model && r.dimension === dimension)!.score;
    // One reply per (model, item): it passes when its checks pass, or for latency items when it meets the targets.
    const passes = (i: ApiItem) =>
      i.dimension === "latency" ? i.status === "completed" && scoreLatency(i, TARGETS).passed : i.passed === true;
    const outcome = (items: ApiItem[]) => new Map(items.map((i) => [`${i.model}/${i.item_id}`, passes(i)]));
    const a = outcome(itemsA);
    const b = outcome(itemsB);
    const expected: { model_a: string; item_id: string; change: string }[] = [];
    for (const [key, passedA] of a) {
      const passedB = b.get(key)!;
      const [model, item_id] = key.split("/") as [string, string];
      if (passedA !== passedB) expected.push({ model_a: model, item_id, change: passedB ? "newly_passed" : "newly_failed" });
    }
    const sortKey = (c: { model_a: string; item_id: string }) => `${c.model_a}/${c.item_id}`;
    expect([...results.changes].sort((x, y) => sortKey(x).localeCompare(sortKey(y)))).toEqual(
      expected.sort((x, y) => sortKey(x).localeCompare(sortKey(y))),
    );

    expect(results.diff.map((r) => `${r.model_a}/${r.dimension}`).sort()).toEqual(
      MODELS.flatMap((m) => ["instruction_following", "math", "code", "structured", "latency"].map((d) => `${m}/${d}`)).sort(),
    );
    for (const row of results.diff) {
      const where = `${row.model_a} ${row.dimension}`;
      expect(row.model_b, where).toBe(row.model_a);
      expect(row.score_a, where).toBe(score(summaryA, row.model_a, row.dimension));
      expect(row.score_b, where).toBe(score(summaryB, row.model_a, row.dimension));
      expect(row.score_delta, where).toBeCloseTo(row.score_b - row.score_a, 6);
      const mine = expected.filter(
        (c) => c.model_a === row.model_a && itemsA.find((i) => i.item_id === c.item_id)!.dimension === row.dimension,
      );
      expect(row.newly_passed, where).toBe(mine.filter((c) => c.change === "newly_passed").length);
      expect(row.newly_failed, where).toBe(mine.filter((c) => c.change === "newly_failed").length);
      expect(row.p_value, where).toBeGreaterThan(0);
      expect(row.p_value, where).toBeLessThanOrEqual(1);
      expect(["improved", "regressed", "no_significant_difference", "sample_too_small"]).toContain(row.verdict);
    }
  });

  it("every tabular endpoint reads with one pandas call: same table as JSON and CSV, flat, numbers and timestamps typed", () => {
    const script = `
import json, sys
import pandas as pd
base, key, run_a, run_b = sys.argv[1:5]
H = {"Authorization": f"Bearer {key}"}
endpoints = {
    "models": "/v1/models", "suites": "/v1/suites", "runs": "/v1/runs",
    "items": f"/v1/runs/{run_a}/items", "summary": f"/v1/runs/{run_a}/summary",
    "diff": f"/v1/runs/{run_a}/diff/{run_b}", "diff_items": f"/v1/runs/{run_a}/diff/{run_b}/items",
}
def describe(df):
    nested = [c for c in df.columns if df[c].map(lambda v: isinstance(v, (list, dict))).any()]
    return {"shape": list(df.shape), "columns": list(df.columns), "dtypes": {c: str(t) for c, t in df.dtypes.items()}, "nested": nested}
out = {}
for name, path in endpoints.items():
    j = pd.read_json(base + path, storage_options=H)
    c = pd.read_csv(base + path + "?format=csv", storage_options=H, parse_dates=[x for x in j.columns if x.endswith("_at")])
    out[name] = {"json": describe(j), "csv": describe(c)}
out["report"] = {"csv": describe(pd.read_csv(f"{base}/v1/runs/{run_a}/report?format=csv", storage_options=H))}
print(json.dumps(out))
`;
    const run = spawnSync(notebookPython(), ["-c", script, url, TEST_API_KEY, results.run_a, results.run_b], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    type Frame = { shape: [number, number]; columns: string[]; dtypes: Record<string, string>; nested: string[] };
    const tables = JSON.parse(run.stdout) as Record<string, { json?: Frame; csv: Frame }>;

    const numeric: Record<string, string[]> = {
      models: ["pending_requests", "concurrency", "in_flight", "parameter_count", "file_size_bytes", "context_size", "slots", "load_ms"],
      suites: ["item_count"],
      runs: ["repeats", "max_tokens", "total_items", "done", "completed", "errors", "passed"],
      items: [
        "seq",
        "repeat",
        "score",
        "checks_passed",
        "checks_total",
        "prompt_tokens",
        "completion_tokens",
        "queue_ms",
        "ttft_ms",
        "decode_ms",
        "total_ms",
        "tokens_per_second",
        "attempts",
      ],
      summary: ["items", "replies", "errors", "pass_rate", "score", "ci_low", "ci_high", "instruction_score"],
      diff: [
        "paired_items",
        "items_a",
        "items_b",
        "score_a",
        "score_b",
        "score_delta",
        "ci_low_a",
        "ci_high_b",
        "instruction_score_delta",
        "improved_items",
        "regressed_items",
        "p_value",
        "newly_passed",
        "newly_failed",
      ],
      diff_items: [
        "pass_rate_a",
        "pass_rate_b",
        "pass_rate_delta",
        "instruction_score_a",
        "replies_a",
        "errors_b",
        "ttft_ms_a",
        "ttft_ms_b",
        "tokens_per_second_a",
        "tokens_per_second_b",
      ],
      report: ["replies", "errors", "pass_rate", "instruction_score", "ttft_ms", "tokens_per_second", "total_ms"],
    };
    const timestamps: Record<string, string[]> = { runs: ["created_at", "started_at", "completed_at"], items: ["completed_at"] };
    const rows: Record<string, number> = { models: MODELS.length, runs: 2, items: 12, summary: 10, diff: 10, diff_items: 12, report: 12 };

    for (const [name, formats] of Object.entries(tables)) {
      for (const [format, frame] of Object.entries(formats)) {
        const where = `${name} (${format})`;
        if (rows[name] !== undefined) expect(frame.shape[0], where).toBe(rows[name]);
        for (const column of numeric[name] ?? []) expect(frame.dtypes[column], `${where}.${column}`).toMatch(/^(int|float|Int|Float)\d+$/);
        for (const column of timestamps[name] ?? []) expect(frame.dtypes[column], `${where}.${column}`).toMatch(/^datetime64/);
        // Flat: scalars only, except the items' list of check results in JSON (a JSON string in CSV).
        expect(frame.nested, where).toEqual(name === "items" && format === "json" ? ["checks"] : []);
      }
      if (formats.json) {
        expect(formats.csv.columns, name).toEqual(formats.json.columns);
        expect(formats.csv.shape, name).toEqual(formats.json.shape);
      }
    }
    expect(Object.keys(tables).sort()).toEqual(Object.keys(numeric).sort());
  });
});
