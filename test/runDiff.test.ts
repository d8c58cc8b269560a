// GET /v1/runs/{a}/diff/{b} through the HTTP API: the evaluator in-process with a real SQLite store and two
// fake model servers whose answers change between the two runs, so the items that newly pass and
// newly fail are known in advance. JSON and CSV agree; unknown runs, runs over different suites and
// models that cannot be paired are problem+json. (The same diff on real models: test/notebook.test.ts.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@evalstack/evaluator/config";
import { DIMENSION_DIFF_COLUMNS, ITEM_DIFF_COLUMNS } from "@evalstack/evaluator/runs/diff";
import { startServer, type EvaluatorServer } from "@evalstack/evaluator/server";
import { startFakeModelServer, type FakeModelServer } from "@evalstack/testing";
import { parseCsvRecords } from "@evalstack/testing";

const KEY = "test-key-0123456789abcdef";
const auth = { authorization: `Bearer ${KEY}` };
const json = { ...auth, "content-type": "application/json" };

const items = Array.from({ length: 8 }, (_, i) => ({
  id: `q${i}`,
  dimension: "instruction_following",
  prompt: `Say ok ${i}`,
  checks: [{ type: "contains", value: "ok" }],
}));

let dir: string;
let server: EvaluatorServer;
let models: FakeModelServer[] = [];
/** Which items alpha answers correctly now (beta never does). */
let alphaPasses = new Set<number>();

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });

async function finishedRun(body: Record<string, unknown>): Promise<string> {
  const res = await call("/v1/runs", { method: "POST", headers: json, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const until = Date.now() + 15_000;
  for (;;) {
    const run = await server.store.getRunHeader(id);
    if (run && run.status === "completed") return id;
    if (Date.now() > until) throw new Error(`run ${id} still ${run?.status}`);
    await server.runs.events.nextFor(id, 200);
  }
}

async function expectProblem(res: Response, status: number, path: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { status: number; detail: string; errors?: { path: string }[] };
  expect(body.status).toBe(status);
  expect(body.errors?.map((e) => e.path)).toContain(path);
  return body;
}

let runA: string;
let runB: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-diff-"));
  const itemIndex = (content: string) => Number(/Say ok (\d+)/.exec(content)?.[1]);
  models = [
    await startFakeModelServer({ slots: 2, reply: (r) => (alphaPasses.has(itemIndex(r.messages.at(-1)?.content ?? "")) ? "ok" : "nope") }),
    await startFakeModelServer({ slots: 2, reply: () => "nope" }),
  ];
  const config = loadConfig({
    EVALSTACK_HOST: "127.0.0.1",
    EVALSTACK_PORT: "0",
    EVALSTACK_MODELS: `alpha=${models[0]!.target},beta=${models[1]!.target}`,
    EVALSTACK_DB_PATH: join(dir, "diff.db"),
    EVALSTACK_API_KEYS: KEY,
  });
  server = await startServer({ config, log: pino({ level: "silent" }) });
  for (const [id, suiteItems] of [
    ["eight", items],
    ["other", items.slice(0, 2)],
  ] as const) {
    const res = await call("/v1/suites", { method: "POST", headers: json, body: JSON.stringify({ id, items: suiteItems }) });
    expect(res.status).toBe(201);
  }
  // A: alpha passes q0-q3. B: alpha passes q2-q7, so q4-q7 newly pass and q0-q1 newly fail.
  alphaPasses = new Set([0, 1, 2, 3]);
  runA = await finishedRun({ suite: "eight", models: ["alpha", "beta"] });
  alphaPasses = new Set([2, 3, 4, 5, 6, 7]);
  runB = await finishedRun({ suite: "eight", models: ["alpha", "beta"] });
});

afterAll(async () => {
  await server?.close();
  for (const m of models) await m.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("GET /v1/runs/{a}/diff/{b}", () => {
  it("gives per model per dimension score deltas with significance and the items that newly pass or fail", async () => {
    const res = await call(`/v1/runs/${runA}/diff/${runB}`);
    expect(res.status).toBe(200);
    const rows = (await res.json()) as Record<string, unknown>[];
    expect(rows.map((r) => [r.model_a, r.model_b, r.dimension])).toEqual([
      ["alpha", "alpha", "instruction_following"],
      ["beta", "beta", "instruction_following"],
    ]);
    expect(rows[0]).toMatchObject({
      run_a: runA,
      run_b: runB,
      suite_id: "eight",
      status_a: "completed",
      model_name_a: "fake-model",
      same_weights: true,
      paired_items: 8,
      score_a: 5,
      score_b: 7.5,
      score_delta: 2.5,
      improved_items: 4,
      regressed_items: 2,
      significant: false,
      verdict: "no_significant_difference",
      newly_passed: 4,
      newly_failed: 2,
      newly_passed_items: "q4,q5,q6,q7",
      newly_failed_items: "q0,q1",
    });
    expect(rows[0]!.p_value).toBeCloseTo(0.6875, 6); // exact McNemar, 2 vs 4 discordant: 2 x P(X <= 2 | n = 6)
    expect(rows[1]).toMatchObject({
      score_a: 0,
      score_b: 0,
      score_delta: 0,
      newly_passed: 0,
      newly_failed: 0,
      p_value: 1,
      verdict: "sample_too_small",
    });
    for (const row of rows) expect(Object.keys(row)).toEqual([...DIMENSION_DIFF_COLUMNS]);

    // The reverse diff mirrors it.
    const back = (await (await call(`/v1/runs/${runB}/diff/${runA}?model_a=alpha`)).json()) as Record<string, unknown>[];
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ score_delta: -2.5, newly_passed: 2, newly_failed: 4, improved_items: 2, regressed_items: 4 });
  });

  it("serves the same rows as CSV, one header row and numbers as plain numbers", async () => {
    const res = await call(`/v1/runs/${runA}/diff/${runB}?format=csv`);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await res.text();
    expect(text.split("\r\n")[0]).toBe(DIMENSION_DIFF_COLUMNS.join(","));
    const rows = parseCsvRecords(text);
    const jsonRows = (await (await call(`/v1/runs/${runA}/diff/${runB}`)).json()) as Record<string, unknown>[];
    expect(rows).toHaveLength(jsonRows.length);
    rows.forEach((row, i) => {
      for (const column of DIMENSION_DIFF_COLUMNS)
        expect(row[column], column).toBe(jsonRows[i]![column] === null ? "" : String(jsonRows[i]![column]));
    });
    expect(rows[0]).toMatchObject({ score_delta: "2.5", significant: "false", newly_passed_items: "q4,q5,q6,q7" });
  });

  it("lists item by item what changed, filtered by change, dimension and model, as JSON or CSV", async () => {
    const all = (await (await call(`/v1/runs/${runA}/diff/${runB}/items`)).json()) as Record<string, unknown>[];
    expect(all).toHaveLength(16);
    for (const row of all) expect(Object.keys(row)).toEqual([...ITEM_DIFF_COLUMNS]);
    const alpha = all.filter((r) => r.model_a === "alpha");
    expect(Object.fromEntries(alpha.map((r) => [r.item_id, r.change]))).toEqual({
      q0: "newly_failed",
      q1: "newly_failed",
      q2: "still_passing",
      q3: "still_passing",
      q4: "newly_passed",
      q5: "newly_passed",
      q6: "newly_passed",
      q7: "newly_passed",
    });
    expect(all.filter((r) => r.model_a === "beta").every((r) => r.change === "still_failing")).toBe(true);
    expect(alpha[0]).toMatchObject({
      reply_a: "ok",
      reply_b: "nope",
      passed_a: true,
      passed_b: false,
      pass_rate_delta: -1,
      failed_checks_a: null,
    });
    expect(alpha[0]!.failed_checks_b).toMatch(/^contains: /);
    expect(typeof alpha[0]!.ttft_ms_a).toBe("number");

    const changed = (await (await call(`/v1/runs/${runA}/diff/${runB}/items?change=newly_passed,newly_failed`)).json()) as {
      item_id: string;
      change: string;
    }[];
    expect(changed.map((r) => `${r.item_id}:${r.change}`)).toEqual([
      "q0:newly_failed",
      "q1:newly_failed",
      "q4:newly_passed",
      "q5:newly_passed",
      "q6:newly_passed",
      "q7:newly_passed",
    ]);
    const betaOnly = (await (
      await call(`/v1/runs/${runA}/diff/${runB}/items?model_a=beta&dimension=instruction_following`)
    ).json()) as unknown[];
    expect(betaOnly).toHaveLength(8);
    expect(await (await call(`/v1/runs/${runA}/diff/${runB}/items?dimension=math`)).json()).toEqual([]);

    const csv = parseCsvRecords(await (await call(`/v1/runs/${runA}/diff/${runB}/items?format=csv&change=newly_failed`)).text());
    expect(csv.map((r) => [r.model_a, r.item_id, r.change, r.pass_rate_a, r.pass_rate_b])).toEqual([
      ["alpha", "q0", "newly_failed", "1", "0"],
      ["alpha", "q1", "newly_failed", "1", "0"],
    ]);
  });

  it("answers problem+json for unknown runs, runs over different suites, models it cannot pair, and a bad filter", async () => {
    await expectProblem(await call(`/v1/runs/run_nope/diff/${runB}`), 404, "path.id");
    await expectProblem(await call(`/v1/runs/${runA}/diff/run_nope`), 404, "path.other");
    await expectProblem(await call(`/v1/runs/${runA}/diff/run_nope/items`), 404, "path.other");
    const otherSuite = await finishedRun({ suite: "other", models: ["alpha"] });
    const suites = await expectProblem(await call(`/v1/runs/${runA}/diff/${otherSuite}`), 422, "path.other");
    expect(suites.detail).toMatch(/"eight".*"other"/);
    await expectProblem(await call(`/v1/runs/${runA}/diff/${runB}?model_a=gamma`), 422, "query.model_a");
    await expectProblem(await call(`/v1/runs/${runA}/diff/${runB}?model_a=alpha&model_b=gamma`), 422, "query.model_b");
    await expectProblem(await call(`/v1/runs/${runA}/diff/${runB}/items?change=better`), 400, "query.change");
    await expectProblem(await call(`/v1/runs/${runA}/diff/${runB}?format=xml`), 400, "query.format");
    expect((await fetch(`${server.url}/v1/runs/${runA}/diff/${runB}`)).status).toBe(401);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(doc.paths["/v1/runs/{id}/diff/{other}"]?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["id", "other", "model_a", "model_b", "format"]),
    );
    expect(doc.paths["/v1/runs/{id}/diff/{other}/items"]?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["change", "dimension"]),
    );
  });
});
