/**
 * Names from the OpenTelemetry GenAI and RPC semantic conventions that this project emits, kept in one
 * place so the model server, the evaluator and the dashboards agree. The conventions are still marked
 * "development" upstream; these are the names as of the GenAI metrics document (server + client metrics).
 */

export const ATTR = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  tokenType: "gen_ai.token.type",
  /** Single reason per data point (the span attribute `gen_ai.response.finish_reasons` is an array). */
  finishReason: "gen_ai.response.finish_reason",
  errorType: "error.type",
  rpcSystem: "rpc.system",
  rpcService: "rpc.service",
  rpcMethod: "rpc.method",
  rpcGrpcStatusCode: "rpc.grpc.status_code",
} as const;

/** `gen_ai.operation.name` for a chat-templated generation (what GenerateStream / Generate do). */
export const OPERATION_CHAT = "chat";

/** The serving engine behind the model services (not in the semconv provider enum, which lists APIs). */
export const PROVIDER_LLAMA_CPP = "llama.cpp";

/** The semconv-recommended boundaries, extended at the edges: a small CPU model emits a token every few
 *  milliseconds (below the semconv's lowest TPOT bucket, 10 ms), and a 7B model on CPU can take tens of
 *  seconds to a first token and minutes for a long reply. */
export const BUCKETS = {
  /** gen_ai.server.request.duration / gen_ai.client.operation.duration: semconv + 163.84, 327.68 s. */
  requestDurationS: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68],
  /** gen_ai.server.time_to_first_token / gen_ai.client.operation.time_to_first_chunk: semconv + 20, 40, 80 s. */
  timeToFirstTokenS: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80],
  /** gen_ai.server.time_per_output_token: 1, 2.5, 5 ms + semconv + 5, 10 s. */
  timePerOutputTokenS: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10],
  /** gen_ai.client.token.usage: exactly the semconv boundaries. */
  tokens: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
} as const;

const GRPC_STATUS_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/** `3` → `"INVALID_ARGUMENT"`; unknown numbers → `"UNKNOWN"`. */
export function grpcStatusName(code: number): string {
  return GRPC_STATUS_NAMES[code] ?? "UNKNOWN";
}

/** Per the RPC semconv, a gRPC server span is an error only for these codes; the rest are the caller's
 *  fault (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, CANCELLED, ...). Client spans treat every non-OK as error. */
const SERVER_ERROR_CODES: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);

export function isGrpcServerError(code: number): boolean {
  return SERVER_ERROR_CODES.has(code);
}
