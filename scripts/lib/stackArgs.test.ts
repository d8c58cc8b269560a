import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_DB_PATH, REPO_ROOT, stackPortSlots } from "@evalstack/local-stack";
import { loadCatalog } from "@evalstack/model-catalog";
import { compareUsage, parseCompareArgs, parseStackArgs, portHint, UsageError } from "./stackArgs.js";

describe("compare options", () => {
  it("defaults: small profile, the catalog's two default models on their catalog ports, seed-50, greedy", () => {
    const a = parseCompareArgs([], {});
    expect(a).toMatchObject({
      profile: "small",
      localModels: ["qwen", "phi3"],
      externalModels: {},
      modelNames: ["qwen", "phi3"],
      ports: {},
      freePorts: false,
      dbPath: DEFAULT_DB_PATH,
      suite: "seed-50",
      limit: undefined,
      shuffleSeed: undefined,
      repeats: 1,
      concurrency: undefined,
      maxTokens: undefined,
      temperature: 0,
      seed: 1,
      keepRunning: false,
      out: path.join(REPO_ROOT, "reports"),
    });
    // The ports npm run compare used before the catalog, unchanged.
    expect(stackPortSlots(a.catalog, a.localModels, a.ports).map((s) => [s.key, s.port])).toEqual([
      ["qwen.grpc", 50051],
      ["qwen.metrics", 9464],
      ["phi3.grpc", 50052],
      ["phi3.metrics", 9465],
      ["evaluator", 8080],
    ]);
  });

  it("reads every option, flags over environment", () => {
    const a = parseCompareArgs(
      [
        "--profile",
        "seed",
        "--suite",
        "my.jsonl",
        "--repeats",
        "3",
        "--concurrency",
        "qwen=2,phi3=1",
        "--max-tokens",
        "64",
        "--keep-running",
        "--temperature",
        "0.7",
        "--seed",
        "9",
        "--qwen-port",
        "0",
        "--evaluator-port",
        "18080",
        "--db",
        "/tmp/x.db",
      ],
      { EVALSTACK_PORT: "9999", PHI3_GRPC_PORT: "60052" },
    );
    expect(a).toMatchObject({
      profile: "seed",
      suite: "my.jsonl",
      repeats: 3,
      concurrency: { qwen: 2, phi3: 1 },
      maxTokens: 64,
      keepRunning: true,
      temperature: 0.7,
      seed: 9,
      dbPath: "/tmp/x.db",
    });
    expect(a.ports).toEqual({ models: { qwen: { grpc: 0 }, phi3: { grpc: 60052 } }, evaluator: 18080 });
    expect(parseCompareArgs(["--concurrency", "4"], {}).concurrency).toBe(4);
  });

  it("--suite a,b with --limit and --shuffle-seed", () => {
    expect(parseCompareArgs(["--suite", "seed-50,humaneval", "--limit", "40", "--shuffle-seed", "1"], {})).toMatchObject({
      suite: "seed-50,humaneval",
      limit: 40,
      shuffleSeed: 1,
    });
  });

  it("--models: catalog models by name, running ones as name=host:port; a port flag for every catalog model", () => {
    const a = parseStackArgs(["--models", "qwen,remote=10.0.0.5:50051"], {});
    expect(a.localModels).toEqual(["qwen"]);
    expect(a.externalModels).toEqual({ remote: "10.0.0.5:50051" });
    expect(a.modelNames).toEqual(["qwen", "remote"]);
    const third = loadCatalog()
      .names()
      .find((n) => n !== "qwen" && n !== "phi3")!;
    const b = parseCompareArgs(["--models", `qwen,phi3,${third}`, `--${third}-metrics-port`, "0", "--free-ports"], {});
    expect(b.localModels).toEqual(["qwen", "phi3", third]);
    expect(b.ports).toEqual({ models: { [third]: { metrics: 0 } } });
    expect(b.freePorts).toBe(true);
    expect(compareUsage()).toContain(`--${third}-port N`);
  });

  it.each([
    [["--profile", "huge"], /--profile huge: qwen has no such profile in the catalog \(it has small, seed\)/],
    [["--repeats", "0"], /--repeats: expected an integer from 1 to 100/],
    [["--repeats", "1.5"], /--repeats/],
    [["--max-tokens", "x"], /--max-tokens/],
    [["--models", "llama"], /"llama" is not in the model catalog \(qwen, phi3, /],
    [["--models", "qwen,qwen"], /named twice/],
    [["--models", "x=nohost"], /expected name or name=host:port/],
    [["--concurrency", "mistral=2"], /not one of the models/],
    [["--qwen-port", "70000"], /--qwen-port: expected an integer from 0 to 65535/],
    [["--temperature", "9"], /--temperature/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["--limit", "0"], /--limit: expected an integer from 1 to 10000/],
    [["--shuffle-seed", "-1"], /--shuffle-seed/],
    [["--suite", " , "], /--suite: name at least one suite/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseCompareArgs(argv, {})).toThrow(UsageError);
    expect(() => parseCompareArgs(argv, {})).toThrow(message);
  });

  it("names the environment variable when that is where a bad port came from", () => {
    expect(() => parseStackArgs([], { QWEN_METRICS_PORT: "abc" })).toThrow(/QWEN_METRICS_PORT/);
    expect(portHint("phi3.metrics")).toBe("--phi3-metrics-port <port> (or PHI3_METRICS_PORT; 0 picks a free port)");
  });
});
