// The HTTP API in-process, against contract-conformant fake model servers (@evalstack/testing) and a
// real SQLite store: validation and auth answers, run lifecycle, items as JSON/CSV, events, the OpenAPI
// document. Real model services are exercised in test/evaluator*.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { Validator } from "@seriousme/openapi-schema-validator";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeModelServer, type FakeModelServer } from "@evalstack/testing";
import { loadConfig } from "../config.js";
import { startServer, type EvaluatorServer } from "../server.js";
import { DOC_PATHS } from "./app.js";

const KEY = "test-key-0123456789abcdef";
const auth = { authorization: `Bearer ${KEY}` };
const json = { ...auth, "content-type": "application/json" };

const suiteItems = Array.from({ length: 5 }, (_, i) => ({
  id: `q${i}`,
  dimension: "instruction_following",
  prompt: `Say ok ${i}`,
  checks: [{ type: "contains", value: "ok" }],
}));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-app-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: { env?: Record<string, string>; models?: Parameters<typeof startFakeModelServer>[0][] } = {}) {
  const models: FakeModelServer[] = [];
  for (const m of options.models ?? [{ slots: 2 }, { slots: 3 }]) models.push(await startFakeModelServer(m));
  const config = loadConfig({
    EVALSTACK_HOST: "127.0.0.1",
    EVALSTACK_PORT: "0",
    EVALSTACK_MODELS: models.map((m, i) => `${["alpha", "beta", "gamma"][i]}=${m.target}`).join(","),
    EVALSTACK_DB_PATH: join(dir, `db-${Math.random().toString(36).slice(2)}.db`),
    EVALSTACK_API_KEYS: KEY,
    EVALSTACK_LEASE_MS: "1000",
    ...options.env,
  });
  const server = await startServer({ config, log: pino({ level: "silent" }), runOptions: { backoff: { baseMs: 5, maxMs: 20 } } });
  cleanups.push(async () => {
    await server.close();
    for (const m of models) await m.close();
  });
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  return { server, models, call };
}

async function uploadSuite(call: (p: string, i?: RequestInit) => Promise<Response>, id = "five", items: unknown[] = suiteItems) {
  const res = await call("/v1/suites", { method: "POST", headers: json, body: JSON.stringify({ id, description: "five items", items }) });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function waitForRun(server: EvaluatorServer, id: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await server.store.getRun(id);
    if (run && ["completed", "partial", "failed", "cancelled"].includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`run ${id} still ${run?.status} after ${timeoutMs} ms`);
    await server.runs.events.nextFor(id, 200);
  }
}

async function expectProblem(res: Response, statusCode: number, path?: string) {
  expect(res.status).toBe(statusCode);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { status: number; detail: string; errors?: { path: string; message: string }[] };
  expect(body.status).toBe(statusCode);
  expect(body.detail.length).toBeGreaterThan(0);
  if (path) expect(body.errors?.map((e) => e.path)).toContain(path);
  return body;
}

describe("evaluator API: runs over a reproducible subset and over several suites", () => {
  it("limit + shuffle_seed pick the same items twice and others with another seed; a,b is one run over both", async () => {
    const { server, call } = await setup();
    const twenty = Array.from({ length: 20 }, (_, i) => ({ ...suiteItems[0], id: `t${i}` }));
    await uploadSuite(call, "twenty", twenty);
    await uploadSuite(call, "five");
    const start = async (body: object) => {
      const res = await call("/v1/runs", { method: "POST", headers: json, body: JSON.stringify({ models: ["alpha"], ...body }) });
      expect(res.status, await res.clone().text()).toBe(201);
      const run = (await res.json()) as { id: string; suite_id: string; total_items: number };
      const stored = await server.store.getRun(run.id);
      await waitForRun(server, run.id);
      return { ...run, itemIds: stored!.items.map((i) => i.id) };
    };
    const a = await start({ suite: "twenty", limit: 5, shuffle_seed: 1 });
    const b = await start({ suite: "twenty", limit: 5, shuffle_seed: 1 });
    const c = await start({ suite: "twenty", limit: 5, shuffle_seed: 2 });
    expect(a.itemIds).toHaveLength(5);
    expect(b.itemIds).toEqual(a.itemIds);
    expect(c.itemIds).not.toEqual(a.itemIds);
    expect(a.itemIds).not.toEqual(["t0", "t1", "t2", "t3", "t4"]);
    const both = await start({ suite: "five,twenty", limit: 3 });
    expect(both.suite_id).toBe("five,twenty");
    expect(both.itemIds).toEqual(["q0", "q1", "q2", "t0", "t1", "t2"]);
    expect(both.total_items).toBe(6);

    const post = (body: object) =>
      call("/v1/runs", { method: "POST", headers: json, body: JSON.stringify({ models: ["alpha"], ...body }) });
    await expectProblem(await post({ suite: "twenty", limit: 0 }), 422, "limit");
    await expectProblem(await post({ suite: "twenty", shuffle_seed: -1 }), 422, "shuffle_seed");
    await expectProblem(await post({ suite: "twenty,nope" }), 422, "suite");
    expect((await expectProblem(await post({ suite: "five,five" }), 422, "suite")).detail).toMatch(/named twice/);
    await uploadSuite(call, "five-again");
    expect((await expectProblem(await post({ suite: "five,five-again" }), 422, "suite")).detail).toMatch(
      /"q0" is in both five and five-again/,
    );
  });
});

describe("evaluator API: bad input", () => {
  it("answers every bad request with problem+json naming the field, and writes nothing", async () => {
    const { server, call } = await setup({ env: { EVALSTACK_BODY_LIMIT_BYTES: "4096" } });
    const post = (path: string, body: string) => call(path, { method: "POST", headers: json, body });

    await expectProblem(await post("/v1/runs", '{"suite": "smoke-6", "models": ['), 400);
    await expectProblem(await post("/v1/runs", JSON.stringify({ suite: "smoke-6", models: ["alpha", "nope"] })), 422, "models[1]");
    await expectProblem(await post("/v1/runs", JSON.stringify({ suite: "no-such-suite", models: ["alpha"] })), 422, "suite");
    await expectProblem(await post("/v1/runs", JSON.stringify({ suite: "smoke-6", models: ["alpha"], repeats: 0 })), 422, "repeats");
    await expectProblem(await post("/v1/runs", JSON.stringify({ suite: "smoke-6", models: ["alpha"], repeats: 1000 })), 422, "repeats");
    await expectProblem(await post("/v1/runs", JSON.stringify({ suite: "smoke-6", models: ["alpha"], bogus: 1 })), 422, "bogus");
    await expectProblem(
      await post("/v1/runs", JSON.stringify({ suite: "smoke-6", models: ["alpha"], sampling: { top_p: 7 } })),
      422,
      "sampling.top_p",
    );
    await expectProblem(
      await post("/v1/runs", JSON.stringify({ suite: "smoke-6", models: ["alpha"], concurrency: { beta: 2 } })),
      422,
      "concurrency.beta",
    );

    const dup = [suiteItems[0], { ...suiteItems[1], id: "q0" }];
    await expectProblem(await post("/v1/suites", JSON.stringify({ id: "dup", items: dup })), 422, "items[1].id");
    const unknownCheck = [{ ...suiteItems[0], checks: [{ type: "telepathy" }] }];
    await expectProblem(await post("/v1/suites", JSON.stringify({ id: "bad", items: unknownCheck })), 422, "items[0].checks[0].type");
    const noChecks = [{ ...suiteItems[0], checks: [] }];
    await expectProblem(await post("/v1/suites", JSON.stringify({ id: "bad", items: noChecks })), 422, "items[0].checks");
    const jsonl = await call("/v1/suites?id=lines", {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: '{"id": "a"}\nnot json\n',
    });
    await expectProblem(jsonl, 422, "line 2");

    const big = JSON.stringify({ id: "big", items: Array.from({ length: 100 }, (_, i) => ({ ...suiteItems[0], id: `x${i}` })) });
    expect(big.length).toBeGreaterThan(4096);
    await expectProblem(await post("/v1/suites", big), 413);

    await expectProblem(await call("/v1/runs/run_nope"), 404);
    await expectProblem(await call("/v1/runs/run_nope/items"), 404);
    await expectProblem(await call("/v1/suites/nope"), 404);
    await expectProblem(await call("/v1/runs?status=sleeping"), 400, "status");
    await expectProblem(await call("/v1/runs/x/items?limit=0"), 400, "query.limit");
    await expectProblem(await call("/nowhere"), 404);

    expect((await server.store.listRuns({ limit: 10, offset: 0 })).total).toBe(0);
    expect(await server.store.listSuites()).toEqual([]);
  });

  it("requires a valid API key on /v1 and leaves probes, metrics and docs open", async () => {
    const { server } = await setup();
    const missing = await fetch(`${server.url}/v1/suites`);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expectProblem(missing, 401, "header.authorization");
    await expectProblem(await fetch(`${server.url}/v1/suites`, { headers: { authorization: "Bearer wrong-key-wrong-key-wrong" } }), 401);
    await expectProblem(await fetch(`${server.url}/v1/suites`, { headers: { authorization: `Basic ${KEY}` } }), 401);
    expect((await fetch(`${server.url}/v1/suites`, { headers: auth })).status).toBe(200);
    for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    }
  });

  it("scores one reply without a model, and names the bad field of a bad item", async () => {
    const { call } = await setup();
    const item = {
      id: "x",
      dimension: "instruction_following",
      prompt: "p",
      checks: [{ type: "contains", value: "blue" }, { type: "lowercase" }],
    };
    const ok = await call("/v1/score", { method: "POST", headers: json, body: JSON.stringify({ item, reply: "the sky is blue" }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      passed: true,
      score: 1,
      checks: [
        { type: "contains", passed: true },
        { type: "lowercase", passed: true },
      ],
    });
    const half = await call("/v1/score", { method: "POST", headers: json, body: JSON.stringify({ item, reply: "The sky is blue" }) });
    expect(await half.json()).toMatchObject({ passed: false, score: 0.5 });
    const bad = await call("/v1/score", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ item: { ...item, checks: [{ type: "nope" }] }, reply: "" }),
    });
    await expectProblem(bad, 422, "item.checks[0].type");
  });

  it("refuses a code item with 503 and Retry-After while the sandbox's queue is full, and scores other items", async () => {
    // A queue limit of 0: any scoring request that would have to wait for a sandbox slot is refused.
    const { call } = await setup({ env: { EVALSTACK_SANDBOX_QUEUE_LIMIT: "0" } });
    const code = { id: "c", dimension: "code", prompt: "p", checks: [{ type: "code", language: "python", tests: "assert f() == 1" }] };
    const busy = await call("/v1/score", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ item: code, reply: "def f():\n    return 1\n" }),
    });
    expect(busy.headers.get("retry-after")).toBe("1");
    await expectProblem(busy, 503);
    const text = { id: "t", dimension: "instruction_following", prompt: "p", checks: [{ type: "contains", value: "ok" }] };
    expect((await call("/v1/score", { method: "POST", headers: json, body: JSON.stringify({ item: text, reply: "ok" }) })).status).toBe(
      200,
    );
  });
});

describe("evaluator API: runs", () => {
  it("runs a suite on two models, stores every reply once, serves items as JSON and CSV, and events", async () => {
    const { server, models, call } = await setup({
      models: [
        { slots: 2, firstTokenDelayMs: 5 },
        { slots: 3, firstTokenDelayMs: 5, reply: () => "nope" },
      ],
    });
    await uploadSuite(call);
    const created = await call("/v1/runs", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ suite: "five", models: ["alpha", "beta"], repeats: 2, max_tokens: 16, sampling: { temperature: 0, seed: 7 } }),
    });
    expect(created.status).toBe(201);
    const run = (await created.json()) as { id: string; total_items: number; status: string };
    expect(created.headers.get("location")).toBe(`/v1/runs/${run.id}`);
    expect(run.total_items).toBe(20);

    // An event stream opened right away sees every item and the end.
    const events = await call(`/v1/runs/${run.id}/events`);
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await events.text();
    const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names.filter((n) => n === "item_completed")).toHaveLength(20);
    expect(names.at(-1)).toBe("run_completed");
    expect(text).toMatch(/"status":"completed"/);

    const finished = await waitForRun(server, run.id);
    expect(finished.status).toBe("completed");
    // Concurrency per model: its slots (GetModelInfo), never more.
    expect(models[0]!.maxConcurrent).toBe(2);
    expect(models[1]!.maxConcurrent).toBe(3);
    expect(models[0]!.calls + models[1]!.calls).toBe(20);
    // max_tokens is a ceiling, the seed differs per repeat.
    expect(models[0]!.requests.every((r) => r.maxTokens === 16)).toBe(true);
    expect(new Set(models[0]!.requests.map((r) => r.sampling?.seed))).toEqual(new Set([7, 8]));

    const detail = (await (await call(`/v1/runs/${run.id}`)).json()) as {
      progress: { done: number; fraction: number };
      summary: { model: string; dimension: string; score: number }[];
      model_snapshots: { name: string; slots: number }[];
    };
    expect(detail.progress).toMatchObject({ done: 20, fraction: 1 });
    expect(detail.summary).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ model: "alpha", dimension: "instruction_following", score: 10 }),
        expect.objectContaining({ model: "beta", dimension: "instruction_following", score: 0 }),
      ]),
    );
    expect(detail.model_snapshots.map((s) => [s.name, s.slots])).toEqual(
      expect.arrayContaining([
        ["alpha", 2],
        ["beta", 3],
      ]),
    );

    const items = await call(`/v1/runs/${run.id}/items?model=alpha&limit=4`);
    expect(items.headers.get("x-total-count")).toBe("10");
    expect(items.headers.get("link")).toMatch(/offset=4.*rel="next"/);
    const rows = (await items.json()) as Record<string, unknown>[];
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({
      model: "alpha",
      status: "completed",
      passed: true,
      score: 1,
      checks_passed: 1,
      checks_total: 1,
      reply: "ok",
      finish_reason: "stop",
    });
    expect(typeof rows[0]!.ttft_ms).toBe("number");
    expect(rows[0]!.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const failed = (await (await call(`/v1/runs/${run.id}/items?passed=false`)).json()) as { model: string }[];
    expect(failed).toHaveLength(10);
    expect(new Set(failed.map((r) => r.model))).toEqual(new Set(["beta"]));

    const csv = await (await call(`/v1/runs/${run.id}/items?format=csv`)).text();
    const lines = csv.trimEnd().split("\r\n");
    expect(lines).toHaveLength(21);
    expect(lines[0]!.split(",").slice(0, 8)).toEqual(["seq", "run_id", "item_id", "model", "repeat", "dimension", "status", "passed"]);

    const summaryCsv = await (await call(`/v1/runs/${run.id}/summary?format=csv`)).text();
    expect(summaryCsv.split("\r\n")[0]).toBe("model,dimension,items,replies,errors,pass_rate,score,ci_low,ci_high,instruction_score");

    const report = await call(`/v1/runs/${run.id}/report?format=md`);
    expect(report.headers.get("content-type")).toMatch(/^text\/markdown/);
    expect(await report.text()).toContain("alpha");

    const list = (await (await call("/v1/runs?status=completed")).json()) as { id: string; done: number; models: string }[];
    expect(list).toEqual([expect.objectContaining({ id: run.id, done: 20, models: "alpha,beta" })]);
    await expectProblem(await call(`/v1/runs/${run.id}/cancel`, { method: "POST" }), 409);

    // Late subscribers get the whole history, and Last-Event-ID resumes after an item.
    const replay = await (
      await call(`/v1/runs/${run.id}/events`, { headers: { "last-event-id": String((rows[3] as { seq: number }).seq) } })
    ).text();
    expect([...replay.matchAll(/^event: item_completed$/gm)].length).toBeLessThan(20);
    expect(replay).toMatch(/event: run_completed/);
  });

  it("retries a model that is unavailable for a while, and fails its items with a reason past the budget", async () => {
    let unavailableCalls = 3;
    const { server, models, call } = await setup({
      env: { EVALSTACK_RETRY_BUDGET_MS: "400" },
      models: [
        { slots: 1, failWith: () => (unavailableCalls-- > 0 ? { code: status.UNAVAILABLE, details: "warming up" } : undefined) },
        { slots: 2, failWith: () => ({ code: status.UNAVAILABLE, details: "gone" }) },
      ],
    });
    await uploadSuite(call);
    const run = (await (
      await call("/v1/runs", { method: "POST", headers: json, body: JSON.stringify({ suite: "five", models: ["alpha", "beta"] }) })
    ).json()) as { id: string };
    const finished = await waitForRun(server, run.id);
    expect(finished.status).toBe("partial");
    const items = (await (await call(`/v1/runs/${run.id}/items`)).json()) as {
      model: string;
      status: string;
      attempts: number;
      error: string | null;
    }[];
    const alpha = items.filter((i) => i.model === "alpha");
    const beta = items.filter((i) => i.model === "beta");
    expect(alpha.every((i) => i.status === "completed")).toBe(true);
    expect(alpha.reduce((n, i) => n + i.attempts, 0)).toBe(5 + 3);
    expect(beta).toHaveLength(5);
    for (const i of beta) {
      expect(i.status).toBe("error");
      expect(i.error).toMatch(/UNAVAILABLE: gone.*retry budget/);
    }
    expect(models[0]!.calls).toBe(8);
    // Every call was recorded as a dispatch before it was sent.
    expect((await server.store.listDispatches(run.id)).length).toBe(models[0]!.calls + models[1]!.calls);
  });

  it("cancels a running run", async () => {
    const { server, call } = await setup({ models: [{ slots: 1, firstTokenDelayMs: 200 }] });
    await uploadSuite(call);
    const run = (await (
      await call("/v1/runs", { method: "POST", headers: json, body: JSON.stringify({ suite: "five", models: ["alpha"] }) })
    ).json()) as { id: string };
    const cancelled = await call(`/v1/runs/${run.id}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: "cancelled" });
    expect((await waitForRun(server, run.id)).status).toBe("cancelled");
    expect((await server.store.counts(run.id)).done).toBeLessThan(5);
  });

  it("resumes a run found unfinished at start-up with only its missing items", async () => {
    const model = await startFakeModelServer({ slots: 2 });
    cleanups.push(() => model.close());
    const dbPath = join(dir, "resume.db");
    const config = loadConfig({
      EVALSTACK_HOST: "127.0.0.1",
      EVALSTACK_PORT: "0",
      EVALSTACK_MODELS: `alpha=${model.target}`,
      EVALSTACK_DB_PATH: dbPath,
      EVALSTACK_AUTH: "off",
      EVALSTACK_LEASE_MS: "1000",
    });
    // First process: creates the run but executes nothing (as if it died right after storing 2 items).
    const first = await startServer({ config, log: pino({ level: "silent" }), executeRuns: false });
    const run = await first.runs.createRun({
      suite_id: "five",
      models: ["alpha"],
      repeats: 1,
      sampling: {},
      max_tokens: null,
      concurrency: {},
      items: suiteItems.map((i) => ({
        id: i.id,
        dimension: "instruction_following" as const,
        messages: [{ role: "user" as const, content: i.prompt }],
        checks: i.checks,
      })),
    });
    for (const id of ["q0", "q3"]) {
      await first.store.insertItem({
        run_id: run.id,
        item_id: id,
        model: "alpha",
        repeat: 0,
        dimension: "instruction_following",
        status: "completed",
        reply: "ok (before)",
        finish_reason: "stop",
        prompt_tokens: 1,
        completion_tokens: 1,
        timings: { queue_ms: 0, ttft_ms: 0, decode_ms: 0, total_ms: 0, tokens_per_second: 0 },
        score: { passed: true, score: 1, checks: [] },
        error: null,
        attempts: 1,
        completed_at: new Date().toISOString(),
      });
    }
    await first.close();
    const second = await startServer({ config, log: pino({ level: "silent" }) });
    cleanups.push(() => second.close());
    expect((await waitForRun(second, run.id)).status).toBe("completed");
    expect(model.requests.map((r) => r.requestId.split("/")[1]).sort()).toEqual(["q1", "q2", "q4"]);
    expect((await second.store.counts(run.id)).done).toBe(5);
  });
});

describe("evaluator API: compare", () => {
  it("answers side by side, and streams deltas then results", async () => {
    const { call } = await setup({
      models: [
        { slots: 1, reply: () => "from alpha" },
        { slots: 1, reply: () => "from beta" },
      ],
    });
    const body = JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 8 });
    const res = await call("/v1/compare", { method: "POST", headers: json, body });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { results: { model: string; reply: string; status: string; ttft_ms: number }[] };
    expect(out.results.map((r) => [r.model, r.reply, r.status])).toEqual([
      ["alpha", "from alpha", "completed"],
      ["beta", "from beta", "completed"],
    ]);
    const stream = await (await call("/v1/compare/stream", { method: "POST", headers: json, body })).text();
    expect(stream).toMatch(/event: delta\ndata: \{"model":"alpha","delta":"from alpha"\}/);
    expect([...stream.matchAll(/^event: result$/gm)]).toHaveLength(2);
    expect(stream.trimEnd()).toMatch(/event: done\ndata: .*$/);
    await expectProblem(
      await call("/v1/compare", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ messages: [{ role: "user", content: "x" }], models: ["zeta"] }),
      }),
      422,
      "models[0]",
    );
  });
});

describe("evaluator API: OpenAPI", () => {
  it("serves a valid OpenAPI 3.1 document that lists every route the app serves", async () => {
    const { server } = await setup();
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
      ),
    );
    const served = new Set(
      server.app.routes
        .filter((r) => r.method !== "ALL" && !(DOC_PATHS as readonly string[]).includes(r.path))
        .map((r) => `${r.method} ${r.path}`),
    );
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
    expect(served.size).toBeGreaterThanOrEqual(17);
  });
});
