// EVALSTACK_MODELS, parsed: which models the evaluator evaluates and how it reaches each one. Two kinds:
//   qwen=qwen.evalstack.svc:50051                  our gRPC contract (dialled as dns:///host:port)
//   llama=openai+http://10.0.0.5:8080/v1#gemma-3    any OpenAI-compatible server; #model = the served-model name
// Per-model settings that do not belong in a URL come from variables named after the model
// (EVALSTACK_MODEL_<NAME>_..., the name upper-cased with '-' as '_'): the API key (_API_KEY, or _API_KEY_FILE
// for a mounted secret) and the calls in flight (_CONCURRENCY; an OpenAI server has no GetModelInfo to say).
import { readFileSync } from "node:fs";
import { EnvReader, type Env } from "@evalstack/config";

export type TargetKind = "grpc" | "openai";

export interface GrpcTargetSpec {
  kind: "grpc";
  /** The name runs and reports use, e.g. "qwen". */
  name: string;
  /** host:port (dialled as dns:///host:port) or a target with its own scheme. */
  target: string;
  /** Calls in flight; undefined = the service's slots (GetModelInfo). */
  concurrency?: number;
}

export interface OpenAiTargetSpec {
  kind: "openai";
  name: string;
  /** The base URL as shown (no key in it): http(s)://host:port/v1. */
  target: string;
  /** The `model` field of requests; undefined = the first model GET /v1/models lists. */
  servedModel?: string;
  /** Sent as `Authorization: Bearer`; never logged or stored. */
  apiKey?: string;
  /** Calls in flight (default 1). */
  concurrency: number;
}

export type ModelTargetSpec = GrpcTargetSpec | OpenAiTargetSpec;

export class TargetSpecError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "TargetSpecError";
  }
}

const OPENAI_PREFIX = "openai+";
const MAX_CONCURRENCY = 1024;

/** The prefix of a model's own variables: "llama-server" → "EVALSTACK_MODEL_LLAMA_SERVER_". */
export function modelVariablePrefix(name: string): string {
  return `EVALSTACK_MODEL_${name.toUpperCase().replace(/-/g, "_")}_`;
}

/** EVALSTACK_MODELS (comma-separated name=target entries) → ordered specs; errors name the entry. */
export function parseModelTargets(text: string, env: Env = {}, variable = "EVALSTACK_MODELS"): ModelTargetSpec[] {
  const specs: ModelTargetSpec[] = [];
  const prefixes = new Map<string, string>();
  const entries = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const fail = (message: string) => new TargetSpecError(variable, `entry ${index + 1} ("${redact(entry)}"): ${message}`);
    // grpc-js's address lists carry their own commas: "qwen=ipv4:10.0.0.1:50051,10.0.0.2:50051" (replicas, round-robin).
    const previous = specs.at(-1);
    if (!entry.includes("=") && previous?.kind === "grpc" && /^ipv[46]:/i.test(previous.target)) {
      if (!/^(\[[0-9a-f:.]+\]|[^:\s/]+):\d{1,5}$/i.test(entry)) throw fail(`is not host:port in the address list of ${previous.name}`);
      previous.target += `,${entry}`;
      return;
    }
    const eq = entry.indexOf("=");
    if (eq <= 0 || eq === entry.length - 1) throw fail("is not name=host:port or name=openai+http(s)://host:port/v1[#model]");
    const name = entry.slice(0, eq).trim();
    const target = entry.slice(eq + 1).trim();
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(name)) throw fail(`model name "${name}" must match [a-z][a-z0-9_-]* (at most 63 characters)`);
    if (specs.some((s) => s.name === name)) throw fail(`model "${name}" is listed twice`);
    const prefix = modelVariablePrefix(name);
    const clash = prefixes.get(prefix);
    if (clash) throw fail(`model "${name}" and "${clash}" would share the variables ${prefix}*`);
    prefixes.set(prefix, name);
    const concurrency = readConcurrency(env, prefix);
    if (target.toLowerCase().startsWith(OPENAI_PREFIX)) {
      specs.push(openAiSpec(name, target.slice(OPENAI_PREFIX.length), env, prefix, concurrency, fail));
      return;
    }
    if (!/^[a-z][a-z0-9+.-]*:/i.test(target) && !/^(\[[0-9a-f:.]+\]|[^:\s/]+):\d{1,5}$/i.test(target)) {
      throw fail(`target "${target}" is not host:port (or openai+http(s)://host:port/v1 for an OpenAI-compatible server)`);
    }
    if (/^https?:/i.test(target)) throw fail(`"${target}" is an HTTP URL: write openai+${target} for an OpenAI-compatible server`);
    specs.push({ kind: "grpc", name, target, ...(concurrency === undefined ? {} : { concurrency }) });
  });
  if (specs.length === 0) throw new TargetSpecError(variable, "names no model");
  return specs;
}

function openAiSpec(
  name: string,
  text: string,
  env: Env,
  prefix: string,
  concurrency: number | undefined,
  fail: (m: string) => Error,
): OpenAiTargetSpec {
  const hash = text.indexOf("#");
  const urlText = hash >= 0 ? text.slice(0, hash) : text;
  const servedModel = hash >= 0 ? decodeURIComponent(text.slice(hash + 1)).trim() : undefined;
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw fail(`"${urlText}" is not a URL (openai+http://host:port/v1)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw fail(`scheme must be openai+http or openai+https, got openai+${url.protocol.slice(0, -1)}`);
  if (url.username || url.password) throw fail(`put the API key in ${prefix}API_KEY or ${prefix}API_KEY_FILE, not in the URL`);
  if (url.search) throw fail("the base URL cannot have a query string");
  if (hash >= 0 && !servedModel) throw fail("'#' must be followed by the served-model name");
  const apiKey = readApiKey(env, prefix);
  return {
    kind: "openai",
    name,
    target: url.toString().replace(/\/+$/, ""),
    ...(servedModel ? { servedModel } : {}),
    ...(apiKey ? { apiKey } : {}),
    concurrency: concurrency ?? 1,
  };
}

function readConcurrency(env: Env, prefix: string): number | undefined {
  const variable = `${prefix}CONCURRENCY`;
  const raw = new EnvReader(env).optionalString(variable);
  if (!raw) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_CONCURRENCY)
    throw new TargetSpecError(variable, `must be an integer from 1 to ${MAX_CONCURRENCY}, got "${raw}"`);
  return value;
}

function readApiKey(env: Env, prefix: string): string | undefined {
  const direct = new EnvReader(env).optionalString(`${prefix}API_KEY`);
  const file = new EnvReader(env).optionalString(`${prefix}API_KEY_FILE`);
  if (direct && file) throw new TargetSpecError(`${prefix}API_KEY`, `set ${prefix}API_KEY or ${prefix}API_KEY_FILE, not both`);
  if (direct) return checkKey(direct, `${prefix}API_KEY`);
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new TargetSpecError(`${prefix}API_KEY_FILE`, `cannot read ${file}: ${(error as Error).message}`);
  }
  const key = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith("#"));
  if (!key) throw new TargetSpecError(`${prefix}API_KEY_FILE`, `${file} holds no key`);
  return checkKey(key, `${prefix}API_KEY_FILE`);
}

function checkKey(key: string, variable: string): string {
  if (/\s/.test(key)) throw new TargetSpecError(variable, "the API key cannot contain white space");
  return key;
}

/** An entry as safe to echo in an error: credentials in a URL are masked. */
function redact(entry: string): string {
  return entry.replace(/\/\/[^/@\s]*@/, "//***@");
}

/** The spec as one EVALSTACK_MODELS entry (for logs: never the key). */
export function describeSpec(spec: ModelTargetSpec): string {
  return spec.kind === "grpc"
    ? `${spec.name}=${spec.target}`
    : `${spec.name}=openai+${spec.target}${spec.servedModel ? `#${spec.servedModel}` : ""}`;
}
