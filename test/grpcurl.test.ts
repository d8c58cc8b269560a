// The gRPC side as other tools see it: the real grpcurl (built from its pinned Go module by
// scripts/ci/install-grpcurl.sh) against a real model service, knowing nothing but what reflection serves.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelService, type ModelServiceProcess } from "@evalstack/local-stack";

const GRPCURL = path.join(process.env.EVALSTACK_TOOLS_DIR ?? path.join(os.homedir(), ".cache/evalstack/tools"), "bin/grpcurl");
const run = promisify(execFile);

describe("grpcurl against a model service", () => {
  let service: ModelServiceProcess;
  const grpcurl = async (...args: string[]) =>
    (await run(GRPCURL, ["-plaintext", ...args.slice(0, -1), service.target, args[args.length - 1]!])).stdout;
  const list = async (symbol?: string) => (await run(GRPCURL, ["-plaintext", service.target, "list", ...(symbol ? [symbol] : [])])).stdout;
  const describeSymbol = async (symbol: string) => (await run(GRPCURL, ["-plaintext", service.target, "describe", symbol])).stdout;

  beforeAll(async () => {
    if (!existsSync(GRPCURL)) throw new Error(`${GRPCURL} is missing: run bash scripts/ci/install-grpcurl.sh (npm test's pretest does)`);
    service = await startModelService({
      service: "qwen",
      env: { MODEL_THREADS: "1", MODEL_SLOTS: "1", MODEL_CONTEXT_SIZE: "2048", LOG_LEVEL: "warn" },
      parentDeathSignal: "SIGKILL",
    });
  });

  afterAll(async () => {
    await service?.process.stop();
  });

  it("list: every service the server exposes, health and reflection included", async () => {
    expect((await list()).trim().split("\n")).toEqual([
      "evalstack.inference.v1.Inference",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
    expect((await list("evalstack.inference.v1.Inference")).trim().split("\n")).toEqual([
      "evalstack.inference.v1.Inference.CountTokens",
      "evalstack.inference.v1.Inference.Generate",
      "evalstack.inference.v1.Inference.GenerateStream",
      "evalstack.inference.v1.Inference.GetModelInfo",
    ]);
  });

  it("describe: the messages as proto/ writes them (snake_case names, proto3 optional, comments)", async () => {
    const request = await describeSymbol("evalstack.inference.v1.GenerateRequest");
    expect(request).toContain("string request_id = 1;");
    expect(request).toContain("optional int32 max_tokens = 4;");
    expect(request).toContain("string json_schema = 6;");
    expect(request).toContain("// Maximum completion tokens; unset takes the service default.");
    expect(request).not.toMatch(/oneof|requestId|maxTokens/);
    const sampling = await describeSymbol("evalstack.inference.v1.SamplingParams");
    expect(sampling).toContain("optional float top_p = 2;");
    expect(await describeSymbol("grpc.health.v1.Health")).toContain(
      "rpc Check ( .grpc.health.v1.HealthCheckRequest ) returns ( .grpc.health.v1.HealthCheckResponse );",
    );
  });

  it("health Check, overall and for the Inference service", async () => {
    expect(JSON.parse(await grpcurl("grpc.health.v1.Health/Check"))).toEqual({ status: "SERVING" });
    expect(JSON.parse(await grpcurl("-d", '{"service": "evalstack.inference.v1.Inference"}', "grpc.health.v1.Health/Check"))).toEqual({
      status: "SERVING",
    });
  });

  it("GetModelInfo names the model loaded", async () => {
    const info = JSON.parse(await grpcurl("evalstack.inference.v1.Inference/GetModelInfo")) as Record<string, unknown>;
    expect(info).toMatchObject({ service: "qwen", contextSize: 2048, slots: 1 });
    expect(info.name).toMatch(/smollm2/i);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a streamed GenerateStream from snake_case JSON: max_tokens is honoured, the chunks' tokens add up", async () => {
    const out = await grpcurl(
      "-d",
      JSON.stringify({
        request_id: "grpcurl-1",
        messages: [{ role: "user", content: "Tell me about the moon." }],
        max_tokens: 12,
        sampling: { temperature: 0, top_p: 1 },
      }),
      "evalstack.inference.v1.Inference/GenerateStream",
    );
    // grpcurl prints one JSON object per message, separated by newlines between the closing and opening braces.
    const chunks = out
      .trim()
      .split(/\n(?=\{)/)
      .map(
        (c) =>
          JSON.parse(c) as {
            requestId: string;
            delta?: string;
            tokens?: number;
            finishReason?: string;
            usage?: { completionTokens: number };
          },
      );
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.requestId === "grpcurl-1")).toBe(true);
    const final = chunks[chunks.length - 1]!;
    expect(final.finishReason).toBe("FINISH_REASON_LENGTH");
    expect(final.usage!.completionTokens).toBe(12);
    expect(chunks.reduce((sum, c) => sum + (c.tokens ?? 0), 0)).toBe(12);
  });

  it("a bad field named in snake_case is refused as INVALID_ARGUMENT naming it", async () => {
    const failure = await grpcurl(
      "-d",
      '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}',
      "evalstack.inference.v1.Inference/Generate",
    ).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => error,
    );
    expect(failure?.stderr ?? "").toContain("Code: InvalidArgument");
    expect(failure?.stderr ?? "").toContain("max_tokens: must be between 1 and 2048");
  });
});
