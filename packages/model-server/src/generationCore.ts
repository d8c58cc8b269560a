import { setTimeout as delay } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { type FinishReason, finishReasonName, type GenerateRequest, type Message, type ModelInfo, type Timings } from "@evalstack/contract";
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

export type ServingState = "loading" | "serving" | "draining";

/** A finished generation, whatever protocol asked for it. */
export interface Completed {
  requestId: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** Tokens not yet attributed to any delta (held-back stop text, end of generation): the final chunk's. */
  trailingTokens: number;
  timings: Timings;
}

/** The model is loading or the server is draining: retry elsewhere or later. */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly reason: "loading" | "draining",
    message = reason === "loading" ? "model is loading" : "server is shutting down",
  ) {
    super(message);
  }
}

/**
 * The outcome of a failed call as a canonical status code (the gRPC codes, which the metrics count by):
 * the one classification both protocols map from, so a refusal counts the same whichever port it came in on.
 */
export function statusOfError(error: unknown): status {
  if (error instanceof InvalidArgument) return status.INVALID_ARGUMENT;
  if (error instanceof QueueFullError) return status.RESOURCE_EXHAUSTED;
  if (error instanceof AdmissionCancelledError) return status.CANCELLED;
  if (error instanceof ServiceUnavailableError) return status.UNAVAILABLE;
  return status.INTERNAL;
}

/**
 * The protocol-neutral serving core: validation, admission (slots + bounded queue), generation,
 * cancellation, timings and metrics. The gRPC service and the OpenAI-compatible HTTP API are thin adapters
 * over it. Every request is checked before it is queued, so a bad or oversized prompt never waits.
 */
export class GenerationCore {
  state: ServingState = "loading";
  /** What health reports: SERVING once warmed up (after `state` turns "serving"), until draining starts. */
  healthy = false;
  private engine: ModelEngine | undefined;
  readonly admission: AdmissionQueue;
  private readonly active = new Set<AbortController>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly config: ModelServerConfig,
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

  /** The loaded model's GGUF name ("" while loading). */
  get modelName(): string {
    return this.engine?.model.fileInfo.metadata.general.name ?? "";
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

  /**
   * SIGTERM: refuse new requests, and answer the queued ones (admitted, not started) UNAVAILABLE at once —
   * retryable, so a client retries them, on another replica where there is one, instead of waiting out the
   * drain or storing an error. The generations holding a slot keep it and finish.
   */
  beginDraining(): void {
    this.state = "draining";
    this.admission.rejectWaiting(
      new ServiceUnavailableError(
        "draining",
        "server is shutting down: the request was queued and not started; retry it (another replica can take it)",
      ),
    );
  }

  /** The engine when the service is serving; otherwise ServiceUnavailableError. */
  servingEngine(): ModelEngine {
    if (this.state === "draining") throw new ServiceUnavailableError("draining");
    if (this.state === "loading" || !this.engine) throw new ServiceUnavailableError("loading");
    return this.engine;
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

  async modelInfo(): Promise<ModelInfo> {
    if (!this.engine) throw new ServiceUnavailableError("loading");
    return this.engine.info();
  }

  countTokens(messages: Message[]): { tokenCount: number; contextSize: number } {
    const engine = this.servingEngine();
    validateMessages(messages);
    return { tokenCount: engine.countTokens(messages), contextSize: engine.context.contextSize };
  }

  /**
   * Validates, admits and generates `request` (its requestId already set). `onDelta` hears each piece of
   * text with the tokens it accounts for; aborting `signal` cancels (while queued or generating) and frees
   * the slot. Every outcome, success or refusal, is reported to the observer exactly once.
   */
  async generate(request: GenerateRequest, signal: AbortSignal, onDelta: (delta: string, tokens: number) => void): Promise<Completed> {
    try {
      const done = await this.run(request, signal, onDelta);
      this.observer.requestFinished({
        finishReason: finishReasonName(done.finishReason),
        grpcCode: status.OK,
        promptTokens: done.promptTokens,
        completionTokens: done.completionTokens,
        timings: done.timings,
      });
      return done;
    } catch (error) {
      const code = statusOfError(error);
      if (code === status.INTERNAL) this.log.error({ err: error, requestId: request.requestId }, "generation failed");
      else this.log.debug({ requestId: request.requestId, code: status[code], details: (error as Error).message }, "request refused");
      this.observer.requestFinished({
        finishReason: code === status.CANCELLED ? "cancelled" : "error",
        grpcCode: code,
        promptTokens: 0,
        completionTokens: 0,
      });
      throw error;
    }
  }

  private async run(request: GenerateRequest, signal: AbortSignal, onDelta: (delta: string, tokens: number) => void): Promise<Completed> {
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

    // One controller per request: the caller's signal and shutdown's abortAll both cancel it.
    const controller = new AbortController();
    const forward = () => controller.abort();
    if (signal.aborted) controller.abort();
    else signal.addEventListener("abort", forward, { once: true });
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
          temperature: sampling?.temperature ?? defaults.temperature,
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
      return {
        requestId: request.requestId,
        finishReason: result.finishReason,
        promptTokens,
        completionTokens: result.completionTokens,
        trailingTokens: result.trailingTokens,
        timings: {
          queueMs: dequeued - arrived,
          ttftMs: first - arrived,
          decodeMs,
          totalMs: finished - arrived,
          promptMs: first - dequeued,
          // The first token's time is prompt evaluation; decode speed counts the tokens after it.
          tokensPerSecond: result.completionTokens > 1 && decodeMs > 0 ? ((result.completionTokens - 1) * 1000) / decodeMs : 0,
        },
      };
    } finally {
      signal.removeEventListener("abort", forward);
      if (slot !== undefined) this.admission.release(slot);
      this.active.delete(controller);
      if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}
