// Hostile patterns against the real evaluator process: shapes that backtrack exponentially in V8 (`^(a+)+$`,
// `(a|aa)+$`, `(a*)*b`, `(x+x+)+y`, nested quantifiers in a schema's pattern and patternProperties) against
// replies of 40+ characters, through POST /v1/score, a suite upload and a real run on the real small model
// services. Each answer comes within 1 s, and /healthz, polled all the while, within 200 ms (the bounds
// issue #12 sets: before the linear-time engine one 31-character reply froze the process for 7 s); during
// the real run, where the models share the cores, 99% of polls within 200 ms and every one within 1 s. What RE2
// cannot express is refused with 422 naming the field, on upload, on /v1/score and at run creation.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "@evalstack/evaluator/store";
import { startEvaluator, type EvaluatorProcess } from "./helpers/evaluator.js";
import { startTestModels } from "./helpers/modelServices.js";
import { stopAll, waitUntil } from "./helpers/processes.js";

const A = (n: number) => "a".repeat(n);
const HOSTILE_REGEX: [pattern: string, reply: string][] = [
  ["^(a+)+$", `${A(40)}b`],
  ["(a|aa)+$", `${A(44)}!`],
  ["(a*)*b", A(48)],
  ["(x+x+)+y", "x".repeat(48)],
  ["^(\\w+\\s?)*$", "The quick brown fox jumps over the lazy dog and then it runs far away!"],
  ["^(([a-z])+.)+[A-Z]([a-z])+$", `${A(42)}!`],
];
const HOSTILE_SCHEMAS: [schema: object, reply: string][] = [
  [{ type: "string", pattern: "^(a+)+$" }, JSON.stringify(`${A(40)}b`)],
  [
    { type: "object", properties: { name: { type: "string", pattern: "^(\\w+\\s?)*$" } } },
    JSON.stringify({ name: "Ada Lovelace wrote the first program for the engine!" }),
  ],
  [
    { type: "object", patternProperties: { "^(x+x+)+y$": { type: "string" } }, additionalProperties: true },
    JSON.stringify({ [`${"x".repeat(48)}`]: 1 }),
  ],
  [{ type: "array", items: { type: "string", pattern: "(a|aa)+$" } }, JSON.stringify([`${A(45)}!`, `${A(41)}?`])],
];

let dir: string;
let models: Awaited<ReturnType<typeof startTestModels>>;
let ev: EvaluatorProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-hostile-"));
  models = await startTestModels();
  ev = await startEvaluator({ models: models.models, dbPath: join(dir, "ev.db"), instanceId: "hostile" });
}, 180_000);

afterAll(async () => {
  await stopAll();
  await models?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls /healthz back to back until stopped; returns every answer's latency. */
function pollHealth(target: EvaluatorProcess): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(`${target.url}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

function regexItem(id: string, pattern: string) {
  return {
    id,
    dimension: "instruction_following",
    prompt: "Repeat the letter a fifty times, then write b.",
    checks: [{ type: "regex", pattern }],
  };
}

describe("hostile patterns (real evaluator, real small models)", () => {
  it("POST /v1/score answers every catastrophic regex and schema pattern within 1 s; /healthz within 200 ms throughout", async () => {
    const health = pollHealth(ev);
    const answers: { what: string; ms: number; passed: boolean }[] = [];
    for (const [pattern, reply] of HOSTILE_REGEX) {
      expect(reply.length).toBeGreaterThanOrEqual(40);
      const { value, ms } = await timed(() =>
        ev.json<{ passed: boolean }>("/v1/score", { body: { item: regexItem("r", pattern), reply } }),
      );
      answers.push({ what: pattern, ms, passed: value.passed });
    }
    for (const [schema, reply] of HOSTILE_SCHEMAS) {
      const item = { id: "j", dimension: "structured", prompt: "JSON please", checks: [{ type: "json", schema }] };
      const { value, ms } = await timed(() => ev.json<{ passed: boolean }>("/v1/score", { body: { item, reply } }));
      answers.push({ what: JSON.stringify(schema), ms, passed: value.passed });
    }
    const latencies = await health.stop();
    console.log(
      `/v1/score: ${answers.map((a) => Math.round(a.ms)).join(", ")} ms; /healthz max ${Math.round(Math.max(...latencies))} ms over ${latencies.length} polls`,
    );
    for (const a of answers) expect(a.ms, a.what).toBeLessThan(1_000);
    // No regex reply matches; of the schemas only the patternProperties one passes (its key does not end in y,
    // so the pattern constrains nothing).
    expect(answers.map((a) => a.passed)).toEqual([false, false, false, false, false, false, false, false, true, false]);
    expect(latencies.length).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(200);
  });

  it("refuses what the linear-time engine cannot express, naming the field (suite upload, /v1/score, run creation)", async () => {
    const backref = { id: "s", dimension: "instruction_following", prompt: "x", checks: [{ type: "regex", pattern: "(\\w)\\1" }] };
    const score = await ev.call("/v1/score", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ item: backref, reply: "aa" }),
    });
    expect(score.status).toBe(422);
    expect(score.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(((await score.json()) as { errors: { path: string; message: string }[] }).errors).toEqual([
      { path: "item.checks[0].pattern", message: expect.stringMatching(/backreferences .*linear-time engine/) },
    ]);

    const schemaItem = {
      id: "t",
      dimension: "structured",
      prompt: "x",
      checks: [{ type: "json", schema: { type: "string", pattern: "^(?!admin).*$" } }],
    };
    const upload = await ev.call("/v1/suites", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "lookaround", description: "x", items: [schemaItem] }),
    });
    expect(upload.status).toBe(422);
    expect(((await upload.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "items[0].checks[0].schema.pattern",
    ]);

    // A suite stored before the rule (written to the store directly) is refused when a run is created from it.
    const store = new SqliteStore(join(dir, "ev.db"));
    await store.createSuite(
      {
        id: "legacy",
        description: "stored before RE2",
        builtin: false,
        items: [
          { id: "s", dimension: "instruction_following", messages: [{ role: "user", content: "x" }], checks: backref.checks },
        ] as never,
      },
      new Date().toISOString(),
    );
    await store.close();
    const run = await ev.call("/v1/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ suite: "legacy", models: ["qwen"] }),
    });
    expect(run.status).toBe(422);
    expect(((await run.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["suite.items[0].checks[0].pattern"]);
    expect((await fetch(`${ev.url}/healthz`)).status).toBe(200);
  });

  it("a suite upload and a real run on both models with catastrophic checks: the upload within 1 s, every item scored, /healthz within 1 s throughout (99% within 200 ms)", async () => {
    const items = [
      ...HOSTILE_REGEX.map(([pattern], i) => ({
        id: `re-${i}`,
        dimension: "instruction_following",
        prompt:
          i < 4
            ? "Write the letter a forty times in a row, with no spaces, then the letter b."
            : "Describe a dog in one long sentence that ends with an exclamation mark.",
        max_tokens: 40,
        checks: [{ type: "regex", pattern }],
      })),
      ...HOSTILE_SCHEMAS.map(([schema], i) => ({
        id: `js-${i}`,
        dimension: "structured",
        prompt: 'Reply with the JSON string "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab".',
        max_tokens: 40,
        checks: [{ type: "json", schema }],
      })),
    ];
    const health = pollHealth(ev);
    const upload = await timed(() => ev.json("/v1/suites", { body: { id: "hostile", description: "catastrophic patterns", items } }));
    expect(upload.ms).toBeLessThan(1_000);
    const run = await ev.json<{ id: string }>("/v1/runs", {
      body: { suite: "hostile", models: ["qwen", "phi3"], sampling: { temperature: 0 } },
    });
    await waitUntil(
      async () => {
        const view = await ev.json<{ status: string }>(`/v1/runs/${run.id}`);
        return ["completed", "partial", "failed", "cancelled"].includes(view.status) ? view : null;
      },
      { timeoutMs: 240_000, intervalMs: 250, what: "the hostile run to finish", process: ev.process },
    );
    const latencies = await health.stop();
    console.log(
      `upload ${Math.round(upload.ms)} ms; /healthz during the run: max ${Math.round(Math.max(...latencies))} ms, p99 ${Math.round([...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.99)]!)} ms over ${latencies.length} polls`,
    );
    const rows = await ev.json<{ item_id: string; status: string; reply: string; error: string | null; checks_total: number | null }[]>(
      `/v1/runs/${run.id}/items`,
    );
    expect(rows).toHaveLength(items.length * 2);
    for (const row of rows) {
      expect(row.status, `${row.item_id}: ${row.error}`).toBe("completed");
      expect(row.checks_total).toBe(1);
    }
    // The models really sent long replies through the patterns (the small models ramble: most are 40+ chars).
    expect(rows.filter((r) => r.reply.length >= 40).length).toBeGreaterThan(rows.length / 2);
    expect(latencies.length).toBeGreaterThan(10);
    // During the run two llama.cpp processes spin on the same cores as the evaluator, so a scheduling hiccup
    // alone reaches 250 ms on a shared 2-core machine: the bound here is the 1 s a check may take (one
    // backtracking check on these replies would hold the loop for minutes); 99% of polls within 200 ms.
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length * 0.99)]!).toBeLessThan(200);
    expect(sorted.at(-1)!).toBeLessThan(1_000);
  }, 300_000);
});
