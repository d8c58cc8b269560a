// llama.cpp's own llama-server as a process: the third-party OpenAI-compatible peer the evaluator and the load
// tests are checked against. The binary is the one scripts/ci/install-llama-server.sh builds and caches.
import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./freePort.js";
import { ManagedProcess } from "./managedProcess.js";
import { waitUntil } from "./waitUntil.js";

/** The pin scripts/ci/install-llama-server.sh builds (llama-cpp-python's sdist version). */
export const LLAMA_SERVER_VERSION = "0.3.36";

/** Where the installer caches the binary (EVALSTACK_TOOLS_DIR overrides ~/.cache/evalstack/tools). */
export function llamaServerPath(version = LLAMA_SERVER_VERSION): string {
  const tools = process.env.EVALSTACK_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "evalstack", "tools");
  return path.join(tools, `llama-server-${version}`, "llama-server");
}

export interface LlamaServerOptions {
  /** The GGUF to serve. */
  model: string;
  /** The id /v1/models lists and requests name (llama-server's --alias). */
  alias: string;
  threads?: number;
  /** Parallel sequences (llama-server's -np), the counterpart of MODEL_SLOTS. */
  slots?: number;
  /** Context per slot (llama-server divides -c among the slots). */
  contextPerSlot?: number;
  port?: number;
  binary?: string;
  parentDeathSignal?: NodeJS.Signals;
  readyTimeoutMs?: number;
  extraArgs?: string[];
}

export interface LlamaServerProcess {
  process: ManagedProcess;
  port: number;
  /** The OpenAI base URL: http://127.0.0.1:<port>/v1 */
  baseUrl: string;
  alias: string;
  stop(): Promise<void>;
}

/** Starts llama-server on loopback and resolves once /health says the model is loaded. */
export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServerProcess> {
  const binary = options.binary ?? llamaServerPath();
  if (!existsSync(binary)) {
    const dir = path.dirname(path.dirname(binary));
    const built = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith("llama-server-")) : [];
    throw new Error(
      `llama-server is not installed at ${binary}${built.length ? ` (found ${built.join(", ")})` : ""}: run bash scripts/ci/install-llama-server.sh`,
    );
  }
  const port = options.port ?? (await freePort());
  const slots = options.slots ?? 2;
  const args = [
    "--model",
    options.model,
    "--alias",
    options.alias,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--threads",
    String(options.threads ?? 1),
    "--threads-batch",
    String(options.threads ?? 1),
    "--parallel",
    String(slots),
    "--ctx-size",
    String((options.contextPerSlot ?? 2048) * slots),
    "--no-webui",
    ...(options.extraArgs ?? []),
  ];
  const child = new ManagedProcess({
    name: `llama-server:${port}`,
    command: binary,
    args,
    parentDeathSignal: options.parentDeathSignal,
    stopTimeoutMs: 10_000,
  });
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  try {
    // /health answers 503 while the model loads and 200 once it can serve.
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, {
      timeoutMs: options.readyTimeoutMs ?? 120_000,
      intervalMs: 200,
      what: `llama-server on port ${port} to load ${path.basename(options.model)}`,
      process: child,
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { process: child, port, baseUrl, alias: options.alias, stop: () => child.stop().then(() => undefined) };
}
