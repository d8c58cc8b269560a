import { randomUUID } from "node:crypto";
import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";
import {
  FinishReason,
  type CountTokensRequest,
  type CountTokensResponse,
  type GenerateChunk,
  type GenerateRequest,
  type GenerateResponse,
  type GetModelInfoRequest,
  type InferenceServer,
  type ModelInfo,
} from "@evalstack/contract";
import { statusOfError, type GenerationCore } from "./generationCore.js";

/** The gRPC face of the serving core: the `evalstack.inference.v1.Inference` service. */
export class InferenceService {
  constructor(private readonly core: GenerationCore) {}

  implementation(): InferenceServer {
    return {
      generateStream: (call: ServerWritableStream<GenerateRequest, GenerateChunk>) => void this.generateStream(call),
      generate: (call: ServerUnaryCall<GenerateRequest, GenerateResponse>, callback: sendUnaryData<GenerateResponse>) =>
        void this.generateUnary(call, callback),
      getModelInfo: (_call: ServerUnaryCall<GetModelInfoRequest, ModelInfo>, callback: sendUnaryData<ModelInfo>) =>
        void this.core.modelInfo().then(
          (info) => callback(null, info),
          (error: unknown) => callback(toServiceError(error, "")),
        ),
      countTokens: (call: ServerUnaryCall<CountTokensRequest, CountTokensResponse>, callback: sendUnaryData<CountTokensResponse>) => {
        try {
          callback(null, this.core.countTokens(call.request.messages));
        } catch (error) {
          callback(toServiceError(error, ""));
        }
      },
    };
  }

  private async generateStream(call: ServerWritableStream<GenerateRequest, GenerateChunk>): Promise<void> {
    const controller = new AbortController();
    call.on("cancelled", () => controller.abort());
    const requestId = call.request.requestId || randomUUID();
    try {
      const done = await this.core.generate({ ...call.request, requestId }, controller.signal, (delta, tokens) =>
        call.write({ requestId, delta, tokens, finishReason: FinishReason.UNSPECIFIED, usage: undefined, timings: undefined }),
      );
      call.write({
        requestId,
        delta: "",
        tokens: done.trailingTokens,
        finishReason: done.finishReason,
        usage: { promptTokens: done.promptTokens, completionTokens: done.completionTokens },
        timings: done.timings,
      });
      call.end();
    } catch (error) {
      call.emit("error", toServiceError(error, requestId));
    }
  }

  private async generateUnary(
    call: ServerUnaryCall<GenerateRequest, GenerateResponse>,
    callback: sendUnaryData<GenerateResponse>,
  ): Promise<void> {
    const controller = new AbortController();
    call.on("cancelled", () => controller.abort());
    const requestId = call.request.requestId || randomUUID();
    let text = "";
    try {
      const done = await this.core.generate({ ...call.request, requestId }, controller.signal, (delta) => {
        text += delta;
      });
      callback(null, {
        requestId,
        text,
        finishReason: done.finishReason,
        usage: { promptTokens: done.promptTokens, completionTokens: done.completionTokens },
        timings: done.timings,
        model: this.core.modelName,
      });
    } catch (error) {
      callback(toServiceError(error, requestId));
    }
  }
}

function toServiceError(error: unknown, requestId: string): Partial<ServiceError> {
  const code = statusOfError(error);
  const message = (error as Error).message;
  const details = code === status.INTERNAL ? `generation failed: ${message}` : message;
  const metadata = new Metadata();
  if (requestId) metadata.set("x-request-id", requestId);
  return { code, details, metadata };
}
