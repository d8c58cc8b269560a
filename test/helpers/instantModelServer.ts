// A contract-conformant model service that answers instantly (no model): GenerateStream, Generate,
// GetModelInfo, CountTokens and grpc.health.v1. For unit tests of the code around the model calls and for
// benchmarks of the evaluator's own overhead; never a stand-in where a feature is shown working end to end.
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
} from "@evalstack/contract";

export interface InstantModelServerOptions {
  service?: string;
  slots?: number;
  /** The reply to a request (default: "ok"). */
  reply?: (request: GenerateRequest) => string;
  /** Delay before the first chunk (default 0). */
  delayMs?: number;
  /** Fail the next calls with this gRPC status (e.g. UNAVAILABLE) while the returned function says so. */
  failWith?: (request: GenerateRequest, callNumber: number) => { code: number; details: string } | undefined;
  port?: number;
  /** Server interceptors (e.g. trace context extraction). */
  interceptors?: ServerInterceptor[];
}

export interface InstantModelServer {
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

export async function startInstantModelServer(options: InstantModelServerOptions = {}): Promise<InstantModelServer> {
  const slots = options.slots ?? 2;
  let concurrent = 0;
  const state: InstantModelServer = {
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
    service: options.service ?? "instant",
    name: "instant-reply",
    architecture: "none",
    quantization: "none",
    parameterCount: 0,
    fileSizeBytes: 0,
    sha256: "0".repeat(64),
    source: "instant",
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

  const begin = (request: GenerateRequest): { code: number; details: string } | undefined => {
    state.calls++;
    if (state.keepRequests) state.requests.push(request);
    if (request.messages.length === 0) return { code: status.INVALID_ARGUMENT, details: "messages: at least one message is required" };
    return options.failWith?.(request, state.calls);
  };
  const wait = () => (options.delayMs ? new Promise((r) => setTimeout(r, options.delayMs)) : Promise.resolve());
  const timings = (text: string) => ({ queueMs: 0, ttftMs: options.delayMs ?? 0, decodeMs: 0.1, totalMs: (options.delayMs ?? 0) + 0.1, tokensPerSecond: text.length * 10, promptMs: 0 });

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
      void wait().then(() => {
        concurrent--;
        if (call.cancelled) return;
        const text = replyFor(call.request);
        const requestId = call.request.requestId;
        call.write({ requestId, delta: text, finishReason: FinishReason.UNSPECIFIED, usage: undefined, timings: undefined, tokens: 1 });
        call.write({
          requestId,
          delta: "",
          finishReason: FinishReason.STOP,
          usage: { promptTokens: 10, completionTokens: 1 },
          timings: timings(text),
          tokens: 0,
        });
        call.end();
      });
    },
    generate(call, callback) {
      const failure = begin(call.request);
      if (failure) return callback(Object.assign(new Error(failure.details), failure) as ServiceError);
      void wait().then(() => {
        const text = replyFor(call.request);
        callback(null, {
          requestId: call.request.requestId,
          text,
          finishReason: FinishReason.STOP,
          usage: { promptTokens: 10, completionTokens: 1 },
          timings: timings(text),
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
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  state.port = port;
  state.target = `127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return state;
}
