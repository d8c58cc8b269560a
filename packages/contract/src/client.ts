import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { InferenceClient, FinishReason, type GenerateChunk, type GenerateRequest } from "./gen/evalstack/inference/v1/inference.js";
import { clientChannelOptions, dialTarget, insecure } from "./channel.js";

export function createInferenceClient(target: string): InferenceClient {
  return new InferenceClient(dialTarget(target), insecure(), clientChannelOptions);
}

export interface StreamOptions {
  deadline?: Date;
  signal?: AbortSignal;
  metadata?: Metadata;
}

/** GenerateStream as an async iterable; aborting `signal` cancels the call (the server frees the slot). */
export async function* streamGenerate(
  client: InferenceClient,
  request: Partial<GenerateRequest>,
  options: StreamOptions = {},
): AsyncGenerator<GenerateChunk> {
  const call = client.generateStream(fullRequest(request), options.metadata ?? new Metadata(), {
    deadline: options.deadline,
  });
  const onAbort = () => call.cancel();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of call as AsyncIterable<GenerateChunk>) yield chunk;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    call.cancel();
  }
}

export function fullRequest(request: Partial<GenerateRequest>): GenerateRequest {
  return {
    requestId: "",
    messages: [],
    sampling: undefined,
    maxTokens: undefined,
    stop: [],
    jsonSchema: "",
    ...request,
  };
}

export function isServiceError(error: unknown): error is ServiceError {
  return typeof error === "object" && error !== null && "code" in error && "details" in error;
}

/** Codes on which a caller should retry the same request later (the model pod is starting, busy or slow). */
export const RETRYABLE_CODES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED]);

export function finishReasonName(reason: FinishReason): string {
  return (FinishReason[reason] ?? "UNSPECIFIED").toLowerCase();
}
