// A third-party OpenAI-compatible server as a model under evaluation: llama.cpp's own llama-server (built by
// scripts/ci/install-llama-server.sh) serving the phi3-slot small GGUF with 1 thread and 2 slots, beside our qwen
// service over gRPC, both through the real evaluator's API. smoke-6 on both: rows for both models, the
// performance table with "not reported" cells for the OpenAI target, every item stored with its reply.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLlamaServer, type LlamaServerProcess } from "@evalstack/local-stack";
import { defaultModelCacheDir, loadCatalog, profileSource } from "@evalstack/model-catalog";

/** The cached small-profile GGUF of a catalog model (what `npm run models` fetched). */
const smallModelPath = (name: string) => profileSource(loadCatalog().profile(name, "small"), defaultModelCacheDir()).source;
import { startEvaluator, type EvaluatorProcess } from "./helpers/evaluator.js";
import { startTestModel, type TestModel } from "./helpers/modelServices.js";
import { stopAll, track, waitUntil } from "./helpers/processes.js";

const ALIAS = "gemma-3-270m";

let dir: string;
let qwen: TestModel;
let llama: LlamaServerProcess;
let ev: EvaluatorProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-openai-target-"));
  [qwen, llama] = await Promise.all([
    startTestModel("qwen"),
    startLlamaServer({
      model: smallModelPath("phi3"),
      alias: ALIAS,
      threads: 1,
      slots: 2,
      contextPerSlot: 2048,
      parentDeathSignal: "SIGKILL",
    }),
  ]);
  track(llama.process);
  ev = await startEvaluator({
    models: `qwen=${qwen.target},llama=openai+${llama.baseUrl}#${ALIAS}`,
    dbPath: join(dir, "evalstack.db"),
    env: { EVALSTACK_MODEL_LLAMA_CONCURRENCY: "2" },
  });
}, 240_000);

afterAll(async () => {
  await stopAll();
  await qwen?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface ModelRow {
  name: string;
  kind: string;
  target: string;
  health: string;
  model_name: string | null;
  slots: number | null;
  load_ms: number | null;
  concurrency: number;
}

interface Snapshot {
  name: string;
  kind?: string;
  target: string;
  model_name: string;
  sha256: string;
  load_ms: number | null;
  file_size_bytes: number | null;
}

interface PerformanceRow {
  model: string;
  kind: string;
  timings_measured: string;
  not_reported: string[];
  model_name: string;
  file_size_bytes: number | null;
  load_ms: number | null;
  peak_ram_bytes: number | null;
  ttft_ms_p50: number | null;
  tokens_per_second_p50: number | null;
}

describe("an OpenAI-compatible third-party server (llama-server) beside our gRPC service", () => {
  it("lists both kinds of model with what each reports", async () => {
    const rows = await ev.json<ModelRow[]>("/v1/models");
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(byName.get("qwen")).toMatchObject({ kind: "grpc", health: "SERVING", slots: 2 });
    expect(byName.get("qwen")!.load_ms).toBeGreaterThan(0);
    expect(byName.get("llama")).toMatchObject({
      kind: "openai",
      target: llama.baseUrl,
      health: "SERVING",
      model_name: ALIAS,
      slots: null,
      load_ms: null,
      concurrency: 2,
    });
  });

  it("runs smoke-6 on both and reports both completely, saying what the OpenAI target does not report", async () => {
    const created = await ev.json<{ id: string; total_items: number }>("/v1/runs", {
      body: { suite: "smoke-6", models: ["qwen", "llama"], max_tokens: 48, sampling: { temperature: 0 } },
    });
    expect(created.total_items).toBe(12);
    const run = await waitUntil(
      async () => {
        const r = await ev.json<{ status: string; model_snapshots: Snapshot[]; summary: { model: string }[] }>(`/v1/runs/${created.id}`);
        return ["completed", "partial", "failed", "cancelled"].includes(r.status) ? r : null;
      },
      { timeoutMs: 400_000, intervalMs: 500, what: `run ${created.id} to finish`, process: ev.process },
    );
    expect(run.status).toBe("completed");
    expect(new Set(run.summary.map((s) => s.model))).toEqual(new Set(["qwen", "llama"]));

    // The snapshots record how each model was reached and name what answered.
    const snaps = new Map(run.model_snapshots.map((s) => [s.name, s]));
    expect(snaps.get("qwen")).toMatchObject({ kind: "grpc", target: qwen.target });
    expect(snaps.get("qwen")!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(snaps.get("llama")).toEqual(
      expect.objectContaining({
        kind: "openai",
        target: llama.baseUrl,
        model_name: ALIAS,
        sha256: "",
        load_ms: null,
        file_size_bytes: null,
      }),
    );

    // Every item of both models stored, with a reply and its measured timings.
    const items = await ev.json<
      {
        model: string;
        item_id: string;
        status: string;
        reply: string;
        completion_tokens: number;
        prompt_tokens: number;
        ttft_ms: number;
        total_ms: number;
        tokens_per_second: number;
        finish_reason: string;
      }[]
    >(`/v1/runs/${created.id}/items`);
    expect(items).toHaveLength(12);
    for (const model of ["qwen", "llama"]) {
      const mine = items.filter((i) => i.model === model);
      expect(mine).toHaveLength(6);
      for (const item of mine) {
        expect(item.status, JSON.stringify(item)).toBe("completed");
        expect(item.reply.length, `${model} ${item.item_id}`).toBeGreaterThan(0);
        expect(item.prompt_tokens).toBeGreaterThan(0);
        expect(item.completion_tokens).toBeGreaterThan(0);
        expect(item.ttft_ms).toBeGreaterThan(0);
        expect(item.total_ms).toBeGreaterThanOrEqual(item.ttft_ms);
        expect(["stop", "length"]).toContain(item.finish_reason);
      }
    }
    // Usage comes from the server: a reply cut at its max_tokens (the item's, capped by the run's 48) used exactly that many.
    const suite = await ev.json<{ items: { id: string; max_tokens?: number }[] }>("/v1/suites/smoke-6");
    const limit = new Map(suite.items.map((i) => [i.id, Math.min(i.max_tokens ?? 48, 48)]));
    const cut = items.filter((i) => i.model === "llama" && i.finish_reason === "length");
    for (const item of cut) expect(item.completion_tokens, item.item_id).toBe(limit.get(item.item_id));
    expect(items.filter((i) => i.model === "llama").some((i) => i.tokens_per_second > 0)).toBe(true);

    const report = await ev.json<{ performance: PerformanceRow[]; notes: string[] }>(`/v1/runs/${created.id}/report?format=json`);
    const perf = new Map(report.performance.map((p) => [p.model, p]));
    expect(perf.get("qwen")).toMatchObject({ kind: "grpc", timings_measured: "server", not_reported: [] });
    expect(perf.get("qwen")!.file_size_bytes).toBeGreaterThan(0);
    expect(perf.get("llama")).toMatchObject({
      kind: "openai",
      timings_measured: "client",
      model_name: ALIAS,
      file_size_bytes: null,
      load_ms: null,
      peak_ram_bytes: null,
    });
    expect(perf.get("llama")!.not_reported).toEqual(expect.arrayContaining(["file_size_bytes", "load_ms", "peak_ram_bytes"]));
    expect(perf.get("llama")!.ttft_ms_p50).toBeGreaterThan(0);
    expect(perf.get("llama")!.tokens_per_second_p50).toBeGreaterThan(0);
    expect(report.notes.join("\n")).toContain(`llama is an OpenAI-compatible server (${llama.baseUrl})`);

    const md = await (await ev.call(`/v1/runs/${created.id}/report?format=md`)).text();
    const row = (label: string) => md.split("\n").find((l) => l.startsWith(`| ${label} |`)) ?? "";
    expect(row("Model size (file)")).toMatch(/^\| Model size \(file\) \| [\d.]+ MiB \| not reported \|$/);
    const duration = String.raw`[\d.]+ m?s`; // fmtMs: "830 ms", or "10.6 s" past ten seconds
    expect(row("Load time")).toMatch(new RegExp(String.raw`^\| Load time \| ${duration} \| not reported \|$`));
    expect(row("Peak RAM")).toMatch(/\| not reported \|$/);
    expect(row("First-token latency p50")).toMatch(
      new RegExp(String.raw`^\| First-token latency p50 \| ${duration} \| ${duration} \(client-side\) \|$`),
    );
    expect(md).toContain(
      `- **llama**: ${ALIAS} (OpenAI-compatible server; size, parameters, load time and memory not reported) at ${llama.baseUrl}`,
    );
  }, 420_000);

  it("compares one conversation on both side by side", async () => {
    const out = await ev.json<{
      results: { model: string; status: string; reply: string; completion_tokens: number; client_ttft_ms: number | null }[];
    }>("/v1/compare", {
      body: { models: ["qwen", "llama"], messages: [{ role: "user", content: "Say hello." }], max_tokens: 8, sampling: { temperature: 0 } },
    });
    expect(out.results.map((r) => [r.model, r.status])).toEqual([
      ["qwen", "completed"],
      ["llama", "completed"],
    ]);
    for (const r of out.results) {
      expect(r.reply.length).toBeGreaterThan(0);
      expect(r.completion_tokens).toBeGreaterThan(0);
      expect(r.client_ttft_ms).toBeGreaterThan(0);
    }
  }, 120_000);

  it("fails a run's items on an OpenAI target that does not serve the named model, with the reason, and keeps serving", async () => {
    const wrong = await startEvaluator({ models: `nope=openai+${llama.baseUrl}#no-such-model`, dbPath: join(dir, "wrong.db") });
    const created = await wrong.json<{ id: string }>("/v1/runs", { body: { suite: "smoke-6", models: ["nope"], max_tokens: 8 } });
    const run = await waitUntil(
      async () => {
        const r = await wrong.json<{ status: string }>(`/v1/runs/${created.id}`);
        return ["completed", "partial", "failed", "cancelled"].includes(r.status) ? r : null;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: "the run to end", process: wrong.process },
    );
    expect(run.status).not.toBe("completed");
    const items = await wrong.json<{ status: string; error: string }[]>(`/v1/runs/${created.id}/items`);
    expect(items).toHaveLength(6);
    for (const item of items) expect(item.error).toMatch(/does not serve "no-such-model"; it lists gemma-3-270m/);
    expect((await wrong.call("/v1/models")).status).toBe(200);
    await wrong.stop();
  }, 120_000);
});
