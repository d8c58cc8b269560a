import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";
import { Metadata } from "@grpc/grpc-js";
import {
  FinishReason,
  finishReasonName,
  type CountTokensRequest,
  type CountTokensResponse,
  type GenerateChunk,
  type GenerateRequest,
  type GenerateResponse,
  type GetModelInfoRequest,
  type InferenceServer,
  type ModelInfo,
  type Timings,
} from "@evalstack/contract";
import type { Logger } from "pino";
import { AdmissionCancelledError, AdmissionQueue, QueueFullError } from "./admissionQueue.js";
import type { ModelServerConfig } from "./config.js";
import type { ModelEngine } from "./modelEngine.js";
import { InvalidArgument, parseJsonSchema, validateGenerateRequest, validateMessages } from "./validation.js";

/** What the serving core reports as it works; the telemetry adapter turns it into metrics. */
export interface ServingObserver {
  requestFinished(outcome: {
    finishReason: string;
    grpcCode: number;
    promptTokens: number;
    completionTokens: number;
    timings?: Timings;
  }): void;
  loadChanged(busySlots: number, queued: number): void;
}

export const noopObserver: ServingObserver = { requestFinished() {}, loadChanged() {} };

type ServingState = "loading" | "serving" | "draining";

interface Completed {
  requestId: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  trailingTokens: number;
  timings: Timings;
}

class StatusError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Inference service: validation, admission (slots + bounded queue), generation, cancellation and
 * timings. Every request is checked before it is queued, so a bad or oversized prompt never waits.
 */
export class InferenceService {
  state: ServingState = "loading";
  private engine: ModelEngine | undefined;
  readonly admission: AdmissionQueue;
  private readonly active = new Set<AbortController>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly config: ModelServerConfig,
    private readonly log: Logger,
    private readonly observer: ServingObserver = noopObserver,
  ) {
    this.admission = new AdmissionQueue(config.slots, config.queueLimit, (busy, queued) => observer.loadChanged(busy, queued));
  }

  attach(engine: ModelEngine): void {
    this.engine = engine;
  }

  get inFlight(): number {
    return this.active.size;
  }

  /** Resolves once no request is queued or generating. */
  idle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels every generation still running (shutdown past its grace period). */
  abortAll(): void {
    for (const controller of this.active) controller.abort();
  }

  /** A two-token generation through the real path, outside the metrics, before health turns SERVING. */
  async warmUp(): Promise<void> {
    const engine = this.servingEngine();
    const slot = await this.admission.acquire();
    try {
      await engine.generate(
        slot,
        {
          messages: [{ role: "user", content: "Hello" }],
          maxTokens: 2,
          temperature: 0,
          topP: 1,
          topK: 1,
          minP: 0,
          repeatPenalty: 1,
          seed: 0,
          stop: [],
          grammar: undefined,
        },
        { signal: new AbortController().signal, onDelta: () => {} },
      );
    } finally {
      this.admission.release(slot);
    }
  }

  implementation(): InferenceServer {
    return {
      generateStream: (call: ServerWritableStream<GenerateRequest, GenerateChunk>) => void this.generateStream(call),
      generate: (call: ServerUnaryCall<GenerateRequest, GenerateResponse>, callback: sendUnaryData<GenerateResponse>) =>
        void this.generateUnary(call, callback),
      getModelInfo: (_call: ServerUnaryCall<GetModelInfoRequest, ModelInfo>, callback: sendUnaryData<ModelInfo>) =>
        void this.modelInfo(callback),
      countTokens: (call: ServerUnaryCall<CountTokensRequest, CountTokensResponse>, callback: sendUnaryData<CountTokensResponse>) =>
        this.countTokens(call.request, callback),
    };
  }

  private async generateStream(call: ServerWritableStream<GenerateRequest, GenerateChunk>): Promise<void> {
    const controller = new AbortController();
    call.on("cancelled", () => controller.abort());
    const requestId = call.request.requestId || randomUUID();
    try {
      const done = await this.run({ ...call.request, requestId }, controller, (delta, tokens) =>
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
      call.emit("error", this.toServiceError(error, requestId));
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
      const done = await this.run({ ...call.request, requestId }, controller, (delta) => {
        text += delta;
      });
      callback(null, {
        requestId,
        text,
        finishReason: done.finishReason,
        usage: { promptTokens: done.promptTokens, completionTokens: done.completionTokens },
        timings: done.timings,
        model: this.engine?.model.fileInfo.metadata.general.name ?? "",
      });
    } catch (error) {
      callback(this.toServiceError(error, requestId));
    }
  }

  /**
   * SIGTERM: refuse new requests, and answer the queued ones (admitted, not started) UNAVAILABLE at once —
   * retryable, so a client retries them, on another replica where there is one, instead of waiting out the
   * drain or storing an error. The generations holding a slot keep it and finish.
   */
  beginDraining(): void {
    this.state = "draining";
    this.admission.rejectWaiting(new StatusError(status.UNAVAILABLE, "server is shutting down: the request was queued and not started; retry it (another replica can take it)"));
  }

  private async modelInfo(callback: sendUnaryData<ModelInfo>): Promise<void> {
    if (!this.engine) return callback(this.toServiceError(new StatusError(status.UNAVAILABLE, "model is loading"), ""));
    try {
      callback(null, await this.engine.info());
    } catch (error) {
      callback(this.toServiceError(error, ""));
    }
  }

  private countTokens(request: CountTokensRequest, callback: sendUnaryData<CountTokensResponse>): void {
    try {
      const engine = this.servingEngine();
      validateMessages(request.messages);
      callback(null, { tokenCount: engine.countTokens(request.messages), contextSize: engine.context.contextSize });
    } catch (error) {
      callback(this.toServiceError(error, ""));
    }
  }

  private servingEngine(): ModelEngine {
    if (this.state === "draining") throw new StatusError(status.UNAVAILABLE, "server is shutting down");
    if (this.state === "loading" || !this.engine) throw new StatusError(status.UNAVAILABLE, "model is loading");
    return this.engine;
  }

  private async run(
    request: GenerateRequest,
    controller: AbortController,
    onDelta: (delta: string, tokens: number) => void,
  ): Promise<Completed> {
    const arrived = performance.now();
    const engine = this.servingEngine();
    const contextSize = engine.context.contextSize;
    validateGenerateRequest(request, contextSize);
    const promptTokens = engine.countTokens(request.messages);
    if (promptTokens >= contextSize) {
      throw new InvalidArgument(
        "messages",
        `the prompt is ${promptTokens} tokens after the chat template, longer than the context (${contextSize})`,
      );
    }
    const grammar = request.jsonSchema ? await engine.grammarFor(request.jsonSchema, parseJsonSchema(request.jsonSchema)) : undefined;
    const defaults = this.config.sampling;
    const sampling = request.sampling;
    const temperature = sampling?.temperature ?? defaults.temperature;

    this.active.add(controller);
    let slot: number | undefined;
    try {
      slot = await this.admission.acquire(controller.signal);
      const dequeued = performance.now();
      if (this.config.testFirstTokenDelayMs > 0) {
        await delay(this.config.testFirstTokenDelayMs, undefined, { signal: controller.signal }).catch(() => {});
      }
      const result = await engine.generate(
        slot,
        {
          messages: request.messages,
          // Never past the context: a reply that would overflow it ends with LENGTH.
          maxTokens: Math.min(request.maxTokens ?? this.config.maxTokensDefault, contextSize - promptTokens),
          temperature,
          topP: sampling?.topP ?? defaults.topP,
          topK: sampling?.topK ?? defaults.topK,
          minP: sampling?.minP ?? defaults.minP,
          repeatPenalty: sampling?.repeatPenalty ?? defaults.repeatPenalty,
          seed: sampling?.seed,
          stop: request.stop,
          grammar,
        },
        { signal: controller.signal, onDelta },
      );
      if (this.config.testTokenDelayMs > 0) {
        // Test only: a controlled decode speed, so a capacity search has a known answer (slots / (tokens x delay)).
        const holdUntil = dequeued + result.completionTokens * this.config.testTokenDelayMs;
        await delay(Math.max(0, holdUntil - performance.now()), undefined, { signal: controller.signal }).catch(() => {});
      }
      const finished = performance.now();
      const first = result.firstTokenAt ?? finished;
      const decodeMs = finished - first;
      const timings: Timings = {
        queueMs: dequeued - arrived,
        ttftMs: first - arrived,
        decodeMs,
        totalMs: finished - arrived,
        promptMs: first - dequeued,
        // The first token's time is prompt evaluation; decode speed counts the tokens after it.
        tokensPerSecond:
          result.completionTokens > 1 && decodeMs > 0 ? ((result.completionTokens - 1) * 1000) / decodeMs : 0,
      };
      const done: Completed = {
        requestId: request.requestId,
        finishReason: result.finishReason,
        promptTokens,
        completionTokens: result.completionTokens,
        trailingTokens: result.trailingTokens,
        timings,
      };
      this.observer.requestFinished({
        finishReason: finishReasonName(done.finishReason),
        grpcCode: status.OK,
        promptTokens,
        completionTokens: done.completionTokens,
        timings,
      });
      return done;
    } finally {
      if (slot !== undefined) this.admission.release(slot);
      this.active.delete(controller);
      if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private toServiceError(error: unknown, requestId: string): Partial<ServiceError> {
    let code: status;
    let details: string;
    if (error instanceof InvalidArgument) [code, details] = [status.INVALID_ARGUMENT, error.message];
    else if (error instanceof QueueFullError) [code, details] = [status.RESOURCE_EXHAUSTED, error.message];
    else if (error instanceof AdmissionCancelledError) [code, details] = [status.CANCELLED, error.message];
    else if (error instanceof StatusError) [code, details] = [error.code, error.message];
    else {
      [code, details] = [status.INTERNAL, `generation failed: ${(error as Error).message}`];
      this.log.error({ err: error, requestId }, "generation failed");
    }
    if (code !== status.INTERNAL) this.log.debug({ requestId, code: status[code], details }, "request refused");
    this.observer.requestFinished({
      finishReason: code === status.CANCELLED ? "cancelled" : "error",
      grpcCode: code,
      promptTokens: 0,
      completionTokens: 0,
    });
    const metadata = new Metadata();
    if (requestId) metadata.set("x-request-id", requestId);
    return { code, details, metadata };
  }
}
