// Command-line options of `npm run compare` and `npm run stack` (flags win over environment variables).
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DB_PATH, DEFAULT_EVALUATOR_PORT, REPO_ROOT, type Profile, type StackPortRequest } from "@evalstack/local-stack";
import { CATALOG_FILE, CatalogError, loadCatalog, type Catalog } from "@evalstack/model-catalog";

export class UsageError extends Error {}

/**
 * Parses a command's arguments: a usage error prints the message and the usage and gives exit code 2,
 * --help prints the usage and gives 0; otherwise the parsed arguments.
 */
export function parseCommandLine<T extends { help: boolean }>(
  command: string,
  parse: (argv: string[]) => T,
  usage: () => string,
  argv = process.argv.slice(2),
): T | number {
  let args: T;
  try {
    args = parse(argv);
  } catch (error) {
    // A bad catalog is named with its entry and field; the usage (built from the catalog) cannot be shown.
    if (error instanceof CatalogError) {
      process.stderr.write(`${command}: ${error.message}\n`);
      return 2;
    }
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n\n${usage()}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  return args;
}

export interface StackArgs {
  /** The model catalog (MODEL_CATALOG, default models/catalog.yaml; the model services read the same one). */
  catalog: Catalog;
  profile: Profile;
  /** Catalog models to start here. */
  localModels: string[];
  /** name → host:port of models that already run (not started). */
  externalModels: Record<string, string>;
  /** Every model of the comparison, in order. */
  modelNames: string[];
  /** The ports given by flag or environment; the rest are the catalog's (or free ones with freePorts). */
  ports: StackPortRequest;
  /** --free-ports: every port not given is a free one. */
  freePorts: boolean;
  dbPath: string;
  verbose: boolean;
  help: boolean;
}

export interface CompareArgs extends StackArgs {
  /** One suite id or file, or several separated by commas (one run over their items). */
  suite: string;
  /** At most this many items of each suite. */
  limit: number | undefined;
  /** Shuffle each suite reproducibly before the limit. */
  shuffleSeed: number | undefined;
  repeats: number;
  concurrency: number | Record<string, number> | undefined;
  maxTokens: number | undefined;
  temperature: number;
  seed: number;
  keepRunning: boolean;
  /** Reports go to <out>/<run-id>/. */
  out: string;
}

/** A port flag: `--evaluator-port`, or `--<model>-port` / `--<model>-metrics-port` for each catalog model. */
interface PortFlag {
  /** The stack's port key: evaluator, <model>.grpc, <model>.metrics. */
  key: string;
  flag: string;
  env: string;
  defaultPort: number;
}

function portFlags(catalog: Catalog): PortFlag[] {
  const envName = (name: string) => name.toUpperCase().replace(/-/g, "_");
  return [
    { key: "evaluator", flag: "evaluator-port", env: "EVALSTACK_PORT", defaultPort: DEFAULT_EVALUATOR_PORT },
    ...catalog.models.flatMap((m) => [
      { key: `${m.name}.grpc`, flag: `${m.name}-port`, env: `${envName(m.name)}_GRPC_PORT`, defaultPort: m.ports.grpc },
      { key: `${m.name}.metrics`, flag: `${m.name}-metrics-port`, env: `${envName(m.name)}_METRICS_PORT`, defaultPort: m.ports.metrics },
    ]),
  ];
}

/** The catalog the launcher and the services it starts both read: MODEL_CATALOG or the repository's. */
export function catalogFromEnv(env: NodeJS.ProcessEnv = process.env): Catalog {
  return loadCatalog(env.MODEL_CATALOG || CATALOG_FILE);
}

/** How to move a service to another port, for error messages. */
export function portHint(key: string, catalog: Catalog = catalogFromEnv()): string {
  const flag = portFlags(catalog).find((f) => f.key === key);
  return flag ? `--${flag.flag} <port> (or ${flag.env}; 0 picks a free port)` : "--free-ports";
}

function stackOptions(catalog: Catalog) {
  return {
    profile: { type: "string" },
    models: { type: "string" },
    db: { type: "string" },
    "free-ports": { type: "boolean" },
    verbose: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...Object.fromEntries(portFlags(catalog).map((p) => [p.flag, { type: "string" }])),
  } as const;
}

const COMPARE_OPTIONS = {
  suite: { type: "string" },
  limit: { type: "string" },
  "shuffle-seed": { type: "string" },
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
  if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${what}: expected an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

function parse(argv: string[], options: Record<string, { type: "string" | "boolean"; short?: string }>): Values {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function stackArgs(values: Values, env: NodeJS.ProcessEnv, catalog: Catalog): StackArgs {
  const localModels: string[] = [];
  const externalModels: Record<string, string> = {};
  const modelNames: string[] = [];
  const given = values.models as string | undefined;
  for (const part of (given ?? catalog.defaultModels.join(","))
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, target] = part.split("=").map((s) => s.trim()) as [string, string | undefined];
    if (modelNames.includes(name)) throw new UsageError(`--models: ${name} is named twice`);
    if (target !== undefined) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || !/^[^\s:]+:\d+$/.test(target))
        throw new UsageError(`--models: expected name or name=host:port, got "${part}"`);
      externalModels[name] = target;
    } else if (catalog.has(name)) {
      localModels.push(name);
    } else {
      throw new UsageError(
        `--models: "${name}" is not in the model catalog (${catalog.names().join(", ")}; models/catalog.yaml); give a running one as ${name}=host:port`,
      );
    }
    modelNames.push(name);
  }
  if (modelNames.length === 0) throw new UsageError("--models: name at least one model");
  const profile = (values.profile as string | undefined) ?? env.MODEL_PROFILE ?? "small";
  for (const name of localModels) {
    const profiles = Object.keys(catalog.model(name).profiles);
    if (!profiles.includes(profile))
      throw new UsageError(`--profile ${profile}: ${name} has no such profile in the catalog (it has ${profiles.join(", ")})`);
  }
  const ports: StackPortRequest = {};
  for (const { key, flag, env: name } of portFlags(catalog)) {
    const text = (values[flag] as string | undefined) ?? env[name];
    if (text === undefined || text === "") continue;
    const port = integer(text, values[flag] !== undefined ? `--${flag}` : name, 0, 65535);
    if (key === "evaluator") ports.evaluator = port;
    else {
      const [model, kind] = key.split(".") as [string, "grpc" | "metrics"];
      ports.models = { ...ports.models, [model]: { ...ports.models?.[model], [kind]: port } };
    }
  }
  const db = (values.db as string | undefined) ?? env.EVALSTACK_DB_PATH;
  return {
    catalog,
    profile,
    localModels,
    externalModels,
    modelNames,
    ports,
    freePorts: Boolean(values["free-ports"]),
    dbPath: db ? path.resolve(db) : DEFAULT_DB_PATH,
    verbose: Boolean(values.verbose),
    help: Boolean(values.help),
  };
}

export function parseStackArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, catalog: Catalog = catalogFromEnv(env)): StackArgs {
  return stackArgs(parse(argv, stackOptions(catalog)), env, catalog);
}

export function parseCompareArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  catalog: Catalog = catalogFromEnv(env),
): CompareArgs {
  const values = parse(argv, { ...stackOptions(catalog), ...COMPARE_OPTIONS });
  const base = stackArgs(values, env, catalog);
  const text = (name: string) => values[name] as string | undefined;
  let concurrency: CompareArgs["concurrency"];
  const c = text("concurrency");
  if (c !== undefined) {
    if (c.includes("=")) {
      concurrency = {};
      for (const part of c
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [name, n] = part.split("=") as [string, string | undefined];
        if (!base.modelNames.includes(name))
          throw new UsageError(`--concurrency: ${name} is not one of the models (${base.modelNames.join(", ")})`);
        concurrency[name] = integer(n ?? "", `--concurrency ${name}`, 1, 256);
      }
    } else concurrency = integer(c, "--concurrency", 1, 256);
  }
  const temperature = Number(text("temperature") ?? 0);
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 5)
    throw new UsageError(`--temperature: expected a number from 0 to 5, got "${text("temperature")}"`);
  const maxTokens = text("max-tokens");
  const limit = text("limit");
  const shuffleSeed = text("shuffle-seed");
  const suite = text("suite") ?? "seed-50";
  if (suite.split(",").every((s) => s.trim() === "")) throw new UsageError("--suite: name at least one suite");
  return {
    ...base,
    suite,
    limit: limit === undefined ? undefined : integer(limit, "--limit", 1, 10_000),
    shuffleSeed: shuffleSeed === undefined ? undefined : integer(shuffleSeed, "--shuffle-seed", 0, 2 ** 32 - 1),
    repeats: integer(text("repeats") ?? "1", "--repeats", 1, 100),
    concurrency,
    maxTokens: maxTokens === undefined ? undefined : integer(maxTokens, "--max-tokens", 1, 32_768),
    temperature,
    seed: integer(text("seed") ?? "1", "--seed", 0, 2 ** 32 - 1),
    keepRunning: Boolean(values["keep-running"]),
    out: path.resolve(REPO_ROOT, text("out") ?? "reports"),
  };
}

function commonHelp(catalog: Catalog): string {
  const row = (left: string, text: string, env = "") => `  ${left.padEnd(24)} ${text}${env ? ` [${env}]` : ""}`;
  const ports = portFlags(catalog).map((p) => row(`--${p.flag} N`, `default ${p.defaultPort}`, p.env));
  return [
    row(
      "--models a,b,c",
      `models of the catalog (models/catalog.yaml: ${catalog.names().join(", ")}; default ${catalog.defaultModels.join(",")});`,
    ),
    row("", "name=host:port uses one that already runs"),
    row("--profile NAME", "small (default): the small GGUFs registry packages ship, CPU; seed: the real", "MODEL_PROFILE"),
    row("", "Qwen2.5-7B-Instruct and Phi-3-mini GGUFs from the hub (resumable, sha256-pinned,"),
    row("", "GPU offload when present); any profile the models list in the catalog"),
    ...ports,
    row("--free-ports", "every port not given above is a free one"),
    row("--db FILE", "the evaluator's SQLite file (default ./data/evalstack.db)", "EVALSTACK_DB_PATH"),
    row("--verbose", "print the services' logs"),
    "  -h, --help",
  ].join("\n");
}

export const compareUsage = (catalog: Catalog = catalogFromEnv()): string => `usage: npm run compare [-- options]

Starts the model services and the evaluator locally, runs a suite on every model, prints the scores side by
side and the performance table, writes the reports (md, html, json, csv) to reports/<run-id>/, and stops
everything it started. Ctrl-C stops cleanly; a second Ctrl-C kills at once.

  --suite ID|FILE[,...]    a built-in suite (seed-50, smoke-6, humaneval, gsm8k, ifeval, ifeval-loose, ifbench) or a JSON/JSONL suite file
                           (default seed-50); several, comma-separated: one run over all their items
  --limit N                at most N items of each suite (the first N, or the first N after --shuffle-seed)
  --shuffle-seed N         shuffle each suite reproducibly (same seed, same items) before --limit
  --repeats N              how often each item is sent to each model (default 1)
  --concurrency N|m=N,...  calls in flight per model (default: the model's slots)
  --max-tokens N           a ceiling on every item's max_tokens
  --temperature X          sampling temperature (default 0: greedy, repeatable)
  --seed N                 sampling seed (default 1; repeat r uses seed + r)
  --keep-running           leave the stack up after the run (Ctrl-C stops it)
  --out DIR                where reports go (default reports)
${commonHelp(catalog)}

Other settings of the services (MODEL_SLOTS, MODEL_THREADS, MODEL_CONTEXT_SIZE, MODEL_GPU, ...) pass through
the environment.`;

export const stackUsage = (catalog: Catalog = catalogFromEnv()): string => `usage: npm run stack [-- options]

Starts the model services and the evaluator locally, prints their endpoints and keeps them running until
Ctrl-C (for notebooks and load tests).

${commonHelp(catalog)}`;
