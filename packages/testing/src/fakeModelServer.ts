// A contract-conformant model service with no model: GenerateStream, Generate, GetModelInfo, CountTokens and
// grpc.health.v1, answering with scripted text and timing. For unit tests of the code around the model calls,
// for testing the load generator against known timings, and for benchmarks of the evaluator's own overhead;
// never a stand-in where a feature is shown working end to end.
import { Server, ServerCredentials, status, type ServerInterceptor, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import {
  FinishReason,
  InferenceService,
  serverChannelOptions,
  type GenerateChunk,
  type GenerateRequest,
  type InferenceServer,
  type ModelInfo,
  type Timings,
} from "@evalstack/contract";

export interface FakeFailure {
  code: number;
  details: string;
}

export interface FakeModelServerOptions {
  service?: string;
  slots?: number;
  /** The reply to a request, sent as one chunk (default: "ok"). Ignored when `tokens` is set. */
  reply?: (request: GenerateRequest) => string;
  /**
   * Stream this many tokens ("t0 ", "t1 ", ...; fewer when the request's max_tokens is lower), one every
   * `tokenIntervalMs`, and finish with LENGTH: known timings for checking what a client measures.
   */
  tokens?: number;
  /** Delay before the first chunk (default 0). */
  firstTokenDelayMs?: number;
  /** Delay between streamed tokens (default 0). */
  tokenIntervalMs?: number;
  /** Fail a call with this gRPC status (e.g. UNAVAILABLE) when it returns one; `callNumber` counts from 1. */
  failWith?: (request: GenerateRequest, callNumber: number) => FakeFailure | undefined;
  port?: number;
  /** Server interceptors (e.g. trace context extraction). */
  interceptors?: ServerInterceptor[];
}

export interface FakeModelServer {
  target: string;
  port: number;
  /** Generation calls received (GenerateStream + Generate), including failed ones. */
  calls: number;
  /** Most generations in progress at once. */
  maxConcurrent: number;
  requests: GenerateRequest[];
  /** Keep request bodies (default true; the benchmark turns it off). */
  keepRequests: boolean;
  close(): Promise<void>;
}

const wait = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

export async function startFakeModelServer(options: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  const slots = options.slots ?? 2;
  const firstTokenDelayMs = options.firstTokenDelayMs ?? 0;
  const tokenIntervalMs = options.tokenIntervalMs ?? 0;
  let concurrent = 0;
  const state: FakeModelServer = {
    target: "",
    port: 0,
    calls: 0,
    maxConcurrent: 0,
    requests: [],
    keepRequests: true,
    close: async () => {},
  };
  const replyFor = options.reply ?? (() => "ok");
  const info: ModelInfo = {
    service: options.service ?? "fake",
    name: "fake-model",
    architecture: "none",
    quantization: "none",
    parameterCount: 0,
    fileSizeBytes: 0,
    sha256: "0".repeat(64),
    source: "@evalstack/testing",
    contextSize: 4096,
    trainContextSize: 4096,
    slots,
    threads: 1,
    loadMs: 0,
    ramBytes: 0,
    peakRamBytes: 0,
    vramBytes: 0,
    gpu: "none",
    gpuLayers: 0,
    queueLimit: 32,
    chatTemplate: "",
  };

  const begin = (request: GenerateRequest): FakeFailure | undefined => {
    state.calls++;
    if (state.keepRequests) state.requests.push(request);
    if (request.messages.length === 0) return { code: status.INVALID_ARGUMENT, details: "messages: at least one message is required" };
    return options.failWith?.(request, state.calls);
  };
  // The reply's pieces: the scripted tokens, or the whole reply text as one piece.
  const piecesFor = (request: GenerateRequest): string[] => {
    if (options.tokens === undefined) return [replyFor(request)];
    const count = Math.min(options.tokens, request.maxTokens ?? options.tokens);
    return Array.from({ length: count }, (_, i) => `t${i} `);
  };
  const finishReason = options.tokens === undefined ? FinishReason.STOP : FinishReason.LENGTH;
  const timings = (pieces: string[]): Timings => {
    const decodeMs = pieces.length > 1 ? (pieces.length - 1) * tokenIntervalMs : 0.1;
    return {
      queueMs: 0,
      ttftMs: firstTokenDelayMs,
      decodeMs,
      totalMs: firstTokenDelayMs + decodeMs,
      tokensPerSecond: tokenIntervalMs > 0 ? 1000 / tokenIntervalMs : pieces.join("").length * 10,
      promptMs: 0,
    };
  };
  const usage = (pieces: string[]) => ({ promptTokens: 10, completionTokens: pieces.length });

  const implementation: InferenceServer = {
    generateStream(call: ServerWritableStream<GenerateRequest, GenerateChunk>) {
      const failure = begin(call.request);
      if (failure) {
        // grpc-js: an 'error' event on a server stream ends the call with that status.
        call.emit("error", Object.assign(new Error(failure.details), failure) as ServiceError);
        return;
      }
      concurrent++;
      state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
      const requestId = call.request.requestId;
      const pieces = piecesFor(call.request);
      void (async () => {
        try {
          await wait(firstTokenDelayMs);
          for (const [i, delta] of pieces.entries()) {
            if (i > 0) await wait(tokenIntervalMs);
            if (call.cancelled) return;
            call.write({ requestId, delta, finishReason: FinishReason.UNSPECIFIED, usage: undefined, timings: undefined, tokens: 1 });
          }
          if (call.cancelled) return;
          call.write({ requestId, delta: "", finishReason, usage: usage(pieces), timings: timings(pieces), tokens: 0 });
          call.end();
        } finally {
          concurrent--;
        }
      })();
    },
    generate(call, callback) {
      const failure = begin(call.request);
      if (failure) return callback(Object.assign(new Error(failure.details), failure) as ServiceError);
      const pieces = piecesFor(call.request);
      void wait(firstTokenDelayMs + Math.max(0, pieces.length - 1) * tokenIntervalMs).then(() => {
        callback(null, {
          requestId: call.request.requestId,
          text: pieces.join(""),
          finishReason,
          usage: usage(pieces),
          timings: timings(pieces),
          model: info.name,
        });
      });
    },
    getModelInfo(_call, callback) {
      callback(null, info);
    },
    countTokens(call, callback) {
      callback(null, { tokenCount: call.request.messages.reduce((n, m) => n + m.content.length, 0), contextSize: info.contextSize });
    },
  };

  const server = new Server({ ...serverChannelOptions, ...(options.interceptors ? { interceptors: options.interceptors } : {}) });
  server.addService(InferenceService, implementation);
  const health = new HealthImplementation({ "": "SERVING", "evalstack.inference.v1.Inference": "SERVING" });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  state.port = port;
  state.target = `127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return state;
}
