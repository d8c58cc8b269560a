// Our own gRPC contract as a model under evaluation: dialled as dns:///host:port with round_robin (several pods
// behind a headless Service share the load), GenerateStream per attempt, GetModelInfo, grpc.health.v1.
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import {
  FinishReason,
  InferenceClient,
  RETRYABLE_CODES,
  checkHealth,
  clientChannelOptions,
  createHealthClient,
  deadlineIn,
  dialTarget,
  finishReasonName,
  insecure,
  isServiceError,
  streamGenerate,
  type GenerateChunk,
  type GenerateRequest,
  type ModelInfo,
} from "@evalstack/contract";
import { grpcClientInterceptor } from "@evalstack/telemetry";
import { wireTimings } from "./wireTimings.js";
import { AttemptFailure, type AttemptOptions, type Generation, type ModelClient, type TargetDescription } from "./modelClient.js";

export class GrpcModelClient implements ModelClient {
  readonly kind = "grpc" as const;
  readonly client: InferenceClient;
  private readonly health: ReturnType<typeof createHealthClient>;

  constructor(readonly target: string) {
    this.client = new InferenceClient(dialTarget(target), insecure(), {
      ...clientChannelOptions,
      interceptors: [grpcClientInterceptor()],
    });
    this.health = createHealthClient(target);
  }

  describe(timeoutMs: number): Promise<TargetDescription> {
    return new Promise((resolve, reject) => {
      this.client.getModelInfo({}, new Metadata(), { deadline: deadlineIn(timeoutMs) }, (error: ServiceError | null, info?: ModelInfo) => {
        if (error || !info) reject(error ?? new Error("empty GetModelInfo reply"));
        else resolve({ kind: "grpc", modelName: info.name, slots: info.slots, info });
      });
    });
  }

  async checkHealth(timeoutMs: number): Promise<{ status: string; error?: string }> {
    const result = await checkHealth(this.health, "", timeoutMs);
    return { status: result.status, ...(result.error ? { error: result.error.details || result.error.message } : {}) };
  }

  async generate(request: Partial<GenerateRequest>, options: AttemptOptions): Promise<Generation> {
    try {
      return await this.attempt(request, options);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw error instanceof AttemptFailure ? error : classifyGrpc(error);
    }
  }

  private async attempt(request: Partial<GenerateRequest>, options: AttemptOptions): Promise<Generation> {
    const sent = performance.now();
    let firstTextAt: number | undefined;
    let text = "";
    let final: GenerateChunk | undefined;
    for await (const chunk of streamGenerate(this.client, request, { deadline: deadlineIn(options.timeoutMs), signal: options.signal })) {
      if (chunk.delta) {
        firstTextAt ??= performance.now();
        text += chunk.delta;
        options.onDelta?.(chunk.delta);
      }
      if (chunk.finishReason !== FinishReason.UNSPECIFIED) final = chunk;
    }
    const ended = performance.now();
    if (!final) throw new AttemptFailure(true, "CANCELLED", "the stream ended without a final chunk");
    if (final.finishReason === FinishReason.CANCELLED)
      throw new AttemptFailure(true, "CANCELLED", "the model service cancelled the generation (shutting down?)");
    if (final.finishReason === FinishReason.ERROR)
      throw new AttemptFailure(false, "ERROR", `the model service reported an error${text ? `: ${text}` : ""}`);
    return {
      text,
      finish_reason: finishReasonName(final.finishReason),
      prompt_tokens: final.usage?.promptTokens ?? 0,
      completion_tokens: final.usage?.completionTokens ?? 0,
      timings: wireTimings(final.timings),
      client_ttft_ms: (firstTextAt ?? ended) - sent,
      client_total_ms: ended - sent,
    };
  }

  close(): void {
    this.client.close();
    this.health.close();
  }
}

/** Whether a failed gRPC call is worth repeating, and its reason. */
export function classifyGrpc(error: unknown): AttemptFailure {
  if (isServiceError(error)) {
    const code = status[error.code] ?? String(error.code);
    const message = error.details || error.message;
    // CANCELLED that we did not ask for comes from the server going away mid-call; the connection dropping
    // mid-stream can surface as INTERNAL (RST_STREAM) depending on timing.
    const retryable =
      RETRYABLE_CODES.has(error.code) ||
      error.code === status.CANCELLED ||
      (error.code === status.INTERNAL && /RST_STREAM|connection|stream (removed|closed)|goaway/i.test(message));
    return new AttemptFailure(retryable, code, message);
  }
  return new AttemptFailure(false, "INTERNAL", (error as Error)?.message ?? String(error));
}
