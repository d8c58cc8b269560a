// The evaluator's HTTP API as issue 3 describes it, reduced to what loadtests/http-evaluator.ts calls, for
// testing that script on its own. Not a model of the evaluator's behaviour: replies are immediate.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeEvaluator {
  baseUrl: string;
  /** Requests seen, as "METHOD /path". */
  calls: string[];
  stop: () => Promise<void>;
}

export async function startFakeEvaluator({ models = ["qwen", "phi3"], pollsToComplete = 2 } = {}): Promise<FakeEvaluator> {
  const calls: string[] = [];
  const runs = new Map<string, number>();
  const suites = new Set<string>();
  let nextRun = 1;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      calls.push(`${req.method} ${url.pathname}`);
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": status >= 400 ? "application/problem+json" : "application/json" });
        res.end(JSON.stringify(json));
      };
      const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      const run = /^\/v1\/runs\/([^/]+)$/.exec(url.pathname);
      if (url.pathname === "/readyz") return send(200, { status: "ready" });
      if (req.method === "GET" && url.pathname === "/v1/models")
        return send(
          200,
          models.map((name) => ({ name, target: "fake" })),
        );
      if (req.method === "POST" && url.pathname === "/v1/suites") {
        const id = String(parsed.id);
        if (suites.has(id)) return send(409, { title: "suite exists" });
        suites.add(id);
        return send(201, { id });
      }
      if (req.method === "POST" && url.pathname === "/v1/compare") {
        return send(200, {
          id: "cmp-1",
          results: (parsed.models as string[]).map((model) => ({ model, status: "completed", reply: "red" })),
        });
      }
      if (req.method === "POST" && url.pathname === "/v1/score") return send(200, { passed: true, score: 1, checks: [] });
      if (req.method === "POST" && url.pathname === "/v1/runs") {
        if (!suites.has(String(parsed.suite))) return send(404, { title: "unknown suite" });
        const id = `run-${nextRun++}`;
        runs.set(id, 0);
        return send(201, { id, status: "queued" });
      }
      if (req.method === "GET" && run) {
        const id = run[1] as string;
        const polls = runs.get(id);
        if (polls === undefined) return send(404, { title: "unknown run" });
        runs.set(id, polls + 1);
        return send(200, { id, status: polls + 1 >= pollsToComplete ? "completed" : "running" });
      }
      send(404, { title: "not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
