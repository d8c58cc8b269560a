import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CapacityResult, CapacityStep } from "@evalstack/capacity";
import { sizeModel } from "@evalstack/capacity";
import { gpusPerReplicaFromValues, main } from "./capacity.js";

function step(rate: number, meetsSlo: boolean): CapacityStep {
  return {
    rate,
    offered: 40,
    completed: 40,
    failed: 0,
    dropped: 0,
    cutOff: 0,
    errorRate: 0,
    ttftP95Ms: 300,
    tpotP95Ms: 40,
    throughputRps: rate,
    outputTokensPerSecond: rate * 200,
    meanOutputTokens: 200,
    goodput: 1,
    meanE2eMs: 8000,
    meetsSlo,
    violations: meetsSlo ? [] : ["ttft p95 2400 ms > 1000 ms"],
  };
}

function result(service: string, sustainable: number, startedAt = "2026-12-01T10:00:00.000Z"): CapacityResult {
  const pass = sustainable > 0 ? step(sustainable, true) : null;
  return {
    schema: "evalstack.capacity/v1",
    target: "localhost:50051",
    model: { name: `${service}-model`, service, sha256: "ab".repeat(32), slots: 4, threads: 8, gpu: "cuda", gpuLayers: 99 },
    slo: { ttftP95Ms: 1000, tpotP95Ms: 100, errorRate: 0.01 },
    search: {
      startRate: 0.25,
      minRate: 0.03,
      maxRate: 64,
      precision: 0.1,
      maxSteps: 12,
      windowMs: 20_000,
      minRequests: 10,
      warmupMs: 5000,
      maxVUs: 256,
    },
    workload: { prompts: "seed-50.json", count: 50, maxTokens: 256 },
    machine: {
      hostname: "h",
      cpus: 2,
      cpuModel: "x",
      memoryGiB: 24,
      node: "v20",
      platform: "linux",
    } as unknown as CapacityResult["machine"],
    startedAt,
    durationMs: 1,
    sustainableRps: sustainable,
    atSustainable: pass,
    firstFailingRps: sustainable > 0 ? sustainable * 1.1 : 0.25,
    noRateReason: sustainable > 0 ? null : "at 0.25 req/s (the lowest rate tried): ttft p95 2400 ms > 1000 ms",
    curve: pass ? [pass, step(sustainable * 1.1, false)] : [step(0.25, false)],
    limitedByMaxRate: false,
  };
}

describe("sizeModel", () => {
  it("gives the replica count, GPUs and cost a hand calculation gives", () => {
    // 1.25 req/s per replica, planned at 80% = 1 req/s; 5 req/s needs 5 replicas of 2 GPUs = 10 GPUs at
    // $2.5 = $25/hour; 5 req/s x 200 tokens x 3600 s = 3.6 M tokens/hour -> $6.94 per million.
    const sizing = sizeModel(result("qwen", 1.25), 2, { targetRps: 5, headroom: 0.2, gpuHourUsd: 2.5 });
    expect(sizing).toMatchObject({ plannedRpsPerReplica: 1, replicas: 5, gpus: 10, costPerHourUsd: 25, meanOutputTokens: 200 });
    expect(sizing.costPerMillionOutputTokensUsd).toBeCloseTo(25 / 3.6, 3);
    // Little's law: 1 req/s x 8 s in flight.
    expect(sizing.pendingPerReplica).toBe(8);
  });

  it("rounds replicas up, and needs no floating-point luck at exact multiples", () => {
    expect(sizeModel(result("phi3", 2.5), 1, { targetRps: 5, headroom: 0, gpuHourUsd: 1 }).replicas).toBe(2);
    expect(sizeModel(result("phi3", 2.5), 1, { targetRps: 5.01, headroom: 0, gpuHourUsd: 1 }).replicas).toBe(3);
    expect(sizeModel(result("phi3", 0.3), 1, { targetRps: 0.9, headroom: 0, gpuHourUsd: 1 }).replicas).toBe(3);
  });

  it("says why when no rate met the SLOs", () => {
    const sizing = sizeModel(result("qwen", 0), 1, { targetRps: 5, headroom: 0.2, gpuHourUsd: 2.5 });
    expect(sizing.replicas).toBeNull();
    expect(sizing.note).toBe("meets the SLOs at no rate: at 0.25 req/s (the lowest rate tried): ttft p95 2400 ms > 1000 ms");
  });
});

describe("npm run capacity", () => {
  let dir: string;
  let out: string[];
  let err: string[];
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "capacity-"));
    out = [];
    err = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    vi.spyOn(console, "error").mockImplementation((...args) => void err.push(args.join(" ")));
  });
  afterEach(() => vi.restoreAllMocks());

  const write = (name: string, value: unknown) =>
    writeFileSync(path.join(dir, name), typeof value === "string" ? value : JSON.stringify(value));

  it("sizes every model of a results folder, newest result per model, GPUs from the chart's values", () => {
    write("capacity-qwen-old.json", result("qwen", 0.5, "2026-11-01T00:00:00.000Z"));
    write("capacity-qwen-new.json", result("qwen", 1.25));
    write("capacity-phi3.json", result("phi3", 2.5));
    write("unrelated.json", { not: "a capacity file" });
    expect(main(["--from", dir, "--target-rps", "5", "--gpu-hour-usd", "2.5", "--json"])).toBe(0);
    const { sizings } = JSON.parse(out.join("")) as { sizings: { model: string; replicas: number; gpus: number }[] };
    expect(sizings.map((s) => [s.model, s.replicas, s.gpus]).sort()).toEqual([
      ["phi3", 3, 3],
      ["qwen", 5, 5],
    ]);
  });

  it("prints a table", () => {
    write("capacity-qwen.json", result("qwen", 1.25));
    expect(main(["--from", dir, "--target-rps", "5", "--gpu-hour-usd", "2.5", "--gpus-per-replica", "2"])).toBe(0);
    const text = out.join("");
    expect(text).toContain("Sizing for 5 req/s, headroom 20%, $2.5/GPU-hour, under TTFT p95 ≤ 1000 ms");
    expect(text).toMatch(/\| qwen \| 1\.25 \| 5 \| 10 \(2\/replica\) \| \$25\.00 \| \$6\.94 \| 8\.0 \|/);
  });

  it.each([
    [["--target-rps", "5"], /--from: required/],
    [["--from", "DIR", "--target-rps", "0"], /--target-rps: must be a number > 0, got 0/],
    [["--from", "DIR", "--target-rps=-1"], /--target-rps: must be a number > 0, got -1/],
    [["--from", "DIR", "--target-rps", "5", "--headroom", "1"], /--headroom: must be a share from 0 to below 1/],
    [["--from", "DIR/missing.json", "--target-rps", "5"], /--from .*missing\.json: no such file or folder/],
    [["--from", "DIR", "--target-rps", "5", "--model", "phi3"], /no capacity result for model "phi3" \(it holds: qwen\)/],
    [["--from", "DIR/bad/capacity-broken.json", "--target-rps", "5"], /capacity-broken\.json: not a readable JSON file/],
    [["--from", "DIR/bad/capacity-other.json", "--target-rps", "5"], /capacity-other\.json: not a capacity result/],
  ])("refuses bad input with the flag or file named: %j", (args, message) => {
    write("capacity-qwen.json", result("qwen", 1.25));
    mkdirSync(path.join(dir, "bad"));
    write("bad/capacity-broken.json", "{ not json");
    write("bad/capacity-other.json", { schema: "evalstack.loadtest.llm/v1" });
    expect(main(args.map((a) => a.replace("DIR", dir)))).toBe(2);
    expect(err.join("\n")).toMatch(message);
  });

  it("refuses an empty results folder", () => {
    expect(main(["--from", dir, "--target-rps", "5"])).toBe(2);
    expect(err.join("\n")).toMatch(/no capacity results \(capacity-\*\.json\) in this folder/);
  });

  it("reads GPUs per replica from chart values, merged over modelDefaults", () => {
    write(
      "values.yaml",
      "modelDefaults:\n  gpu: {enabled: true, count: 1}\nmodels:\n  - name: qwen\n    gpu: {count: 2}\n  - name: cpu\n    gpu: {enabled: false}\n  - name: plain\n",
    );
    const values = path.join(dir, "values.yaml");
    expect(gpusPerReplicaFromValues(values, "qwen")).toBe(2);
    expect(gpusPerReplicaFromValues(values, "cpu")).toBe(0);
    expect(gpusPerReplicaFromValues(values, "plain")).toBe(1);
    expect(() => gpusPerReplicaFromValues(values, "phi3")).toThrow(
      /no models: entry named "phi3" \(it has: qwen, cpu, plain\); pass --gpus-per-replica/,
    );
  });
});
