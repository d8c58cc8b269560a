// The models the evaluator knows (from EVALSTACK_MODELS): one client per model (gRPC or OpenAI-compatible), its
// health, what it says about itself, whether it is reachable, and the bound on calls in flight.
import type { ModelInfo } from "@evalstack/contract";
import type { ModelSnapshot } from "../runs/types.js";
import { GrpcModelClient } from "./grpcModelClient.js";
import { Limiter } from "./limiter.js";
import type { ModelClient, TargetDescription } from "./modelClient.js";
import { OpenAiModelClient } from "./openAiModelClient.js";
import type { ModelTargetSpec, TargetKind } from "./targetSpec.js";

export class ModelHandle {
  readonly client: ModelClient;
  readonly name: string;
  /** host:port (gRPC) or the base URL (OpenAI); never a key. */
  readonly target: string;
  readonly kind: TargetKind;
  /** Calls in flight to this model, across runs: capacity = the largest concurrency any active run asked for,
   *  else the configured concurrency, else the model's slots (GetModelInfo). */
  readonly limiter = new Limiter(1);
  private description: TargetDescription | undefined;
  private readonly configuredConcurrency: number | undefined;
  private readonly runConcurrency = new Map<string, number>();
  /** Since when every call has failed with a retryable error (null while the model answers). */
  private failingSince: number | null = null;
  lastError: string | null = null;

  constructor(spec: ModelTargetSpec, client?: ModelClient) {
    this.name = spec.name;
    this.target = spec.target;
    this.kind = spec.kind;
    this.configuredConcurrency = spec.concurrency;
    this.client = client ?? (spec.kind === "grpc" ? new GrpcModelClient(spec.target) : new OpenAiModelClient(spec));
    this.resize();
  }

  /** What the model last said about itself, if any call has succeeded. */
  get known(): TargetDescription | undefined {
    return this.description;
  }

  /** GetModelInfo (gRPC) or the served model (OpenAI), fresh; remembered, and the limiter sized from it. */
  async describe(timeoutMs = 5_000): Promise<TargetDescription> {
    const description = await this.client.describe(timeoutMs);
    this.description = description;
    this.resize();
    return description;
  }

  checkHealth(timeoutMs = 2_000): Promise<{ status: string; error?: string }> {
    return this.client.checkHealth(timeoutMs);
  }

  /** The calls in flight a run uses by default: configured, else the slots the model reports, else 1. */
  get defaultConcurrency(): number {
    return Math.max(1, this.configuredConcurrency ?? this.description?.slots ?? 1);
  }

  /** A run starts (or stops, with undefined) sending to this model with `concurrency` calls at once. */
  setRunConcurrency(runId: string, concurrency: number | undefined): void {
    if (concurrency === undefined) this.runConcurrency.delete(runId);
    else this.runConcurrency.set(runId, concurrency);
    this.resize();
  }

  private resize(): void {
    const asked = this.runConcurrency.size ? Math.max(...this.runConcurrency.values()) : 0;
    this.limiter.setCapacity(Math.max(this.defaultConcurrency, asked));
  }

  noteSuccess(): void {
    this.failingSince = null;
    this.lastError = null;
  }

  noteRetryableFailure(message: string, now = Date.now()): void {
    this.failingSince ??= now;
    this.lastError = message;
  }

  /** How long the model has been failing every call (0 while it answers). */
  failingForMs(now = Date.now()): number {
    return this.failingSince === null ? 0 : now - this.failingSince;
  }

  close(): void {
    this.client.close();
  }
}

export class ModelRegistry {
  private readonly handles = new Map<string, ModelHandle>();

  constructor(models: ModelTargetSpec[]) {
    for (const m of models) this.handles.set(m.name, new ModelHandle(m));
  }

  get(name: string): ModelHandle | undefined {
    return this.handles.get(name);
  }

  has(name: string): boolean {
    return this.handles.has(name);
  }

  names(): string[] {
    return [...this.handles.keys()];
  }

  list(): ModelHandle[] {
    return [...this.handles.values()];
  }

  close(): void {
    for (const handle of this.handles.values()) handle.close();
  }
}

/** What a target said about itself, as stored with a run and shown in reports: the model actually loaded, not the
 *  slot name. An OpenAI-compatible server reports only its model's id: the rest is null ("not reported"). */
export function snapshotFromDescription(name: string, target: string, description: TargetDescription): ModelSnapshot {
  if (description.info) return snapshotFromInfo(name, target, description.info);
  return {
    name,
    kind: description.kind,
    target,
    model_name: description.modelName,
    architecture: "",
    quantization: "",
    parameter_count: null,
    file_size_bytes: null,
    sha256: "",
    context_size: null,
    slots: null,
    load_ms: null,
    peak_ram_bytes: null,
    vram_bytes: null,
    gpu: "",
  };
}

/** GetModelInfo as stored with a run. */
export function snapshotFromInfo(name: string, target: string, info: ModelInfo): ModelSnapshot {
  return {
    name,
    kind: "grpc",
    target,
    model_name: info.name,
    architecture: info.architecture,
    quantization: info.quantization,
    parameter_count: info.parameterCount,
    file_size_bytes: info.fileSizeBytes,
    sha256: info.sha256,
    context_size: info.contextSize,
    slots: info.slots,
    load_ms: info.loadMs,
    peak_ram_bytes: info.peakRamBytes,
    vram_bytes: info.vramBytes,
    gpu: info.gpu,
    threads: info.threads,
    gpu_layers: info.gpuLayers,
  };
}

/** ModelInfo as JSON for the API (snake_case, numbers as numbers). */
export function modelInfoJson(info: ModelInfo): Record<string, string | number> {
  return {
    service: info.service,
    name: info.name,
    architecture: info.architecture,
    quantization: info.quantization,
    parameter_count: info.parameterCount,
    file_size_bytes: info.fileSizeBytes,
    sha256: info.sha256,
    source: info.source,
    context_size: info.contextSize,
    train_context_size: info.trainContextSize,
    slots: info.slots,
    threads: info.threads,
    load_ms: info.loadMs,
    ram_bytes: info.ramBytes,
    peak_ram_bytes: info.peakRamBytes,
    vram_bytes: info.vramBytes,
    gpu: info.gpu,
    gpu_layers: info.gpuLayers,
    queue_limit: info.queueLimit,
  };
}
