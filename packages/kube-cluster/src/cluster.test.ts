import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { isRunning } from "@evalstack/local-stack";
import { afterEach, describe, expect, it } from "vitest";
import { startCluster } from "./cluster.js";
import { recordedDaemons, spawnDaemon, stopDaemon } from "./daemon.js";
import { fixtureObjects, GPU_RESOURCE, GPUS_PER_NODE } from "./fixtures.js";
import { generatePki } from "./pki.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kube-cluster-test-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("startCluster", () => {
  it("refuses a taken port before starting anything", async () => {
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as net.AddressInfo).port;
    const dir = tempDir();
    try {
      await expect(startCluster({ dir, ports: { apiserver: port } })).rejects.toThrow(
        `port ${port} (apiserver) is already in use on 127.0.0.1`,
      );
      expect(recordedDaemons(dir)).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe("daemons", () => {
  it("records the process it starts and stops exactly that one", async () => {
    const dir = tempDir();
    const daemon = spawnDaemon(dir, "sleeper", "/bin/sleep", ["60"], { dieWithParent: true });
    expect(recordedDaemons(dir).map((d) => [d.name, d.identity.pid, d.running])).toEqual([["sleeper", daemon.identity.pid, true]]);
    await stopDaemon(dir, daemon, 5_000);
    expect(readdirSync(path.join(dir, "pids"))).toEqual([]);
    expect(isRunning(daemon.identity)).toBe(false);
  });
});

describe("pki", () => {
  it("signs the API server's certificate for loopback and the in-cluster names, and writes one token per client", () => {
    const dir = tempDir();
    const pki = generatePki(dir, "10.96.0.1");
    const text = spawnSync("openssl", ["x509", "-in", pki.serverCert, "-noout", "-text"], { encoding: "utf8" }).stdout;
    expect(text).toContain("IP Address:127.0.0.1");
    expect(text).toContain("IP Address:10.96.0.1");
    expect(text).toContain("DNS:kubernetes.default.svc.cluster.local");
    expect(spawnSync("openssl", ["verify", "-CAfile", pki.caCert, pki.serverCert], { encoding: "utf8" }).stdout.trim()).toBe(
      `${pki.serverCert}: OK`,
    );
    expect(new Set(Object.values(pki.tokens)).size).toBe(4);
  });
});

describe("fixtures", () => {
  it("a GPU node with the GPUs and the taint the chart's model pods tolerate, and a CPU node without either", () => {
    // biome-ignore lint/suspicious/noExplicitAny: a parsed Kubernetes object, walked dynamically
    const nodes = fixtureObjects().filter((o: any) => o.kind === "Node") as any[];
    const [gpu, cpu] = nodes;
    expect(gpu.status.allocatable[GPU_RESOURCE]).toBe(String(GPUS_PER_NODE));
    expect(gpu.spec.taints).toEqual([{ key: GPU_RESOURCE, value: "present", effect: "NoSchedule" }]);
    expect(gpu.metadata.labels["nvidia.com/gpu.product"]).toBeTruthy();
    expect(cpu.status.allocatable[GPU_RESOURCE]).toBeUndefined();
    expect(cpu.spec.taints).toEqual([]);
  });
});
