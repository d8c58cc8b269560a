import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TargetSpecError, describeSpec, modelVariablePrefix, parseModelTargets } from "./targetSpec.js";

function errorOf(fn: () => unknown): TargetSpecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TargetSpecError);
    return e as TargetSpecError;
  }
  throw new Error("expected a TargetSpecError");
}

describe("EVALSTACK_MODELS entries", () => {
  it("reads gRPC and OpenAI targets side by side, in order", () => {
    const specs = parseModelTargets(
      "qwen=qwen.evalstack.svc:50051, llama=openai+http://127.0.0.1:8080/v1/#gemma-3-270m ,remote=openai+https://api.example.test/v1",
      {
        EVALSTACK_MODEL_LLAMA_CONCURRENCY: "2",
        EVALSTACK_MODEL_REMOTE_API_KEY: "sk-test-123",
      },
    );
    expect(specs).toEqual([
      { kind: "grpc", name: "qwen", target: "qwen.evalstack.svc:50051" },
      { kind: "openai", name: "llama", target: "http://127.0.0.1:8080/v1", servedModel: "gemma-3-270m", concurrency: 2 },
      { kind: "openai", name: "remote", target: "https://api.example.test/v1", apiKey: "sk-test-123", concurrency: 1 },
    ]);
    expect(specs.map(describeSpec)).toEqual([
      "qwen=qwen.evalstack.svc:50051",
      "llama=openai+http://127.0.0.1:8080/v1#gemma-3-270m",
      "remote=openai+https://api.example.test/v1",
    ]);
  });

  it("reads the API key from a file (first non-comment line) and names the per-model variables after the model", () => {
    const file = join(mkdtempSync(join(tmpdir(), "evalstack-key-")), "key");
    writeFileSync(file, "# the vLLM key\nsk-from-file\n");
    const [spec] = parseModelTargets("my-vllm=openai+http://vllm:8000/v1", { EVALSTACK_MODEL_MY_VLLM_API_KEY_FILE: file });
    expect(spec).toMatchObject({ kind: "openai", apiKey: "sk-from-file" });
    expect(modelVariablePrefix("my-vllm")).toBe("EVALSTACK_MODEL_MY_VLLM_");
  });

  it("gives a gRPC target a concurrency only when one is configured", () => {
    expect(parseModelTargets("qwen=h:1", { EVALSTACK_MODEL_QWEN_CONCURRENCY: "3" })).toEqual([
      { kind: "grpc", name: "qwen", target: "h:1", concurrency: 3 },
    ]);
  });

  it.each([
    ["qwen=openai+ftp://h/v1", /entry 1 \("qwen=openai\+ftp:\/\/h\/v1"\): scheme must be openai\+http or openai\+https/],
    ["a=h:1,b=openai+not a url", /entry 2 .*is not a URL/],
    ["a=openai+http://h:1/v1#", /entry 1 .*'#' must be followed by the served-model name/],
    ["a=openai+http://user:secret@h:1/v1", /entry 1 \("a=openai\+http:\/\/\*\*\*@h:1\/v1"\): put the API key in EVALSTACK_MODEL_A_API_KEY/],
    ["a=openai+http://h:1/v1?x=1", /query string/],
    ["a=http://h:1/v1", /entry 1 .*write openai\+http:\/\/h:1\/v1/],
    ["a=h", /entry 1 .*is not host:port/],
    ["a-b=h:1,a_b=h:2", /entry 2 .*would share the variables EVALSTACK_MODEL_A_B_\*/],
    ["a=h:1,a=h:2", /entry 2 .*listed twice/],
    ["Qwen=h:1", /model name "Qwen"/],
    [" , ", /names no model/],
  ])("rejects %j with an error naming the entry", (text, message) => {
    const error = errorOf(() => parseModelTargets(text));
    expect(error.variable).toBe("EVALSTACK_MODELS");
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/secret/);
  });

  it.each([
    [{ EVALSTACK_MODEL_L_CONCURRENCY: "0" }, "EVALSTACK_MODEL_L_CONCURRENCY"],
    [{ EVALSTACK_MODEL_L_CONCURRENCY: "two" }, "EVALSTACK_MODEL_L_CONCURRENCY"],
    [{ EVALSTACK_MODEL_L_API_KEY: "a", EVALSTACK_MODEL_L_API_KEY_FILE: "/k" }, "EVALSTACK_MODEL_L_API_KEY"],
    [{ EVALSTACK_MODEL_L_API_KEY_FILE: "/nonexistent/key" }, "EVALSTACK_MODEL_L_API_KEY_FILE"],
    [{ EVALSTACK_MODEL_L_API_KEY: "has space" }, "EVALSTACK_MODEL_L_API_KEY"],
  ])("rejects per-model settings %j naming %s", (env, variable) => {
    expect(errorOf(() => parseModelTargets("l=openai+http://h:1/v1", env)).variable).toBe(variable);
  });
});
