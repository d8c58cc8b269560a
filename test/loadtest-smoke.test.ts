// The CI smoke: `npm run loadtest -- --scenario smoke` with no targets starts the local stack itself (the
// small models and the evaluator), runs grpc-generate against each model for 10 s and http-evaluator
// against the evaluator for 10 s, with an error-rate threshold of 0, and keeps the summaries. The test
// reads the summary JSON as a user of it would.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LlmSummary } from "@evalstack/loadtests/lib/llmSummary";
import type { HttpSummary } from "@evalstack/loadtests/http-evaluator";

const ROOT = path.resolve(import.meta.dirname, "..");

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "loadtest.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

const TREND_METRICS = ["llm_ttft", "llm_tpot", "llm_itl", "llm_e2e", "llm_output_tokens"] as const;

describe("npm run loadtest -- --scenario smoke (local small models)", () => {
  it("passes with no error and writes a complete summary per model", { timeout: 420_000 }, async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "evalstack-loadtest-"));
    const { code, output } = await run(["--scenario", "smoke", "--max-tokens", "24", "--out", out], {
      SMOKE_DURATION: "10s",
      SMOKE_VUS: "2",
      DURATION: "10s",
      THRESHOLD_ERROR_RATE: "0",
    });
    expect(code, output).toBe(0);
    expect(output).toContain("| Concurrency | Requests |");
    expect(output).toMatch(/Prompts: seed-50 /);
    expect(readdirSync(out)).toEqual(
      expect.arrayContaining(["prompts.json", "grpc-generate-qwen.json", "grpc-generate-phi3.json", "http-evaluator.json", "loadtest.md"]),
    );
    for (const model of ["qwen", "phi3"]) {
      const summary = JSON.parse(readFileSync(path.join(out, `grpc-generate-${model}.json`), "utf8")) as LlmSummary;
      expect(summary.schema).toBe("evalstack.loadtest.llm/v1");
      expect(summary.model?.service).toBe(model);
      // The prompts are the seed-50 suite's, exported by the script.
      expect(summary.options.prompts).toMatch(/^prompts\.json \(\d+\)$/);
      // Every metric present, with samples.
      for (const name of TREND_METRICS) {
        const trend = summary.metrics[name];
        expect(trend.count, `${model} ${name}`).toBeGreaterThan(0);
        for (const key of ["med", "p95", "p99", "max"] as const) expect(Number.isFinite(trend[key]), `${model} ${name}.${key}`).toBe(true);
      }
      expect(summary.metrics.llm_requests.count).toBeGreaterThan(0);
      expect(summary.metrics.llm_output_tokens.total).toBeGreaterThan(0);
      expect(summary.metrics.llm_errors).toMatchObject({ count: 0, rate: 0 });
      expect(summary.metrics.llm_goodput.rate).toBeGreaterThanOrEqual(0);
      // The error-rate threshold of 0 was applied, and held.
      expect(summary.thresholds).toContainEqual(expect.objectContaining({ metric: "llm_errors", expression: "rate<=0", ok: true }));
      expect(summary.thresholdsOk).toBe(true);
      // Per request: TTFT within end-to-end, tokens counted, the model's own timings attached.
      expect(summary.requests.length).toBe(summary.metrics.llm_requests.count);
      for (const r of summary.requests) {
        expect(r.ok).toBe(true);
        expect(r.ttftMs).not.toBeNull();
        expect(r.ttftMs!).toBeGreaterThan(0);
        expect(r.ttftMs!).toBeLessThanOrEqual(r.e2eMs);
        expect(r.outputTokens).toBeGreaterThan(0);
        expect(r.outputTokens).toBeLessThanOrEqual(24);
        expect(r.server).not.toBeNull();
      }
      // One stage row with the table's columns filled in.
      expect(summary.stages).toHaveLength(1);
      expect(summary.stages[0]).toMatchObject({ concurrency: 2, failed: 0 });
      expect(summary.stages[0]!.outputTokensPerS).toBeGreaterThan(0);
    }

    const http = JSON.parse(readFileSync(path.join(out, "http-evaluator.json"), "utf8")) as HttpSummary;
    expect(http.schema).toBe("evalstack.loadtest.http/v1");
    expect(http.models.sort()).toEqual(["phi3", "qwen"]);
    for (const name of ["http_req_duration", "http_req_failed", "http_reqs", "checks", "iterations", "run_duration"]) {
      expect(http.metrics[name], name).toBeDefined();
    }
    for (const endpoint of ["compare", "score", "create_run", "get_run"]) {
      const row = http.endpoints.find((e) => e.endpoint === endpoint);
      expect(row?.requests, endpoint).toBeGreaterThan(0);
      expect(row?.failed, endpoint).toBe(0);
    }
    for (const flow of http.flows) expect(flow.iterations, flow.flow).toBeGreaterThan(0);
    expect(http.metrics.run_duration).toMatchObject({ type: "trend" });
    expect((http.metrics.run_duration as { count: number }).count).toBeGreaterThan(0);
    expect(http.metrics.checks).toMatchObject({ type: "rate", rate: 1 });
    expect(http.thresholds).toContainEqual(expect.objectContaining({ metric: "http_req_failed", expression: "rate<=0", ok: true }));
    expect(http.thresholdsOk, http.failures.join("\n")).toBe(true);
  });
});
