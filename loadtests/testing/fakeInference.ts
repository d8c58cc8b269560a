// A contract-conformant model service with scripted timing, for testing the load-test scripts themselves:
// the first text chunk after `firstTokenDelayMs`, then one token every `tokenIntervalMs`. With known
// timings, a test can check that the load generator measures what it claims to.
import { Server, ServerCredentials, status, type ServerWritableStream, type sendUnaryData } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import {
  FinishReason,
  InferenceService,
  type GenerateChunk,
  type GenerateRequest,
  type ModelInfo,
} from "@evalstack/contract";

export interface FakeInferenceOptions {
  firstTokenDelayMs: number;
  tokenIntervalMs: number;
  /** Completion tokens per reply when the request does not ask for fewer. */
  tokens: number;
  /** Every Nth request (1-based) fails with RESOURCE_EXHAUSTED; 0: none fail. */
  failEvery?: number;
}

export interface FakeInference {
  target: string;
  requests: () => number;
  stop: () => Promise<void>;
}

export async function startFakeInference(options: FakeInferenceOptions): Promise<FakeInference> {
  let count = 0;
  const server = new Server();
  const health = new HealthImplementation({ "": "SERVING" });
  health.addToServer(server);
  const info: ModelInfo = {
    service: "fake",
    name: "fake-model",
    architecture: "none",
    quantization: "none",
    parameterCount: 0,
    fileSizeBytes: 0,
    sha256: "",
    source: "loadtests/testing/fakeInference.ts",
    contextSize: 4096,
    trainContextSize: 4096,
    slots: 1000,
    threads: 0,
    loadMs: 0,
    ramBytes: 0,
    peakRamBytes: 0,
    vramBytes: 0,
    gpu: "none",
    gpuLayers: 0,
    queueLimit: 0,
    chatTemplate: "",
  };
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  server.addService(InferenceService, {
    generateStream: async (call: ServerWritableStream<GenerateRequest, GenerateChunk>) => {
      count++;
      if (options.failEvery && count % options.failEvery === 0) {
        call.emit("error", { code: status.RESOURCE_EXHAUSTED, details: "fake: queue full" });
        return;
      }
      let cancelled = false;
      call.on("cancelled", () => (cancelled = true));
      const tokens = Math.min(options.tokens, call.request.maxTokens ?? options.tokens);
      const chunk = (delta: string, n: number, final?: Partial<GenerateChunk>): GenerateChunk => ({
        requestId: call.request.requestId,
        delta,
        finishReason: FinishReason.UNSPECIFIED,
        usage: undefined,
        timings: undefined,
        tokens: n,
        ...final,
      });
      await wait(options.firstTokenDelayMs);
      for (let i = 0; i < tokens && !cancelled; i++) {
        if (i > 0) await wait(options.tokenIntervalMs);
        call.write(chunk(`t${i} `, 1));
      }
      if (cancelled) return;
      call.write(
        chunk("", 0, {
          finishReason: FinishReason.LENGTH,
          usage: { promptTokens: 10, completionTokens: tokens },
          timings: {
            queueMs: 0,
            ttftMs: options.firstTokenDelayMs,
            decodeMs: (tokens - 1) * options.tokenIntervalMs,
            totalMs: options.firstTokenDelayMs + (tokens - 1) * options.tokenIntervalMs,
            tokensPerSecond: 1000 / options.tokenIntervalMs,
            promptMs: 0,
          },
        }),
      );
      call.end();
    },
    generate: (_call: unknown, callback: sendUnaryData<never>) => callback({ code: status.UNIMPLEMENTED }),
    getModelInfo: (_call: unknown, callback: sendUnaryData<ModelInfo>) => callback(null, info),
    countTokens: (_call: unknown, callback: sendUnaryData<never>) => callback({ code: status.UNIMPLEMENTED }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    target: `127.0.0.1:${port}`,
    requests: () => count,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
