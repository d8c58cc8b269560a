import path from "node:path";
import { waitForServing } from "@evalstack/contract";
import { freePort } from "./freePort.js";
import { ManagedProcess, REPO_ROOT, unlessExited } from "./managedProcess.js";

export type ModelServiceName = "qwen" | "phi3";

export interface ModelServiceOptions {
  service: ModelServiceName;
  /** 0 or unset: a free port. */
  grpcPort?: number;
  metricsPort?: number;
  /** Extra environment (MODEL_SLOTS, MODEL_THREADS, ...). */
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
  /** Wait for health SERVING before resolving (default true). */
  waitReady?: boolean;
  echo?: (line: string) => void;
}

export interface ModelServiceProcess {
  process: ManagedProcess;
  grpcPort: number;
  metricsPort: number;
  /** host:port to dial. */
  target: string;
  metricsUrl: string;
  /** Resolves once health is SERVING; fails with the service's output if it exits first. */
  ready: () => Promise<void>;
}

/** Starts `services/<name>` as a child process on its own ports. */
export async function startModelService(options: ModelServiceOptions): Promise<ModelServiceProcess> {
  const grpcPort = options.grpcPort || (await freePort());
  const metricsPort = options.metricsPort || (await freePort());
  const process = new ManagedProcess(
    options.service,
    path.join(REPO_ROOT, "services", options.service, "src/main.ts"),
    {
      GRPC_PORT: String(grpcPort),
      GRPC_HOST: "127.0.0.1",
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "info",
      ...options.env,
    },
    { echo: options.echo },
  );
  const target = `127.0.0.1:${grpcPort}`;
  const ready = () =>
    unlessExited(process, waitForServing(target, options.readyTimeoutMs ?? 180_000), `${options.service} became SERVING`);
  if (options.waitReady !== false) {
    try {
      await ready();
    } catch (error) {
      await process.stop(5_000);
      throw error;
    }
  }
  return { process, grpcPort, metricsPort, target, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, ready };
}
