// Command-line options of `npm run compare` and `npm run stack` (flags win over environment variables).
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DB_PATH, DEFAULT_PORTS, MODEL_SERVICES, REPO_ROOT, type ModelServiceName, type Profile, type StackPorts } from "@evalstack/local-stack";

export class UsageError extends Error {}

/**
 * Parses a command's arguments: a usage error prints the message and the usage and gives exit code 2,
 * --help prints the usage and gives 0; otherwise the parsed arguments.
 */
export function parseCommandLine<T extends { help: boolean }>(
  command: string,
  parse: (argv: string[]) => T,
  usage: string,
  argv = process.argv.slice(2),
): T | number {
  let args: T;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n\n${usage}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return args;
}

export interface StackArgs {
  profile: Profile;
  /** Model services to start here. */
  localModels: ModelServiceName[];
  /** name → host:port of models that already run (not started). */
  externalModels: Record<string, string>;
  /** Every model of the comparison, in order. */
  modelNames: string[];
  ports: StackPorts;
  dbPath: string;
  verbose: boolean;
  help: boolean;
}

export interface CompareArgs extends StackArgs {
  suite: string;
  repeats: number;
  concurrency: number | Record<string, number> | undefined;
  maxTokens: number | undefined;
  temperature: number;
  seed: number;
  keepRunning: boolean;
  /** Reports go to <out>/<run-id>/. */
  out: string;
}

const PORT_FLAGS: Record<keyof StackPorts, { flag: string; env: string }> = {
  evaluator: { flag: "evaluator-port", env: "EVALSTACK_PORT" },
  qwen: { flag: "qwen-port", env: "QWEN_GRPC_PORT" },
  phi3: { flag: "phi3-port", env: "PHI3_GRPC_PORT" },
  qwenMetrics: { flag: "qwen-metrics-port", env: "QWEN_METRICS_PORT" },
  phi3Metrics: { flag: "phi3-metrics-port", env: "PHI3_METRICS_PORT" },
};

/** How to move a service to another port, for error messages. */
export function portHint(key: keyof StackPorts): string {
  return `--${PORT_FLAGS[key].flag} <port> (or ${PORT_FLAGS[key].env}; 0 picks a free port)`;
}

const STACK_OPTIONS = {
  profile: { type: "string" },
  models: { type: "string" },
  db: { type: "string" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  ...Object.fromEntries(Object.values(PORT_FLAGS).map((p) => [p.flag, { type: "string" }])),
} as const;

const COMPARE_OPTIONS = {
  ...STACK_OPTIONS,
  suite: { type: "string" },
  repeats: { type: "string" },
  concurrency: { type: "string" },
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  seed: { type: "string" },
  "keep-running": { type: "boolean" },
  out: { type: "string" },
} as const;

type Values = Record<string, string | boolean | undefined>;

function integer(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${what}: expected an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

function parse(argv: string[], options: typeof STACK_OPTIONS | typeof COMPARE_OPTIONS): Values {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function stackArgs(values: Values, env: NodeJS.ProcessEnv): StackArgs {
  const profile = (values.profile as string | undefined) ?? env.MODEL_PROFILE ?? "small";
  if (profile !== "small" && profile !== "seed") throw new UsageError(`--profile: expected small or seed, got "${profile}"`);
  const localModels: ModelServiceName[] = [];
  const externalModels: Record<string, string> = {};
  const modelNames: string[] = [];
  for (const part of ((values.models as string | undefined) ?? "qwen,phi3").split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, target] = part.split("=").map((s) => s.trim()) as [string, string | undefined];
    if (modelNames.includes(name)) throw new UsageError(`--models: ${name} is named twice`);
    if (target !== undefined) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || !/^[^\s:]+:\d+$/.test(target)) throw new UsageError(`--models: expected name or name=host:port, got "${part}"`);
      externalModels[name] = target;
    } else if ((MODEL_SERVICES as readonly string[]).includes(name)) {
      localModels.push(name as ModelServiceName);
    } else {
      throw new UsageError(`--models: "${name}" is not a model service of this repository (${MODEL_SERVICES.join(", ")}); give a running one as ${name}=host:port`);
    }
    modelNames.push(name);
  }
  if (modelNames.length === 0) throw new UsageError("--models: name at least one model");
  const ports = { ...DEFAULT_PORTS };
  for (const [key, { flag, env: name }] of Object.entries(PORT_FLAGS) as [keyof StackPorts, { flag: string; env: string }][]) {
    const text = (values[flag] as string | undefined) ?? env[name];
    if (text !== undefined && text !== "") ports[key] = integer(text, values[flag] !== undefined ? `--${flag}` : name, 0, 65535);
  }
  const db = (values.db as string | undefined) ?? env.EVALSTACK_DB_PATH;
  return {
    profile,
    localModels,
    externalModels,
    modelNames,
    ports,
    dbPath: db ? path.resolve(db) : DEFAULT_DB_PATH,
    verbose: Boolean(values.verbose),
    help: Boolean(values.help),
  };
}

export function parseStackArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): StackArgs {
  return stackArgs(parse(argv, STACK_OPTIONS), env);
}

export function parseCompareArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CompareArgs {
  const values = parse(argv, COMPARE_OPTIONS);
  const base = stackArgs(values, env);
  const text = (name: string) => values[name] as string | undefined;
  let concurrency: CompareArgs["concurrency"];
  const c = text("concurrency");
  if (c !== undefined) {
    if (c.includes("=")) {
      concurrency = {};
      for (const part of c.split(",").map((p) => p.trim()).filter(Boolean)) {
        const [name, n] = part.split("=") as [string, string | undefined];
        if (!base.modelNames.includes(name)) throw new UsageError(`--concurrency: ${name} is not one of the models (${base.modelNames.join(", ")})`);
        concurrency[name] = integer(n ?? "", `--concurrency ${name}`, 1, 256);
      }
    } else concurrency = integer(c, "--concurrency", 1, 256);
  }
  const temperature = Number(text("temperature") ?? 0);
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 5) throw new UsageError(`--temperature: expected a number from 0 to 5, got "${text("temperature")}"`);
  const maxTokens = text("max-tokens");
  return {
    ...base,
    suite: text("suite") ?? "seed-50",
    repeats: integer(text("repeats") ?? "1", "--repeats", 1, 100),
    concurrency,
    maxTokens: maxTokens === undefined ? undefined : integer(maxTokens, "--max-tokens", 1, 32_768),
    temperature,
    seed: integer(text("seed") ?? "1", "--seed", 0, 2 ** 32 - 1),
    keepRunning: Boolean(values["keep-running"]),
    out: path.resolve(REPO_ROOT, text("out") ?? "reports"),
  };
}

const COMMON_HELP = `  --profile small|seed     small (default): the small GGUFs registry packages ship, CPU; seed: the real
                           Qwen2.5-7B-Instruct and Phi-3-mini GGUFs from the hub (resumable, sha256-pinned,
                           GPU offload when present)                                        [MODEL_PROFILE]
  --models qwen,phi3       the models (default both); name=host:port uses one that already runs
  --evaluator-port N       default 8080                                                   [EVALSTACK_PORT]
  --qwen-port N            default 50051                                                  [QWEN_GRPC_PORT]
  --phi3-port N            default 50052                                                  [PHI3_GRPC_PORT]
  --qwen-metrics-port N    default 9464                                                [QWEN_METRICS_PORT]
  --phi3-metrics-port N    default 9465 (any port 0: a free one)                       [PHI3_METRICS_PORT]
  --db FILE                the evaluator's SQLite file (default ./data/evalstack.db)    [EVALSTACK_DB_PATH]
  --verbose                print the services' logs
  -h, --help`;

export const COMPARE_USAGE = `usage: npm run compare [-- options]

Starts the model services and the evaluator locally, runs a suite on every model, prints the scores side by
side and the performance table, writes the reports (md, html, json, csv) to reports/<run-id>/, and stops
everything it started. Ctrl-C stops cleanly; a second Ctrl-C kills at once.

  --suite ID|FILE          a built-in suite (seed-50, smoke-6) or a JSON/JSONL suite file (default seed-50)
  --repeats N              how often each item is sent to each model (default 1)
  --concurrency N|m=N,...  calls in flight per model (default: the model's slots)
  --max-tokens N           a ceiling on every item's max_tokens
  --temperature X          sampling temperature (default 0: greedy, repeatable)
  --seed N                 sampling seed (default 1; repeat r uses seed + r)
  --keep-running           leave the stack up after the run (Ctrl-C stops it)
  --out DIR                where reports go (default reports)
${COMMON_HELP}

Other settings of the services (MODEL_SLOTS, MODEL_THREADS, MODEL_CONTEXT_SIZE, MODEL_GPU, ...) pass through
the environment.`;

export const STACK_USAGE = `usage: npm run stack [-- options]

Starts the model services and the evaluator locally, prints their endpoints and keeps them running until
Ctrl-C (for notebooks and load tests).

${COMMON_HELP}`;
