// The models the evaluator knows (from EVALSTACK_MODELS): one gRPC client per model, dialled as
// dns:///host:port with round_robin (several pods behind a headless Service share the load), its health,
// what it says about itself (GetModelInfo), whether it is reachable, and the bound on calls in flight.
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import {
  InferenceClient,
  checkHealth,
  clientChannelOptions,
  createHealthClient,
  deadlineIn,
  dialTarget,
  insecure,
  type ModelInfo,
  type ServingStatus,
} from "@evalstack/contract";
import { grpcClientInterceptor } from "@evalstack/telemetry";
import type { ModelTarget } from "../config.js";
import type { ModelSnapshot } from "../runs/types.js";
import { Limiter } from "./limiter.js";

export class ModelHandle {
  readonly client: InferenceClient;
  private readonly health: ReturnType<typeof createHealthClient>;
  /** Calls in flight to this model, across runs: capacity = the largest concurrency any active run asked for,
   *  else the model's slots. */
  readonly limiter = new Limiter(1);
  private info: ModelInfo | undefined;
  private readonly runConcurrency = new Map<string, number>();
  /** Since when every call has failed with a retryable error (null while the model answers). */
  private failingSince: number | null = null;
  lastError: string | null = null;

  constructor(
    readonly name: string,
    readonly target: string,
  ) {
    this.client = new InferenceClient(dialTarget(target), insecure(), {
      ...clientChannelOptions,
      interceptors: [grpcClientInterceptor()],
    });
    this.health = createHealthClient(target);
  }

  /** The model's last known GetModelInfo, if any call has succeeded. */
  get knownInfo(): ModelInfo | undefined {
    return this.info;
  }

  /** GetModelInfo (fresh); remembers the result and sizes the limiter to the slots. */
  getInfo(timeoutMs = 5_000): Promise<ModelInfo> {
    return new Promise((resolve, reject) => {
      this.client.getModelInfo({}, new Metadata(), { deadline: deadlineIn(timeoutMs) }, (error: ServiceError | null, info?: ModelInfo) => {
        if (error || !info) {
          reject(error ?? new Error("empty GetModelInfo reply"));
          return;
        }
        this.info = info;
        this.resize();
        resolve(info);
      });
    });
  }

  async checkHealth(timeoutMs = 2_000): Promise<{ status: ServingStatus; error?: string }> {
    const result = await checkHealth(this.health, "", timeoutMs);
    return { status: result.status, ...(result.error ? { error: result.error.details || result.error.message } : {}) };
  }

  /** A run starts (or stops, with undefined) sending to this model with `concurrency` calls at once. */
  setRunConcurrency(runId: string, concurrency: number | undefined): void {
    if (concurrency === undefined) this.runConcurrency.delete(runId);
    else this.runConcurrency.set(runId, concurrency);
    this.resize();
  }

  private resize(): void {
    const slots = Math.max(1, this.info?.slots ?? 1);
    const asked = this.runConcurrency.size ? Math.max(...this.runConcurrency.values()) : 0;
    this.limiter.setCapacity(Math.max(slots, asked));
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
    this.health.close();
  }
}

export class ModelRegistry {
  private readonly handles = new Map<string, ModelHandle>();

  constructor(models: ModelTarget[]) {
    for (const m of models) this.handles.set(m.name, new ModelHandle(m.name, m.target));
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

/** GetModelInfo as stored with a run and shown in reports: the model actually loaded, not the slot name. */
export function snapshotFromInfo(name: string, target: string, info: ModelInfo): ModelSnapshot {
  return {
    name,
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
