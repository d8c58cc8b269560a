import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseModels } from "./config.js";

const KEY = "0123456789abcdef0123";

describe("evaluator configuration", () => {
  it("has working defaults (auth needs a key)", () => {
    const config = loadConfig({ EVALSTACK_API_KEYS: KEY });
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 8080,
      models: [
        { name: "qwen", target: "localhost:50051" },
        { name: "phi3", target: "localhost:50052" },
      ],
      store: { kind: "sqlite", path: "./data/evalstack.db" },
      auth: { enabled: true, keys: [KEY] },
      retryBudgetMs: 600_000,
      leaseMs: 30_000,
    });
  });

  it("reads the reference verifiers' limit and directories, and refuses bad values naming the variable", () => {
    expect(loadConfig({ EVALSTACK_API_KEYS: KEY }).referenceVerifiers).toEqual({ timeoutMs: 15_000, ifevalDir: null, ifbenchDir: null });
    expect(
      loadConfig({ EVALSTACK_API_KEYS: KEY, EVALSTACK_IFEVAL_TIMEOUT_MS: "500", EVALSTACK_IFBENCH_DIR: "/opt/ifbench" }).referenceVerifiers,
    ).toEqual({ timeoutMs: 500, ifevalDir: null, ifbenchDir: "/opt/ifbench" });
    expect(() => loadConfig({ EVALSTACK_API_KEYS: KEY, EVALSTACK_IFEVAL_TIMEOUT_MS: "soon" })).toThrow(/EVALSTACK_IFEVAL_TIMEOUT_MS/);
    expect(() => loadConfig({ EVALSTACK_API_KEYS: KEY, EVALSTACK_IFEVAL_TIMEOUT_MS: "0" })).toThrow(/EVALSTACK_IFEVAL_TIMEOUT_MS/);
    expect(() => loadConfig({ EVALSTACK_API_KEYS: KEY, EVALSTACK_IFEVAL_DIR: "relative/dir" })).toThrow(/EVALSTACK_IFEVAL_DIR.*absolute/);
  });

  it("switches to PostgreSQL with DATABASE_URL and turns auth off only when asked", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://u:p@db:5432/evalstack", EVALSTACK_AUTH: "off" });
    expect(config.store).toEqual({ kind: "postgres", url: "postgres://u:p@db:5432/evalstack" });
    expect(config.auth).toEqual({ enabled: false });
  });

  it("reads API keys from a file, skipping comments and blank lines", () => {
    const file = join(mkdtempSync(join(tmpdir(), "evalstack-keys-")), "keys");
    writeFileSync(file, `# team a\n${KEY}\n\nabcdefghijklmnopqrstuvwxyz\n`);
    expect(loadConfig({ EVALSTACK_API_KEYS_FILE: file, EVALSTACK_API_KEYS: "zzzzzzzzzzzzzzzzzzzz" }).auth).toEqual({
      enabled: true,
      keys: ["zzzzzzzzzzzzzzzzzzzz", KEY, "abcdefghijklmnopqrstuvwxyz"],
    });
  });

  it.each([
    [{}, "EVALSTACK_API_KEYS"],
    [{ EVALSTACK_API_KEYS: "short" }, "EVALSTACK_API_KEYS"],
    [{ EVALSTACK_API_KEYS_FILE: "/nonexistent/keys" }, "EVALSTACK_API_KEYS_FILE"],
    [{ EVALSTACK_AUTH: "maybe" }, "EVALSTACK_AUTH"],
    [{ EVALSTACK_API_KEYS: KEY, EVALSTACK_PORT: "http" }, "EVALSTACK_PORT"],
    [{ EVALSTACK_API_KEYS: KEY, EVALSTACK_PORT: "70000" }, "EVALSTACK_PORT"],
    [{ EVALSTACK_API_KEYS: KEY, EVALSTACK_RETRY_BUDGET_MS: "-1" }, "EVALSTACK_RETRY_BUDGET_MS"],
    [{ EVALSTACK_API_KEYS: KEY, DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ EVALSTACK_API_KEYS: KEY, LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ EVALSTACK_API_KEYS: KEY, EVALSTACK_MODELS: "qwen" }, "EVALSTACK_MODELS"],
    [
      { EVALSTACK_API_KEYS: KEY, EVALSTACK_MODELS: "l=openai+http://h:1/v1", EVALSTACK_MODEL_L_CONCURRENCY: "0" },
      "EVALSTACK_MODEL_L_CONCURRENCY",
    ],
  ])("rejects %j naming %s", (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message.startsWith(`${variable}: `)).toBe(true);
  });

  it("parses model lists and rejects bad names, targets and duplicates", () => {
    expect(parseModels(" qwen = qwen.default.svc:50051 , phi3=[::1]:50052,x=dns:///h:1")).toEqual([
      { kind: "grpc", name: "qwen", target: "qwen.default.svc:50051" },
      { kind: "grpc", name: "phi3", target: "[::1]:50052" },
      { kind: "grpc", name: "x", target: "dns:///h:1" },
    ]);
    expect(() => parseModels("Qwen=h:1")).toThrow(/model name/);
    expect(() => parseModels("qwen=h")).toThrow(/not host:port/);
    expect(() => parseModels("qwen=h:1,qwen=h:2")).toThrow(/twice/);
    expect(() => parseModels(" , ")).toThrow(/names no model/);
  });

  it("keeps an ipv4:/ipv6: address list (several replicas behind one target) whole", () => {
    expect(parseModels("qwen=ipv4:127.0.0.1:5001,127.0.0.1:5002,phi3=h:1")).toEqual([
      { kind: "grpc", name: "qwen", target: "ipv4:127.0.0.1:5001,127.0.0.1:5002" },
      { kind: "grpc", name: "phi3", target: "h:1" },
    ]);
    expect(() => parseModels("qwen=ipv4:127.0.0.1:5001,nonsense")).toThrow(
      /entry 2 \("nonsense"\): is not host:port in the address list of qwen/,
    );
    // outside an address list a bare host:port is still an error
    expect(() => parseModels("qwen=h:1,h:2")).toThrow(/not name=host:port/);
  });
});
