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
//   --models a,b,c                 which models to test (default: every target; no targets: the catalog's
//                                  default models). Catalog names start locally; name=host:port joins
//                                  one that already runs
//   --evaluator URL                LOADTEST_EVALUATOR; also run loadtests/http-evaluator.ts against it
//   --no-evaluator                 local stack: start and test the models only
//   --only models|evaluator        run only the model sweeps, or only the evaluator's script
//   --protocol grpc|openai         LOADTEST_PROTOCOL: how the model sweeps talk to the targets (default grpc);
//                                  openai takes base URLs: --targets llama=http://127.0.0.1:8080/v1
//   --scenario sweep|smoke|rate|soak   (default sweep)
//   --vus 1,2,4,8  --stage-duration 30s  --max-tokens 64  --prompts FILE
//   --threads N                    MODEL_THREADS of each local model (default: the cores split between them)
//   --out DIR                      where summaries go (default loadtests/results/<time>)
//   --export-prompts FILE          only write the seed-50 prompts as a prompts file (for a ConfigMap) and exit
// Every other setting of the scripts (THRESHOLD_*, SLO_*, RATES, ...) passes through the environment.
// The local stack is @evalstack/local-stack's startLocalStack (as `npm run stack` starts it), on free ports.
// Exits 99 when a threshold failed, 1 on an error, 130 on Ctrl-C, 0 otherwise.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseLogLine, StackStartError, startLocalStack, type LocalStack, type StackEvent } from "@evalstack/local-stack";
import { loadCatalog } from "@evalstack/model-catalog";
import { handleInterrupts } from "./lib/interrupts.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LOADTESTS = path.join(ROOT, "loadtests");
const FALLBACK_PROMPTS = path.join(LOADTESTS, "prompts", "fallback.json");

export interface LoadtestArgs {
  targets: Map<string, string>;
  protocol: "grpc" | "openai";
  /** The models to test, by name (a name=host:port of --models is also in `targets`). */
  models?: string[];
  evaluator?: string;
  noEvaluator: boolean;
  only?: "models" | "evaluator";
  scenario: string;
  vus?: string;
  stageDuration?: string;
  maxTokens?: string;
  prompts?: string;
  /** MODEL_THREADS of each local model; unset: the launcher splits the cores between them. */
  threads?: number;
  out: string;
  exportPrompts?: string;
}

export function parseTargets(text: string | undefined): Map<string, string> {
  const targets = new Map<string, string>();
  for (const part of (text ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, address] = part.split("=");
    if (!name || !address) throw new Error(`targets: expected name=host:port, got "${part}"`);
    targets.set(name.trim(), address.trim());
  }
  return targets;
}

function threadsValue(value: string): number {
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: expected a whole number >= 1, got "${value}"`);
  return threads;
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
      protocol: { type: "string" },
    },
    strict: true,
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const evaluator = values.evaluator ?? env.LOADTEST_EVALUATOR;
  const parts = values.models
    ?.split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  const targets = parseTargets(values.targets ?? env.LOADTEST_TARGETS ?? env.EVALSTACK_MODELS);
  for (const [name, address] of parseTargets(parts?.filter((p) => p.includes("=")).join(","))) targets.set(name, address);
  const models = parts?.map((p) => p.split("=")[0]!.trim());
  const protocol = values.protocol ?? env.LOADTEST_PROTOCOL ?? "grpc";
  if (protocol !== "grpc" && protocol !== "openai") throw new Error(`--protocol: expected grpc or openai, got "${protocol}"`);
  return {
    targets,
    protocol,
    ...(models ? { models } : {}),
    ...(evaluator ? { evaluator } : {}),
    noEvaluator: values["no-evaluator"] ?? false,
    ...(values.only === undefined ? {} : { only: onlyValue(values.only) }),
    scenario: values.scenario ?? env.SCENARIO ?? "sweep",
    ...(values.vus ? { vus: values.vus } : {}),
    ...(values["stage-duration"] ? { stageDuration: values["stage-duration"] } : {}),
    ...(values["max-tokens"] ? { maxTokens: values["max-tokens"] } : {}),
    ...(values.prompts ? { prompts: values.prompts } : {}),
    ...(values.threads === undefined ? {} : { threads: threadsValue(values.threads) }),
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
    const prompts = suite.items.map((item) => ({
      id: item.id,
      messages: item.messages,
      ...(item.max_tokens ? { max_tokens: item.max_tokens } : {}),
    }));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(prompts, null, 2)}\n`);
    return { file, source: suiteId, count: prompts.length };
  } catch (error) {
    const count = (JSON.parse(readFileSync(FALLBACK_PROMPTS, "utf8")) as unknown[]).length;
    console.error(
      `loadtest: the ${suiteId} suite is not available (${(error as Error).message}); using ${path.relative(ROOT, FALLBACK_PROMPTS)}`,
    );
    return { file: FALLBACK_PROMPTS, source: "fallback", count };
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
  const prompts = args.prompts
    ? { file: path.resolve(args.prompts), source: args.prompts, count: NaN }
    : await exportSuitePrompts(path.join(args.out, "prompts.json"));
  let stack: LocalStack | undefined;
  let starting = false;
  let stopped: Promise<void> | undefined;
  const stopStack = () => (stopped ??= stack?.stop() ?? Promise.resolve());
  // Ctrl-C: the first stops what this command started (a start-up in progress is aborted, and stops what it
  // had started itself), a second one kills it at once.
  const interrupts = handleInterrupts({
    onFirst: (signal) => {
      console.error(
        `\nloadtest: ${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping${stack || starting ? " the local stack (again to kill it at once)" : ""}`,
      );
      if (!starting) void stopStack().then(() => process.exit(130));
    },
    onSecond: () => {
      stack?.kill();
      process.exit(130); // the launcher SIGKILLs whatever a start-up in progress had started
    },
  });
  let targets = args.targets;
  let evaluatorUrl = args.evaluator;
  const catalog = loadCatalog(process.env.MODEL_CATALOG || undefined);
  // Models of --models that are not running targets are started here from the catalog.
  const toStart = args.models ? args.models.filter((name) => !targets.has(name)) : targets.size === 0 ? [...catalog.defaultModels] : [];
  if (toStart.length > 0 && args.protocol === "openai") {
    throw new Error(
      `--protocol openai needs every model as name=http://host:port/v1 in --targets or --models (${toStart.join(", ")} would be started locally, and the local model services speak gRPC)`,
    );
  }
  if (toStart.length > 0) {
    const names = toStart;
    const unknown = names.filter((name) => !catalog.has(name));
    if (unknown.length > 0)
      throw new Error(
        `--models: ${unknown.join(", ")} not in the model catalog (${catalog.names().join(", ")}); give a running one as name=host:port`,
      );
    const withEvaluator = !args.noEvaluator && !evaluatorUrl && args.only !== "models";
    const threads = args.threads
      ? `MODEL_THREADS=${args.threads}`
      : process.env.MODEL_THREADS
        ? `MODEL_THREADS=${process.env.MODEL_THREADS}`
        : "the cores split between the models";
    console.error(
      `loadtest: ${targets.size === 0 ? "no targets given; " : ""}starting ${names.join(", ")}${withEvaluator ? " and the evaluator" : ""} locally (${threads})`,
    );
    // The services log at info (the launcher reads their start-up from it); shown here: LOG_LEVEL (default warn) and above.
    const verbose = process.env.LOG_LEVEL === "debug" || process.env.LOG_LEVEL === "trace" ? { LOG_LEVEL: process.env.LOG_LEVEL } : {};
    starting = true;
    try {
      stack = await startLocalStack({
        catalog,
        models: names,
        externalModels: Object.fromEntries(targets),
        freePorts: true,
        evaluator: withEvaluator,
        dbPath: path.join(args.out, "evaluator.db"),
        modelEnv: { ...(args.threads ? { MODEL_THREADS: String(args.threads) } : {}), ...verbose },
        evaluatorEnv: verbose,
        signal: interrupts.signal,
        onEvent: stackEventPrinter(process.env.LOG_LEVEL),
      });
    } catch (error) {
      if (interrupts.signal.aborted) return 130;
      throw error;
    } finally {
      starting = false;
    }
    if (interrupts.signal.aborted) {
      await stopStack();
      return 130;
    }
    targets = new Map(stack.models.map((m) => [m.name, m.target]));
    if (stack.evaluator) evaluatorUrl = stack.evaluator.url;
  }
  const codes: number[] = [];
  const reports: string[] = [];
  try {
    for (const [name, target] of args.only === "evaluator" ? [] : targets) {
      if (args.models && !args.models.includes(name)) continue;
      if (interrupts.signal.aborted) break;
      const base = path.join(args.out, `${args.protocol}-generate-${name}`);
      const code = await runScript("generate.ts", {
        PROTOCOL: args.protocol,
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
    if (evaluatorUrl && args.only !== "models" && !interrupts.signal.aborted) {
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
    await stopStack();
  }
  if (interrupts.signal.aborted) return 130;
  interrupts.dispose();
  const report = `# Load test ${path.basename(args.out)}\n\nPrompts: ${prompts.source} (${path.relative(ROOT, prompts.file)})\n\n${reports.join("\n")}`;
  writeFileSync(path.join(args.out, "loadtest.md"), report);
  console.log(`\n${"=".repeat(80)}\n${report}\nSummaries (JSON and Markdown) in ${path.relative(process.cwd(), args.out) || "."}`);
  if (codes.some((c) => c !== 0 && c !== 99)) return 1;
  return codes.includes(99) ? 99 : 0;
}

const LOG_LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** The local stack's start-up on stderr, and the services' log lines from `logLevel` (default warn) up. */
function stackEventPrinter(logLevel: string | undefined): (event: StackEvent) => void {
  const least = LOG_LEVELS[logLevel ?? "warn"] ?? LOG_LEVELS.warn!;
  return (event) => {
    switch (event.type) {
      case "starting":
        console.error(`loadtest: ${event.name} starting (pid ${event.pid}) on ${event.endpoint}`);
        break;
      case "ready":
        console.error(
          `loadtest: ${event.name} ${event.name === "evaluator" ? "ready" : "SERVING"} after ${(event.ms / 1000).toFixed(1)} s`,
        );
        break;
      case "log": {
        const log = parseLogLine(event.line);
        if (!log || (log.level ?? 0) >= least) console.error(`[${event.name}] ${event.line}`);
        break;
      }
      case "exited":
        if (!event.expected) console.error(`loadtest: ${event.name} exited (code ${event.status.code}, signal ${event.status.signal})`);
        break;
    }
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`loadtest: ${(error as Error).message}`);
      if (error instanceof StackStartError)
        console.error(
          error.output
            .split("\n")
            .slice(-12)
            .map((l) => `    ${l}`)
            .join("\n"),
        );
      process.exit(1);
    },
  );
}
