// What the evaluator needs from a model under evaluation, whatever protocol it speaks: one streamed generation
// attempt, a health check, and what the target says about itself. ModelHandle (limiter, failure tracking) and
// generateWithRetries (retries, budgets) sit on top and do not know which protocol is behind.
import type { GenerateRequest, ModelInfo } from "@evalstack/contract";
import type { WireTimings } from "./wireTimings.js";
import type { TargetKind } from "./targetSpec.js";

export interface Generation {
  text: string;
  finish_reason: string;
  prompt_tokens: number;
  completion_tokens: number;
  /** gRPC: as measured inside the model service. OpenAI: measured here (client-side; queue_ms 0, not reported). */
  timings: WireTimings;
  /** Seen from the evaluator: from sending the request to the first chunk with text, and to the last chunk. */
  client_ttft_ms: number;
  client_total_ms: number;
}

/** One failed attempt, classified: retryable ones are repeated within the budget. */
export class AttemptFailure extends Error {
  constructor(
    readonly retryable: boolean,
    /** gRPC status name ("UNAVAILABLE"), "HTTP_429" etc. for an OpenAI target, "ERROR" for a model-side error reply. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AttemptFailure";
  }
}

export interface AttemptOptions {
  /** Deadline of this attempt. */
  timeoutMs: number;
  signal?: AbortSignal;
  onDelta?: (delta: string) => void;
}

/** What a target says about itself. gRPC: GetModelInfo; OpenAI: only the served model's id. */
export interface TargetDescription {
  kind: TargetKind;
  /** The model that answers: the GGUF's name (gRPC) or the served-model id (OpenAI). */
  modelName: string;
  /** Calls the target takes at once, when it says (GetModelInfo slots); undefined for OpenAI. */
  slots?: number;
  /** The full GetModelInfo (gRPC only). */
  info?: ModelInfo;
}

export interface ModelClient {
  readonly kind: TargetKind;
  describe(timeoutMs: number): Promise<TargetDescription>;
  checkHealth(timeoutMs: number): Promise<{ status: string; error?: string }>;
  /** One attempt; throws AttemptFailure (or the signal's reason when aborted). */
  generate(request: Partial<GenerateRequest>, options: AttemptOptions): Promise<Generation>;
  close(): void;
}

/** Tokens per second of the decode span, the way the model services compute it: tokens after the first over the span. */
export function decodeRate(completionTokens: number, decodeMs: number): number {
  return completionTokens > 1 && decodeMs > 0 ? ((completionTokens - 1) * 1000) / decodeMs : 0;
}
