import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./freePort.js";
import { modelLogEvents, PortInUseError, resolvePorts, startLocalStack } from "./localStack.js";

const servers: net.Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function occupy(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

describe("resolvePorts", () => {
  it("keeps fixed ports, gives 0 a free one, leaves ports of services not started alone", async () => {
    const fixed = await freePort();
    const ports = await resolvePorts({ qwen: fixed, phi3: 0, evaluator: 0 }, ["qwen", "phi3", "evaluator"]);
    expect(ports.qwen).toBe(fixed);
    expect(ports.phi3).toBeGreaterThan(0);
    expect(ports.evaluator).toBeGreaterThan(0);
    expect(ports.qwenMetrics).toBe(9464);
  });

  it("refuses ports that are taken, naming each one, and a port given twice", async () => {
    const a = await occupy();
    const b = await occupy();
    const error = await resolvePorts({ qwen: a, evaluator: b, phi3: 0 }, ["qwen", "phi3", "evaluator"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as PortInUseError).ports).toEqual([
      { key: "qwen", port: a },
      { key: "evaluator", port: b },
    ]);
    expect((error as Error).message).toBe(`port ${a} (qwen gRPC) is already in use; port ${b} (evaluator HTTP) is already in use`);
    await expect(resolvePorts({ qwen: 40001, phi3: 40001 }, ["qwen", "phi3"])).rejects.toThrow("qwen gRPC and phi3 gRPC are both set to port 40001");
  });

  it("startLocalStack starts nothing when a port is taken", async () => {
    const taken = await occupy();
    const events: string[] = [];
    await expect(
      startLocalStack({ ports: { qwen: 0, phi3: 0, qwenMetrics: 0, phi3Metrics: taken, evaluator: 0 }, onEvent: (e) => events.push(e.type) }),
    ).rejects.toThrow(`port ${taken} (phi3 metrics) is already in use`);
    expect(events).toEqual([]);
  });
});

describe("modelLogEvents", () => {
  it("turns the model service's start-up log lines into events", () => {
    const events = (line: string) => modelLogEvents("qwen", line).filter((e) => e.type !== "log");
    expect(events('{"level":30,"name":"qwen","downloadedBytes":1000,"totalBytes":4000,"percent":25,"msg":"downloading model"}')).toEqual([
      { type: "download", name: "qwen", downloadedBytes: 1000, totalBytes: 4000, percent: 25 },
    ]);
    expect(events('{"level":30,"port":50051,"slots":2,"threads":1,"contextSize":8192,"msg":"gRPC listening; loading model"}')).toEqual([
      { type: "loading", name: "qwen", threads: 1, slots: 2 },
    ]);
    expect(events('{"level":30,"model":"Qwen2.5 7B Instruct","architecture":"qwen2","quantization":"Q4_K_M","loadMs":5123,"gpu":"cuda","msg":"model loaded and warmed up; SERVING"}')).toEqual([
      { type: "loaded", name: "qwen", model: "Qwen2.5 7B Instruct", architecture: "qwen2", quantization: "Q4_K_M", loadMs: 5123, gpu: "cuda" },
    ]);
    expect(events("plain text")).toEqual([]);
    expect(modelLogEvents("qwen", "plain text")).toEqual([{ type: "log", name: "qwen", line: "plain text" }]);
  });
});
