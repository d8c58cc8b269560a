import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { parseCatalog } from "@evalstack/model-catalog";
import { freePort } from "./freePort.js";
import { modelLogEvents, PortInUseError, resolvePorts, stackPortSlots, startLocalStack } from "./localStack.js";

const servers: net.Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function occupy(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

// Three models with made-up names: the launcher knows models only from the catalog it is given.
const entry = (name: string, grpc: number, metrics: number, http: number) => `
  - name: ${name}
    ports: { grpc: ${grpc}, metrics: ${metrics}, http: ${http} }
    contextSize: 2048
    slots: 1
    sampling: { temperature: 0.7, topP: 0.95, topK: 40, minP: 0.05, repeatPenalty: 1.1 }
    profiles:
      small:
        description: test
        approxBytes: 1000
        hub: [{ uri: "hf:a/b/${name}.gguf", unpinned: "a test catalog, nothing is loaded" }]`;
const catalog = parseCatalog(
  `defaultModels: [alpha, beta]\nmodels:${entry("alpha", 41001, 41002, 41003)}${entry("beta", 41011, 41012, 41013)}${entry("gamma", 41021, 41022, 41023)}`,
);

describe("stackPortSlots and resolvePorts", () => {
  it("takes each model's ports from the catalog, the request over them, and 0 or freePorts as free ones", async () => {
    const slots = stackPortSlots(catalog, ["alpha", "gamma"], { models: { gamma: { metrics: 0 } }, evaluator: 18080 });
    expect(slots).toEqual([
      { key: "alpha.grpc", label: "alpha gRPC", port: 41001 },
      { key: "alpha.metrics", label: "alpha metrics", port: 41002 },
      { key: "gamma.grpc", label: "gamma gRPC", port: 41021 },
      { key: "gamma.metrics", label: "gamma metrics", port: 0 },
      { key: "evaluator", label: "evaluator HTTP", port: 18080 },
    ]);
    const fixed = await freePort();
    const free = await resolvePorts(
      stackPortSlots(catalog, ["alpha", "beta", "gamma"], { models: { beta: { grpc: fixed } } }, { freePorts: true }),
    );
    expect(free.map((s) => s.key)).toEqual([
      "alpha.grpc",
      "alpha.metrics",
      "beta.grpc",
      "beta.metrics",
      "gamma.grpc",
      "gamma.metrics",
      "evaluator",
    ]);
    expect(free.find((s) => s.key === "beta.grpc")!.port).toBe(fixed);
    expect(new Set(free.map((s) => s.port)).size).toBe(7);
    for (const slot of free) expect(slot.port).toBeGreaterThan(0);
    expect(() => stackPortSlots(catalog, ["delta"])).toThrow('no model "delta" in catalog.yaml (it lists alpha, beta, gamma)');
  });

  it("refuses ports that are taken, naming each one, and a port given twice", async () => {
    const a = await occupy();
    const b = await occupy();
    const slots = stackPortSlots(catalog, ["alpha", "beta"], { models: { alpha: { grpc: a } }, evaluator: b }, { freePorts: true });
    const error = await resolvePorts(slots).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as PortInUseError).ports.map((p) => [p.key, p.port])).toEqual([
      ["alpha.grpc", a],
      ["evaluator", b],
    ]);
    expect((error as Error).message).toBe(`port ${a} (alpha gRPC) is already in use; port ${b} (evaluator HTTP) is already in use`);
    await expect(
      resolvePorts(stackPortSlots(catalog, ["alpha", "beta"], { models: { alpha: { grpc: 40001 }, beta: { grpc: 40001 } } })),
    ).rejects.toThrow("alpha gRPC and beta gRPC are both set to port 40001");
  });

  it("startLocalStack starts nothing when a port is taken, or a model lacks the profile", async () => {
    const taken = await occupy();
    const events: string[] = [];
    const onEvent = (e: { type: string }) => events.push(e.type);
    await expect(
      startLocalStack({ catalog, models: ["alpha", "gamma"], freePorts: true, ports: { models: { gamma: { metrics: taken } } }, onEvent }),
    ).rejects.toThrow(`port ${taken} (gamma metrics) is already in use`);
    await expect(startLocalStack({ catalog, profile: "seed", freePorts: true, onEvent })).rejects.toThrow(
      'alpha has no profile "seed" in catalog.yaml (it has small)',
    );
    expect(events).toEqual([]);
  });
});

describe("modelLogEvents", () => {
  it("turns the model service's start-up log lines into events", () => {
    const events = (line: string) => modelLogEvents("alpha", line).filter((e) => e.type !== "log");
    expect(events('{"level":30,"name":"alpha","downloadedBytes":1000,"totalBytes":4000,"percent":25,"msg":"downloading model"}')).toEqual([
      { type: "download", name: "alpha", downloadedBytes: 1000, totalBytes: 4000, percent: 25 },
    ]);
    expect(
      events('{"level":30,"port":50051,"slots":2,"threads":1,"contextSize":8192,"msg":"gRPC and HTTP listening; loading model"}'),
    ).toEqual([{ type: "loading", name: "alpha", threads: 1, slots: 2 }]);
    expect(
      events(
        '{"level":30,"model":"Alpha 7B Instruct","architecture":"llama","quantization":"Q4_K_M","loadMs":5123,"gpu":"cuda","msg":"model loaded and warmed up; SERVING"}',
      ),
    ).toEqual([
      {
        type: "loaded",
        name: "alpha",
        model: "Alpha 7B Instruct",
        architecture: "llama",
        quantization: "Q4_K_M",
        loadMs: 5123,
        gpu: "cuda",
      },
    ]);
    expect(events("plain text")).toEqual([]);
    expect(modelLogEvents("alpha", "plain text")).toEqual([{ type: "log", name: "alpha", line: "plain text" }]);
  });
});
