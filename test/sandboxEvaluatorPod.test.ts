// The evaluator run the way the chart's pod runs it (uid, fsGroup, key-file mode and settings read from the
// rendered chart): a non-root uid, the API-key file mounted read-only for
// the pod's group (0440), DATABASE_URL (with a password) in its environment, EVALSTACK_SANDBOX_ISOLATION=
// namespaces. Generated code, scored through POST /v1/score, tries to read the key file, the evaluator's
// environment through /proc and to connect to the evaluator on loopback: each probe's result is asserted by
// the item's own tests, so a pass means "denied" was observed. Then the sandbox is made unusable (bwrap
// pointed at a failing binary): with `auto`, code items end as errors and /readyz and /v1/system say
// "unavailable". Then the explicit rlimits mode, as root: the program runs under a uid of its own and still
// cannot read the key file, the database file or the evaluator's environment.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./helpers/ports.js";
import { startPostgres, type TestPostgres } from "./helpers/postgres.js";
import { startTsProcess, stopAll, waitUntil, type ManagedProcess } from "./helpers/processes.js";

const API_KEY = "pod-api-key-7c1d2e3f4a5b6c7d8e9f";
const DB_PASSWORD = "db-password-3e8a1f0c9b";

/** The evaluator pod as the chart renders it (ha profile: PostgreSQL): its user, key-file mode and settings. */
function renderedPod(): { uid: number; fsGroup: number; keyFileMode: number; env: Map<string, { value?: string; valueFrom?: unknown }> } {
  const helm = join(process.env.EVALSTACK_TOOLS_DIR ?? join(homedir(), ".cache/evalstack/tools"), "bin/helm");
  const chart = join(import.meta.dirname, "../k8s/charts/evalstack");
  const r = spawnSync(helm, ["template", "evalstack", chart, "--namespace", "evalstack", "--values", join(chart, "ci/ha-values.yaml")], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`helm template: ${r.stderr || r.error}`);
  const deployment = parseAllDocuments(r.stdout)
    // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are walked dynamically
    .map((d) => d.toJS() as any)
    .find((o) => o?.kind === "Deployment" && o.metadata.name.endsWith("-evaluator"));
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: { name: string }) => c.name === "evaluator");
  return {
    uid: pod.securityContext.runAsUser,
    fsGroup: pod.securityContext.fsGroup,
    keyFileMode: pod.volumes.find((v: { name: string }) => v.name === "api-keys").secret.defaultMode,
    env: new Map(container.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e])),
  };
}
const POD = renderedPod();
const POD_UID = POD.uid;
const POD_GID = POD.fsGroup;

let dir = "";
let postgres: TestPostgres;

interface Started {
  process: ManagedProcess;
  base: string;
  port: number;
}

async function startPodEvaluator(env: Record<string, string>, options: { uid?: number; gid?: number } = {}): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const process = startTsProcess({
    name: `evaluator:${port}`,
    script: "services/evaluator/src/main.ts",
    uid: options.uid,
    gid: options.gid,
    env: {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: dir,
      EVALSTACK_HOST: "127.0.0.1",
      EVALSTACK_PORT: String(port),
      EVALSTACK_MODELS: "qwen=127.0.0.1:9,phi3=127.0.0.1:9",
      EVALSTACK_AUTH: "on",
      EVALSTACK_API_KEYS_FILE: join(dir, "api-keys"),
      LOG_LEVEL: "info",
      ...env,
    },
  });
  await waitUntil(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok === true, {
    what: "evaluator /healthz",
    process,
    timeoutMs: 90_000,
  });
  return { process, base, port };
}

const auth = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" };

/** Scores `code` (a python reply) against `tests` through the evaluator's API. */
async function score(e: Started, code: string, tests: string) {
  const res = await fetch(`${e.base}/v1/score`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      item: { id: "probe", dimension: "code", prompt: "probe", checks: [{ type: "code", language: "python", tests, timeout_ms: 20_000 }] },
      reply: "```python\n" + code + "\n```",
    }),
    signal: AbortSignal.timeout(90_000),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    passed: boolean;
    error?: string;
    checks: { passed: boolean; detail: string; error?: string; isolation?: string }[];
  };
}

// What generated code would try: the key file, every process's environment, the database, loopback.
const PROBE = (keyFile: string, dbFile: string, port: number) => `
import os, socket

def attempt(action):
    try:
        return 'READ ' + str(action())[:200]
    except Exception as e:
        return 'denied: ' + type(e).__name__

def key_file():
    return open(${JSON.stringify(keyFile)}).read()

def environments():
    found = []
    for pid in [p for p in os.listdir('/proc') if p.isdigit()] + [str(os.getppid())]:
        try:
            text = open(f'/proc/{pid}/environ', 'rb').read().decode('utf-8', 'replace')
        except OSError:
            continue
        if ${JSON.stringify(DB_PASSWORD)} in text or 'DATABASE_URL' in text or 'EVALSTACK_API_KEYS' in text:
            found.append(pid)
    if not found:
        raise PermissionError('no environment with the secrets readable')
    return found

def database():
    return open(${JSON.stringify(dbFile)}, 'rb').read(16)

def loopback():
    s = socket.create_connection(('127.0.0.1', ${port}), timeout=2)
    s.sendall(b'GET /healthz HTTP/1.0\\r\\n\\r\\n')
    return s.recv(64)

def probe():
    return {'key': attempt(key_file), 'environ': attempt(environments), 'database': attempt(database), 'loopback': attempt(loopback), 'uid': os.getuid()}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-pod-"));
  chmodSync(dir, 0o755);
  // As the chart mounts the Secret: root-owned, the pod's fsGroup, the chart's defaultMode (0440).
  writeFileSync(join(dir, "api-keys"), `${API_KEY}\n`);
  chownSync(join(dir, "api-keys"), 0, POD_GID);
  chmodSync(join(dir, "api-keys"), POD.keyFileMode);
  postgres = await startPostgres();
});

afterAll(async () => {
  await stopAll();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the evaluator as the chart's pod runs it (non-root, key file, DATABASE_URL, namespaces)", () => {
  let e: Started;
  beforeAll(async () => {
    // What the chart sets, checked here so this test follows the chart: a non-root uid, the key file,
    // DATABASE_URL from a Secret, and the isolation stated.
    expect(POD_UID).toBeGreaterThan(0);
    expect(POD.keyFileMode & 0o007).toBe(0);
    expect(POD.env.get("EVALSTACK_SANDBOX_ISOLATION")?.value).toBe("namespaces");
    expect(POD.env.get("DATABASE_URL")?.valueFrom).toBeDefined();
    expect(POD.env.get("EVALSTACK_API_KEYS_FILE")?.value).toMatch(/^\/etc\/evalstack\/api-keys\//);
    const url = (await postgres.createDatabase("pod_design")).replace("postgres@", `postgres:${DB_PASSWORD}@`);
    e = await startPodEvaluator(
      { DATABASE_URL: url, EVALSTACK_SANDBOX_ISOLATION: POD.env.get("EVALSTACK_SANDBOX_ISOLATION")!.value! },
      { uid: POD_UID, gid: POD_GID },
    );
  }, 120_000);

  it("names the mode on /readyz and GET /v1/system", async () => {
    const ready = (await (await fetch(`${e.base}/readyz`)).json()) as { sandbox: string; store: string };
    expect(ready).toMatchObject({ sandbox: "namespaces", store: "postgres" });
    const system = (await (await fetch(`${e.base}/v1/system`, { headers: auth })).json()) as {
      sandbox: { mode: string; configured: string; reason: string | null };
    };
    expect(system.sandbox).toMatchObject({ mode: "namespaces", configured: "namespaces", reason: null });
    expect(e.process.logs()).toMatch(/sandbox isolation: namespaces/);
  });

  it("generated code can read neither the key file nor the evaluator's environment, and cannot reach loopback", async () => {
    const tests = [
      "r = probe()",
      "assert r['uid'] == 1000, r",
      "assert r['key'].startswith('denied'), r",
      "assert r['environ'].startswith('denied'), r",
      "assert r['loopback'].startswith('denied'), r",
    ].join("\n");
    const r = await score(e, PROBE(join(dir, "api-keys"), join(dir, "none.db"), e.port), tests);
    expect(r.checks[0]?.detail, JSON.stringify(r)).toMatch(/^tests passed/);
    expect(r.passed).toBe(true);
    expect(r.checks[0]?.isolation).toBe("namespaces");
  });

  it("the probe is not vacuous: the same tests fail when the probe claims a read", async () => {
    const r = await score(
      e,
      `${PROBE(join(dir, "api-keys"), join(dir, "none.db"), e.port)}\n_real = probe\ndef probe():\n    return {**_real(), 'key': 'READ x'}`,
      "r = probe()\nassert r['key'].startswith('denied'), r",
    );
    expect(r.passed).toBe(false);
    expect(r.error).toBeUndefined();
  });
});

describe("auto without namespaces (bwrap unusable)", () => {
  let e: Started;
  beforeAll(async () => {
    e = await startPodEvaluator({
      EVALSTACK_DB_PATH: join(dir, "auto.db"),
      EVALSTACK_SANDBOX_ISOLATION: "auto",
      EVALSTACK_SANDBOX_BWRAP: "/usr/bin/false",
    });
  }, 120_000);

  it("says so at start-up, on /readyz and on GET /v1/system", async () => {
    expect(e.process.logs()).toMatch(/sandbox isolation unavailable: code items will end as errors/);
    const ready = (await (await fetch(`${e.base}/readyz`)).json()) as { sandbox: string };
    expect(ready.sandbox).toBe("unavailable");
    const system = (await (await fetch(`${e.base}/v1/system`, { headers: auth })).json()) as {
      sandbox: { mode: string; configured: string; reason: string };
    };
    expect(system.sandbox.mode).toBe("unavailable");
    expect(system.sandbox.configured).toBe("auto");
    expect(system.sandbox.reason).toMatch(/sandbox isolation unavailable: bubblewrap \(\/usr\/bin\/false\) cannot create namespaces/);
  });

  it("a correct code reply ends as an error, never a pass and never a silent rlimits run", async () => {
    const r = await score(e, "def f(x):\n    return x * 2", "assert f(2) == 4");
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/sandbox isolation unavailable/);
    expect(r.checks[0]?.error).toMatch(/sandbox isolation unavailable/);
    expect(r.checks[0]?.isolation).toBeUndefined();
    // and the process keeps serving
    expect((await fetch(`${e.base}/healthz`)).status).toBe(200);
  });
});

describe("rlimits, configured explicitly (the evaluator as root: programs under uids of their own)", () => {
  let e: Started;
  beforeAll(async () => {
    // The key file as a root-only secret; the SQLite file created by the evaluator (umask 077).
    writeFileSync(join(dir, "api-keys"), `${API_KEY}\n`);
    chownSync(join(dir, "api-keys"), 0, 0);
    chmodSync(join(dir, "api-keys"), 0o400);
    e = await startPodEvaluator({ EVALSTACK_DB_PATH: join(dir, "rlimits.db"), EVALSTACK_SANDBOX_ISOLATION: "rlimits" });
  }, 120_000);

  it("warns, names rlimits on /readyz, and the code cannot read the key file, the database or the evaluator's environment", async () => {
    expect(e.process.logs()).toMatch(/sandbox isolation: rlimits only \(configured explicitly\)/);
    expect(((await (await fetch(`${e.base}/readyz`)).json()) as { sandbox: string }).sandbox).toBe("rlimits");
    const tests = [
      "r = probe()",
      "assert r['uid'] != 0, r",
      "assert r['key'].startswith('denied'), r",
      "assert r['database'].startswith('denied'), r",
      "assert r['environ'].startswith('denied'), r",
    ].join("\n");
    const r = await score(e, PROBE(join(dir, "api-keys"), join(dir, "rlimits.db"), e.port), tests);
    expect(r.checks[0]?.detail, JSON.stringify(r)).toMatch(/^tests passed/);
    expect(r.checks[0]?.isolation).toBe("rlimits");
  });
});
