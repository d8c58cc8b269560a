// The evaluator process itself stays healthy whatever scored code does: a real evaluator (services/evaluator,
// SQLite in a temp dir, no models needed) scores hostile `code` replies through POST /v1/score while this test
// keeps polling /healthz. Each hostile program is written so that a successful attack exits 0 (the check would
// pass): every one of them must be scored as a fail, the health probes must all answer promptly, and the
// evaluator's memory must stay put.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./helpers/ports.js";
import { startTsProcess, stopAll, waitUntil, type ManagedProcess } from "./helpers/processes.js";

let evaluator: ManagedProcess;
let base = "";
let port = 0;
let dataDir = "";

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

function codeItem(id: string, timeoutMs = 2_000) {
  return {
    id,
    dimension: "code",
    prompt: "Write any Python program.",
    checks: [{ type: "code", language: "python", tests: "pass", timeout_ms: timeoutMs }],
  };
}

interface ScoreBody {
  passed: boolean;
  score: number;
  checks: { type: string; passed: boolean; detail: string; error?: string }[];
  error?: string;
}

/** Scores `reply` while probing /healthz every 50 ms; returns the score and the probes' worst latency. */
async function scoreWhileProbing(id: string, reply: string): Promise<{ body: ScoreBody; probes: number; worstMs: number }> {
  let probing = true;
  let probes = 0;
  let worstMs = 0;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      worstMs = Math.max(worstMs, performance.now() - started);
      probes++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const res = await fetch(`${base}/v1/score`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ item: codeItem(id), reply: `\`\`\`python\n${reply}\n\`\`\`` }),
      signal: AbortSignal.timeout(60_000),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ScoreBody;
    return { body, probes, worstMs };
  } finally {
    probing = false;
    await prober;
  }
}

beforeAll(async () => {
  port = await freePort();
  dataDir = await mkdtemp(join(tmpdir(), "evalstack-sandbox-evaluator-"));
  base = `http://127.0.0.1:${port}`;
  evaluator = startTsProcess({
    name: "evaluator",
    script: "services/evaluator/src/main.ts",
    env: {
      EVALSTACK_HOST: "127.0.0.1",
      EVALSTACK_PORT: String(port),
      EVALSTACK_DB_PATH: join(dataDir, "evalstack.db"),
      EVALSTACK_AUTH: "off",
      // /v1/score needs no model; nothing listens here
      EVALSTACK_MODELS: "qwen=127.0.0.1:9,phi3=127.0.0.1:9",
      EVALSTACK_SANDBOX_ISOLATION: "namespaces",
      LOG_LEVEL: "warn",
    },
  });
  await waitUntil(async () => (await fetch(`${base}/healthz`)).ok, { what: "evaluator /healthz", process: evaluator, timeoutMs: 60_000 });
});

afterAll(async () => {
  await stopAll();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("the evaluator scoring hostile code", () => {
  const hostile: [string, string][] = [
    ["infinite-loop", "while True:\n    pass"],
    ["fork-bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"],
    ["alloc-10gb", "b = bytearray(10 * 1024 ** 3)\nb[-1] = 1"],
    ["file-2gb", "with open('big.bin', 'wb') as f:\n    for _ in range(2048):\n        f.write(b'x' * (1024 * 1024))"],
    ["read-passwd", "data = open('/etc/passwd').read()\nassert 'root' in data\nprint(data)"],
    ["tcp-to-evaluator", ""], // filled in with the evaluator's port below
  ];

  it.each(hostile.map(([name]) => name))("%s: scored as a fail while /healthz keeps answering", async (name) => {
    let program = hostile.find(([n]) => n === name)![1];
    if (name === "tcp-to-evaluator") {
      program = `import socket\ns = socket.create_connection(('127.0.0.1', ${port}), timeout=2)\ns.sendall(b'GET /healthz HTTP/1.0\\r\\n\\r\\n')\nassert s.recv(100)`;
    }
    const rssBefore = await rssBytes(evaluator.pid!);
    const { body, probes, worstMs } = await scoreWhileProbing(name, program);
    expect(body.passed, JSON.stringify(body)).toBe(false);
    expect(body.checks[0]?.passed).toBe(false);
    expect(body.error).toBeUndefined(); // a fail of the program, not an evaluation error
    expect(JSON.stringify(body)).not.toContain("root:x:0:0");
    expect(probes).toBeGreaterThan(0);
    expect(worstMs).toBeLessThan(1_000);
    expect(evaluator.hasExited).toBe(false);
    expect((await rssBytes(evaluator.pid!)) - rssBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it("still scores a correct answer as a pass afterwards", async () => {
    const { body } = await scoreWhileProbing("ok", "def f(n):\n    return n * 2\n\nassert f(21) == 42");
    expect(body.passed, JSON.stringify(body)).toBe(true);
    expect(evaluator.hasExited).toBe(false);
  });
});
