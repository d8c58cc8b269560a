// `npm run stack` as a user runs it (a subprocess in its own process group, Ctrl-C sent to the whole group as
// a terminal does), on free ports: the endpoints it prints answer, Ctrl-C leaves no process behind, a second
// Ctrl-C kills at once, and a taken port, a model that cannot load and an evaluator that cannot start each give a clear message with
// nothing left running.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { checkHealth, createHealthClient, createInferenceClient, fullRequest, streamGenerate } from "@evalstack/contract";
import { descendantsOf, freePort, isRunning, ManagedProcess, portInUse, waitUntil, type ProcessIdentity } from "@evalstack/local-stack";

const tmp = mkdtempSync(path.join(os.tmpdir(), "evalstack-stack-test-"));
const launched: ManagedProcess[] = [];
let launches = 0;
const servers: net.Server[] = [];

const trees: (() => ProcessIdentity[])[] = [];

afterEach(async () => {
  // A failed test may leave its launcher running: kill its group, then anything recorded below it.
  await Promise.all(launched.splice(0).map((p) => p.stop("SIGKILL", 5_000)));
  for (const p of trees
    .splice(0)
    .flatMap((tree) => tree())
    .filter(isRunning))
    process.kill(p.pid, "SIGKILL");
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(tmp, { recursive: true, force: true });
});

async function freePortArgs(): Promise<string[]> {
  const args: string[] = [];
  for (const flag of ["--evaluator-port", "--qwen-port", "--phi3-port", "--qwen-metrics-port", "--phi3-metrics-port"])
    args.push(flag, String(await freePort()));
  return args;
}

/** `npm run <script> -- <args>` in its own process group, with every process below it recorded as it appears. */
function launch(script: "stack" | "compare", args: string[], env: Record<string, string> = {}) {
  const p = new ManagedProcess({
    name: `npm run ${script}`,
    command: "npm",
    args: ["run", script, "--", ...args],
    env: { EVALSTACK_DB_PATH: path.join(tmp, `${script}-${launches++}.db`), NO_COLOR: "1", ...env },
    detached: true,
  });
  launched.push(p);
  const seen = new Map<string, ProcessIdentity>();
  const poll = () => {
    for (const d of descendantsOf(p.pid!)) seen.set(`${d.pid}:${d.startTime}`, d);
  };
  const timer = setInterval(poll, 100);
  void p.exited.then(() => clearInterval(timer));
  trees.push(() => [...seen.values()]);
  return {
    process: p,
    /** Every process seen below npm so far. */
    tree: () => {
      poll();
      return [...seen.values()];
    },
    /** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
    ctrlC: () => p.signal("SIGINT"),
  };
}

function stillRunning(tree: ProcessIdentity[]): ProcessIdentity[] {
  return tree.filter(isRunning);
}

/** npm passes the script's exit code on, or ends by the same signal the group got. */
function exitedWith(status: { code: number | null; signal: NodeJS.Signals | null }): string {
  return status.signal ?? String(status.code);
}

describe("npm run stack", () => {
  it("prints endpoints that answer, and Ctrl-C stops every process it started", async () => {
    const run = launch("stack", await freePortArgs());
    await run.process.waitForOutput(/Running; Ctrl-C stops everything/, 240_000);
    const out = run.process.logs();
    expect(out).toContain("EVALSTACK_AUTH=off");
    const url = out.match(/evaluator {2}(http:\/\/127\.0\.0\.1:\d+)/)![1]!;
    const targets: Record<string, string> = Object.fromEntries(
      [...out.matchAll(/^ {2}(qwen|phi3) +(127\.0\.0\.1:\d+) \(gRPC\)/gm)].map((m) => [m[1]!, m[2]!]),
    );
    expect(Object.keys(targets).sort()).toEqual(["phi3", "qwen"]);
    expect(out).toContain(`EVALSTACK_MODELS=qwen=${targets.qwen},phi3=${targets.phi3}`);

    // The evaluator answers without an API key and sees both models SERVING; so does gRPC health.
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { name: string; health: string; model_name: string | null }[];
    expect(models.map((m) => [m.name, m.health])).toEqual([
      ["qwen", "SERVING"],
      ["phi3", "SERVING"],
    ]);
    for (const target of Object.values(targets)) {
      const client = createHealthClient(target);
      expect((await checkHealth(client)).status).toBe("SERVING");
      client.close();
    }
    const pids = [...new Set([...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])))];
    const tree = run.tree();
    expect(tree.map((p) => p.pid)).toEqual(expect.arrayContaining(pids));
    expect(pids).toHaveLength(3);

    run.ctrlC();
    const status = await run.process.exited;
    expect(["SIGINT", "0"]).toContain(exitedWith(status));
    expect(run.process.logs()).toMatch(/Ctrl-C: stopping the stack[\s\S]*stopped \(qwen pid \d+, phi3 pid \d+, evaluator pid \d+\)/);
    expect(stillRunning(tree)).toEqual([]);
    for (const target of Object.values(targets)) expect(await portInUse(Number(target.split(":")[1]))).toBe(false);
    expect(await portInUse(Number(new URL(url).port))).toBe(false);
  });

  it("a second Ctrl-C kills at once while the first one waits for a generation to drain", async () => {
    // Every generation waits 2 min before its first token, and a model drains for up to 2 min on SIGTERM:
    // the clean stop after the first Ctrl-C waits on the request in flight; the second one does not wait.
    const run = launch("stack", await freePortArgs(), { MODEL_TEST_FIRST_TOKEN_DELAY_MS: "120000", SHUTDOWN_GRACE_MS: "120000" });
    await run.process.waitForOutput(/Running; Ctrl-C stops everything/, 240_000);
    const out = run.process.logs();
    const target = out.match(/^ {2}qwen +(127\.0\.0\.1:\d+) \(gRPC\)/m)![1]!;
    const metricsUrl = out.match(/^ {2}qwen +\S+ \(gRPC\) +metrics (\S+)/m)![1]!;
    const client = createInferenceClient(target);
    const generation = (async () => {
      for await (const _chunk of streamGenerate(client, fullRequest({ messages: [{ role: "user", content: "Hi" }], maxTokens: 4 }))) {
        // the stream ends when the service goes away
      }
    })().catch(() => {});
    await waitUntil(async () => /^evalstack_server_slots_busy(\{[^}]*\})? 1$/m.test(await (await fetch(metricsUrl)).text()), {
      what: "qwen busy with the request",
    });
    const tree = run.tree();

    run.ctrlC();
    await run.process.waitForOutput(/Ctrl-C: stopping the stack \(Ctrl-C again to kill at once\)/, 10_000);
    // Copies of one press that arrive within 0.5 s count once; a person's second press comes later.
    await new Promise((r) => setTimeout(r, 800));
    expect(run.process.running, "the clean stop waits for qwen to drain").toBe(true);
    const sentAt = Date.now();
    run.ctrlC();
    const status = await run.process.exited;
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    expect(["SIGINT", "130"]).toContain(exitedWith(status));
    expect(run.process.logs()).toContain("Ctrl-C again: killing every process of the stack now");
    await waitUntil(() => stillRunning(tree).length === 0, { timeoutMs: 5_000, what: "every process of the stack gone" });
    client.close();
    await generation;
  });

  it("a port that is taken: says which and how to move, starts nothing", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    const taken = (server.address() as net.AddressInfo).port;
    const args = await freePortArgs();
    args[args.indexOf("--phi3-port") + 1] = String(taken);
    const run = launch("stack", args);
    const status = await run.process.exited;
    expect(exitedWith(status)).toBe("1");
    const out = run.process.logs();
    expect(out).toContain(`port ${taken} (phi3 gRPC) is already in use`);
    expect(out).toContain("Nothing was started");
    expect(out).toContain("--phi3-port <port> (or PHI3_GRPC_PORT; 0 picks a free port)");
    expect(out).not.toMatch(/starting \(pid/);
    expect(stillRunning(run.tree())).toEqual([]);
  });

  it("a model that cannot load: names the model and the file, stops everything else", async () => {
    const missing = path.join(tmp, "no-such-model.gguf");
    const run = launch("stack", await freePortArgs(), { MODEL_SOURCE: missing });
    const status = await run.process.exited;
    expect(exitedWith(status)).toBe("1");
    const out = run.process.logs();
    expect(out).toMatch(new RegExp(`(qwen|phi3) could not start: .*${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    expect(out).toContain("Everything the launcher had started has been stopped.");
    expect(out).toMatch(/evaluator: starting \(pid \d+\)/);
    expect(stillRunning(run.tree())).toEqual([]);
  });

  it("an evaluator that cannot start: says why, stops the models it had started", async () => {
    const run = launch("stack", await freePortArgs(), { EVALSTACK_LEASE_MS: "soon" });
    const status = await run.process.exited;
    expect(exitedWith(status)).toBe("1");
    const out = run.process.logs();
    expect(out).toMatch(/evaluator could not start: invalid configuration: EVALSTACK_LEASE_MS/);
    expect(out).toMatch(/qwen: starting \(pid \d+\)/);
    expect(out).toContain("Everything the launcher had started has been stopped.");
    expect(stillRunning(run.tree())).toEqual([]);
  });
});
