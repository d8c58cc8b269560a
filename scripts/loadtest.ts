// `npm run loadtest`: the load tests against the model services (and the evaluator when given), with the
// tables printed at the end and every summary kept as JSON.
//
//   npm run loadtest                                   # starts the small models locally, sweeps each
//   npm run loadtest -- --targets qwen=10.0.0.5:50051,phi3=10.0.0.6:50052 --evaluator http://10.0.0.7:8080
//   npm run loadtest -- --scenario smoke --max-tokens 24 --evaluator http://localhost:8080
//
// Options (flags win over environment variables):
//   --targets name=host:port,...   LOADTEST_TARGETS (or EVALSTACK_MODELS); none: start the local stack (the
//                                  models and the evaluator) and test all of it
//   --models qwen,phi3             which models to test (default: every target)
//   --evaluator URL                LOADTEST_EVALUATOR; also run loadtests/http-evaluator.ts against it
//   --no-evaluator                 local stack: start and test the models only
//   --only models|evaluator        run only the model sweeps, or only the evaluator's script
//   --scenario sweep|smoke|rate|soak   (default sweep)
//   --vus 1,2,4,8  --stage-duration 30s  --max-tokens 64  --prompts FILE  --threads N (local models)
//   --out DIR                      where summaries go (default loadtests/results/<time>)
//   --export-prompts FILE          only write the seed-50 prompts as a prompts file (for a ConfigMap) and exit
// Every other setting of the scripts (THRESHOLD_*, SLO_*, RATES, ...) passes through the environment.
// Exits 99 when a threshold failed, 1 on an error, 0 otherwise.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { waitForServing } from "@evalstack/contract";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LOADTESTS = path.join(ROOT, "loadtests");
const FALLBACK_PROMPTS = path.join(LOADTESTS, "prompts", "fallback.json");

export interface LoadtestArgs {
  targets: Map<string, string>;
  models?: string[];
  evaluator?: string;
  noEvaluator: boolean;
  only?: "models" | "evaluator";
  scenario: string;
  vus?: string;
  stageDuration?: string;
  maxTokens?: string;
  prompts?: string;
  threads: number;
  out: string;
  exportPrompts?: string;
}

export function parseTargets(text: string | undefined): Map<string, string> {
  const targets = new Map<string, string>();
  for (const part of (text ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, address] = part.split("=");
    if (!name || !address) throw new Error(`targets: expected name=host:port, got "${part}"`);
    targets.set(name.trim(), address.trim());
  }
  return targets;
}

function onlyValue(value: string): "models" | "evaluator" {
  if (value !== "models" && value !== "evaluator") throw new Error(`--only: expected models or evaluator, got "${value}"`);
  return value;
}

export function parseLoadtestArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): LoadtestArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      targets: { type: "string" },
      models: { type: "string" },
      evaluator: { type: "string" },
      "no-evaluator": { type: "boolean" },
      only: { type: "string" },
      scenario: { type: "string" },
      vus: { type: "string" },
      "stage-duration": { type: "string" },
      "max-tokens": { type: "string" },
      prompts: { type: "string" },
      threads: { type: "string" },
      out: { type: "string" },
      "export-prompts": { type: "string" },
    },
    strict: true,
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const evaluator = values.evaluator ?? env.LOADTEST_EVALUATOR;
  const models = values.models?.split(",").map((m) => m.trim()).filter(Boolean);
  return {
    targets: parseTargets(values.targets ?? env.LOADTEST_TARGETS ?? env.EVALSTACK_MODELS),
    ...(models ? { models } : {}),
    ...(evaluator ? { evaluator } : {}),
    noEvaluator: values["no-evaluator"] ?? false,
    ...(values.only === undefined ? {} : { only: onlyValue(values.only) }),
    scenario: values.scenario ?? env.SCENARIO ?? "sweep",
    ...(values.vus ? { vus: values.vus } : {}),
    ...(values["stage-duration"] ? { stageDuration: values["stage-duration"] } : {}),
    ...(values["max-tokens"] ? { maxTokens: values["max-tokens"] } : {}),
    ...(values.prompts ? { prompts: values.prompts } : {}),
    threads: Number(values.threads ?? 1),
    out: path.resolve(values.out ?? path.join(LOADTESTS, "results", stamp)),
    ...(values["export-prompts"] ? { exportPrompts: path.resolve(values["export-prompts"]) } : {}),
  };
}

/**
 * The seed-50 suite's prompts as a prompts file, or the fallback file when the suite cannot be loaded.
 * The suite module is imported by a computed path: the load tests must keep working while it is absent.
 */
export async function exportSuitePrompts(file: string, suiteId = "seed-50"): Promise<{ file: string; source: string; count: number }> {
  const suitesModule = path.join(ROOT, "services", "evaluator", "src", "suites", "index.ts");
  try {
    if (!existsSync(suitesModule)) throw new Error(`${path.relative(ROOT, suitesModule)} does not exist yet`);
    const mod = (await import(pathToFileURL(suitesModule).href)) as {
      builtinSuites?: () => { id: string; items: { id: string; messages: unknown[]; max_tokens?: number }[] }[] | Promise<unknown>;
    };
    if (typeof mod.builtinSuites !== "function") throw new Error("no builtinSuites() export");
    const suites = (await mod.builtinSuites()) as { id: string; items: { id: string; messages: unknown[]; max_tokens?: number }[] }[];
    const suite = suites.find((s) => s.id === suiteId);
    if (!suite) throw new Error(`no built-in suite "${suiteId}"`);
    const prompts = suite.items.map((item) => ({ id: item.id, messages: item.messages, ...(item.max_tokens ? { max_tokens: item.max_tokens } : {}) }));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(prompts, null, 2) + "\n");
    return { file, source: suiteId, count: prompts.length };
  } catch (error) {
    const count = (JSON.parse(readFileSync(FALLBACK_PROMPTS, "utf8")) as unknown[]).length;
    console.error(`loadtest: the ${suiteId} suite is not available (${(error as Error).message}); using ${path.relative(ROOT, FALLBACK_PROMPTS)}`);
    return { file: FALLBACK_PROMPTS, source: "fallback", count };
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalModel {
  name: string;
  target: string;
  child: ChildProcess;
}

/**
 * Starts model services as local child processes on free ports and waits for gRPC health SERVING.
 * Stand-in for the project's local-stack launcher (issue 5): swap this for it when it lands.
 */
export async function startLocalModels(
  names: string[],
  { threads = 1, env = {}, timeoutMs = 240_000 }: { threads?: number; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<LocalModel[]> {
  const started: LocalModel[] = [];
  try {
    for (const name of names) {
      const grpcPort = await freePort();
      const metricsPort = await freePort();
      const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "services", name, "src", "main.ts")], {
        cwd: ROOT,
        env: {
          ...process.env,
          GRPC_PORT: String(grpcPort),
          METRICS_PORT: String(metricsPort),
          MODEL_THREADS: String(threads),
          MODEL_SLOTS: process.env.MODEL_SLOTS ?? "2",
          LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
          ...env,
        },
        stdio: ["ignore", "inherit", "inherit"],
        detached: true, // its own process group, so stopping it takes every process it started
      });
      started.push({ name, target: `localhost:${grpcPort}`, child });
    }
    await Promise.all(
      started.map(async (model) => {
        const exited = new Promise<never>((_, reject) =>
          model.child.once("exit", (code, signal) => reject(new Error(`${model.name} exited (${signal ?? code}) before SERVING`))),
        );
        await Promise.race([waitForServing(model.target, timeoutMs), exited]);
      }),
    );
    return started;
  } catch (error) {
    await stopLocalModels(started);
    throw error;
  }
}

export async function stopLocalModels(models: LocalModel[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    models.map(
      (model) =>
        new Promise<void>((resolve) => {
          const pid = model.child.pid;
          if (pid === undefined || model.child.exitCode !== null || model.child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            try {
              process.kill(-pid, "SIGKILL");
            } catch {
              /* already gone */
            }
          }, graceMs);
          model.child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          try {
            process.kill(-pid, "SIGTERM");
          } catch {
            clearTimeout(timer);
            resolve();
          }
        }),
    ),
  );
}

export interface LocalEvaluator {
  baseUrl: string;
  child: ChildProcess;
}

/** Starts the evaluator (auth off, a fresh SQLite file) for `models` and waits for /readyz. */
export async function startLocalEvaluator(
  models: { name: string; target: string }[],
  { dbPath, timeoutMs = 120_000 }: { dbPath: string; timeoutMs?: number },
): Promise<LocalEvaluator> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "services", "evaluator", "src", "main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      EVALSTACK_HOST: "127.0.0.1",
      EVALSTACK_PORT: String(port),
      EVALSTACK_MODELS: models.map((m) => `${m.name}=${m.target}`).join(","),
      EVALSTACK_AUTH: "off",
      EVALSTACK_DB_PATH: dbPath,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const evaluator = { baseUrl: `http://127.0.0.1:${port}`, child };
  const until = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the evaluator exited (${child.signalCode ?? child.exitCode}) before it was ready`);
      try {
        const response = await fetch(`${evaluator.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return evaluator;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > until) throw new Error(`the evaluator was not ready after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stopLocalModels([{ name: "evaluator", target: "", child }]);
    throw error;
  }
}

/** Runs one load-test script as a child process (as CI and Kubernetes run them); resolves its exit code. */
export function runScript(script: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(LOADTESTS, script)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const args = parseLoadtestArgs(process.argv.slice(2));
  if (args.exportPrompts) {
    const exported = await exportSuitePrompts(args.exportPrompts);
    if (exported.source === "fallback") return 1;
    console.log(`${exported.count} prompts of ${exported.source} written to ${path.relative(process.cwd(), exported.file)}`);
    return 0;
  }
  mkdirSync(args.out, { recursive: true });
  const prompts = args.prompts ? { file: path.resolve(args.prompts), source: args.prompts, count: NaN } : await exportSuitePrompts(path.join(args.out, "prompts.json"));
  // Until the project's local-stack launcher (issue 5) is used here, the stack is started by the functions above.
  let local: LocalModel[] = [];
  let targets = args.targets;
  let evaluatorUrl = args.evaluator;
  if (targets.size === 0) {
    const names = args.models ?? ["qwen", "phi3"];
    console.error(
      `loadtest: no targets given; starting ${names.join(", ")}${args.noEvaluator || evaluatorUrl ? "" : " and the evaluator"} locally (MODEL_THREADS=${args.threads})`,
    );
    local = await startLocalModels(names, { threads: args.threads });
    targets = new Map(local.map((m) => [m.name, m.target]));
    if (!args.noEvaluator && !evaluatorUrl && args.only !== "models") {
      try {
        const evaluator = await startLocalEvaluator(local, { dbPath: path.join(args.out, "evaluator.db") });
        local.push({ name: "evaluator", target: evaluator.baseUrl, child: evaluator.child });
        evaluatorUrl = evaluator.baseUrl;
      } catch (error) {
        await stopLocalModels(local);
        throw error;
      }
    }
  }
  const stop = () => {
    void stopLocalModels(local).then(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const codes: number[] = [];
  const reports: string[] = [];
  try {
    for (const [name, target] of args.only === "evaluator" ? [] : targets) {
      if (args.models && !args.models.includes(name)) continue;
      const base = path.join(args.out, `grpc-generate-${name}`);
      const code = await runScript("grpc-generate.ts", {
        TARGET: target,
        SCENARIO: args.scenario,
        PROMPTS_FILE: prompts.file,
        SUMMARY_JSON: `${base}.json`,
        SUMMARY_MD: `${base}.md`,
        ...(args.vus ? { SWEEP_VUS: args.vus } : {}),
        ...(args.stageDuration ? { STAGE_DURATION: args.stageDuration } : {}),
        ...(args.maxTokens ? { MAX_TOKENS: args.maxTokens } : {}),
      });
      codes.push(code);
      if (existsSync(`${base}.md`)) reports.push(readFileSync(`${base}.md`, "utf8"));
    }
    if (evaluatorUrl && args.only !== "models") {
      const base = path.join(args.out, "http-evaluator");
      const code = await runScript("http-evaluator.ts", {
        BASE_URL: evaluatorUrl,
        SCENARIO: args.scenario === "smoke" ? "smoke" : "load",
        SUMMARY_JSON: `${base}.json`,
        SUMMARY_MD: `${base}.md`,
        ...(args.models ? { MODELS: args.models.join(",") } : {}),
        ...(args.maxTokens ? { MAX_TOKENS: args.maxTokens } : {}),
      });
      codes.push(code);
      if (existsSync(`${base}.md`)) reports.push(readFileSync(`${base}.md`, "utf8"));
    }
  } finally {
    await stopLocalModels(local);
  }
  const report = `# Load test ${path.basename(args.out)}\n\nPrompts: ${prompts.source} (${path.relative(ROOT, prompts.file)})\n\n${reports.join("\n")}`;
  writeFileSync(path.join(args.out, "loadtest.md"), report);
  console.log(`\n${"=".repeat(80)}\n${report}\nSummaries (JSON and Markdown) in ${path.relative(process.cwd(), args.out) || "."}`);
  if (codes.some((c) => c !== 0 && c !== 99)) return 1;
  return codes.includes(99) ? 99 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`loadtest: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
