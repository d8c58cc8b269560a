import { status } from "@grpc/grpc-js";
import { statusOfError } from "../generationCore.js";
import { InvalidArgument } from "../validation.js";

/** The body of every error on the OpenAI-compatible API, as OpenAI's own API shapes it. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error answered on the HTTP API with its status and OpenAI-shaped body. */
export class OpenAIError extends Error {
  constructor(
    readonly httpStatus: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 naming the request parameter at fault. */
export function invalidParam(param: string | null, message: string, code = "invalid_value"): OpenAIError {
  return new OpenAIError(400, param ? `${param}: ${message}` : message, "invalid_request_error", param, code);
}

/**
 * How the serving core's field names (the gRPC contract's) read in the OpenAI request that was sent:
 * `sampling.temperature` is `temperature`, `messages` is `prompt` on /v1/completions, and so on.
 */
export type ParamNames = (coreField: string) => string;

/** Any error out of the serving core as the HTTP API answers it. */
export function toOpenAIError(error: unknown, paramOf: ParamNames): OpenAIError {
  if (error instanceof OpenAIError) return error;
  if (error instanceof InvalidArgument) {
    const param = paramOf(error.field);
    const message = error.message.slice(error.field.length + 2);
    const code = /longer than the context/.test(message) ? "context_length_exceeded" : "invalid_value";
    return invalidParam(param, message, code);
  }
  const message = (error as Error).message;
  switch (statusOfError(error)) {
    case status.RESOURCE_EXHAUSTED:
      return new OpenAIError(429, message, "rate_limit_error", null, "queue_full");
    case status.UNAVAILABLE:
      return new OpenAIError(503, message, "server_error", null, message === "model is loading" ? "model_loading" : "shutting_down");
    case status.CANCELLED:
      return new OpenAIError(499, message, "invalid_request_error", null, "cancelled");
    default:
      return new OpenAIError(500, `generation failed: ${message}`, "server_error", null, "internal_error");
  }
}
