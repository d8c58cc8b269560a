// generateWithRetries against the fake model server (@evalstack/testing) (a contract-conformant fake is fine here: the
// code under test is the retry logic around the call).
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeModelServer, type FakeModelServer } from "@evalstack/testing";
import { GenerationFailed, generateWithRetries, toGenerateRequest } from "./generation.js";
import { classifyGrpc } from "./grpcModelClient.js";
import { ModelHandle } from "./modelRegistry.js";

const servers: FakeModelServer[] = [];
const handles: ModelHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) h.close();
  for (const s of servers.splice(0)) await s.close();
});

async function model(options: Parameters<typeof startFakeModelServer>[0]) {
  const server = await startFakeModelServer(options);
  servers.push(server);
  const handle = new ModelHandle({ kind: "grpc", name: "m", target: server.target });
  handles.push(handle);
  return { server, handle };
}

const request = toGenerateRequest("r1", [{ role: "user", content: "hi" }], { temperature: 0, top_p: 0.9, seed: 3 }, 8);
const fast = { attemptTimeoutMs: 5_000, backoff: { baseMs: 1, maxMs: 5 } };

describe("generateWithRetries", () => {
  it("maps the request and returns text, usage and timings", async () => {
    const { server, handle } = await model({ reply: () => "hello" });
    const { generation, attempts } = await generateWithRetries(handle, request, { ...fast, retryBudgetMs: 1_000 });
    expect(attempts).toBe(1);
    expect(generation).toMatchObject({ text: "hello", finish_reason: "stop", prompt_tokens: 10, completion_tokens: 1 });
    expect(server.requests[0]).toMatchObject({ requestId: "r1", maxTokens: 8, sampling: { temperature: 0, seed: 3 } });
    expect(server.requests[0]!.sampling!.topP).toBeCloseTo(0.9, 5); // a float on the wire
  });

  it("retries UNAVAILABLE and RESOURCE_EXHAUSTED, recording each attempt", async () => {
    const codes = [status.UNAVAILABLE, status.RESOURCE_EXHAUSTED];
    const { handle } = await model({ failWith: (_r, n) => (n <= 2 ? { code: codes[n - 1]!, details: "busy" } : undefined) });
    const attempts: number[] = [];
    const result = await generateWithRetries(handle, request, { ...fast, retryBudgetMs: 5_000, onAttempt: (a) => void attempts.push(a) });
    expect(result.attempts).toBe(3);
    expect(attempts).toEqual([1, 2, 3]);
    expect(handle.failingForMs()).toBe(0);
  });

  it("fails at once on a non-retryable error, naming it", async () => {
    const { server, handle } = await model({ failWith: () => ({ code: status.INVALID_ARGUMENT, details: "messages[0].role: bad" }) });
    const error = await generateWithRetries(handle, request, { ...fast, retryBudgetMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationFailed);
    expect((error as GenerationFailed).reason).toBe("INVALID_ARGUMENT: messages[0].role: bad");
    expect(server.calls).toBe(1);
  });

  it("gives up when the model has been failing for longer than the budget", async () => {
    const { handle } = await model({ failWith: () => ({ code: status.UNAVAILABLE, details: "down" }) });
    const error = (await generateWithRetries(handle, request, { ...fast, retryBudgetMs: 100 }).catch(
      (e: unknown) => e,
    )) as GenerationFailed;
    expect(error).toBeInstanceOf(GenerationFailed);
    expect(error.attempts).toBeGreaterThan(1);
    expect(error.reason).toMatch(/^UNAVAILABLE: down \(gave up after \d+ attempts: m failing for \d+ s, retry budget 0 s\)$/);
    // The model is known to be down: the next item fails on its first attempt instead of waiting again.
    const next = (await generateWithRetries(handle, request, { ...fast, retryBudgetMs: 100 }).catch((e: unknown) => e)) as GenerationFailed;
    expect(next.attempts).toBe(1);
  });

  it("stops when aborted, without retrying", async () => {
    const { server, handle } = await model({ firstTokenDelayMs: 5_000 });
    const controller = new AbortController();
    const pending = generateWithRetries(handle, request, { ...fast, retryBudgetMs: 60_000, signal: controller.signal });
    await new Promise((r) => setImmediate(r));
    controller.abort(new Error("run cancelled"));
    await expect(pending).rejects.toThrow("run cancelled");
    expect(server.calls).toBeLessThanOrEqual(1);
    expect(handle.limiter.inUse).toBe(0);
  });

  it("classifies gRPC errors", () => {
    const grpc = (code: number, details: string) => Object.assign(new Error(details), { code, details, metadata: undefined });
    const c = (e: unknown) => {
      const f = classifyGrpc(e);
      return { retryable: f.retryable, code: f.code, message: f.message };
    };
    expect(c(grpc(status.DEADLINE_EXCEEDED, "slow"))).toEqual({ retryable: true, code: "DEADLINE_EXCEEDED", message: "slow" });
    expect(c(grpc(status.INTERNAL, "Received RST_STREAM with code 2")).retryable).toBe(true);
    expect(c(grpc(status.INTERNAL, "generation failed: boom")).retryable).toBe(false);
    expect(c(new Error("x"))).toEqual({ retryable: false, code: "INTERNAL", message: "x" });
  });
});
