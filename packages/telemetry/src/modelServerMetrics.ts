import type { Attributes, Meter } from "@opentelemetry/api";
import { ATTR, BUCKETS, OPERATION_CHAT, PROVIDER_LLAMA_CPP, grpcStatusName } from "./genAiConventions.js";

export interface ModelServerMetricAttributes {
  /** `gen_ai.request.model`: the model slot callers ask for (e.g. "alpha"). */
  model: string;
  /** `gen_ai.response.model`: the model actually loaded (GGUF name); default `model`. */
  responseModel?: string;
  /** `gen_ai.provider.name`; default "llama.cpp". */
  provider?: string;
  /** Total slots, exported once as `evalstack.server.slots.capacity` when given. */
  slots?: number;
}

/** One finished call, successful or not (the shape the serving core's observer already reports). */
export interface FinishedRequest {
  /** Final gRPC status code (0 = OK). */
  grpcCode: number;
  /** e.g. "stop", "length", "stop_sequence", "cancelled", "error"; "" or "unspecified" are not counted. */
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
  /** Milliseconds as the contract's Timings has them; absent for calls refused before admission. */
  timings?: { queueMs: number; ttftMs: number; decodeMs: number; totalMs: number };
  /** `gen_ai.operation.name`; default "chat". */
  operation?: string;
}

/**
 * Instruments of a model service. `requestFinished` and `loadChanged` have the signatures of the serving
 * core's `ServingObserver`, so this object can be passed as the observer directly.
 */
export interface ModelServerMetrics {
  requestFinished(request: FinishedRequest): void;
  loadChanged(busySlots: number, queued: number): void;
}

/**
 * Prometheus names (as served on /metrics): gen_ai_server_request_duration, gen_ai_server_time_to_first_token,
 * gen_ai_server_time_per_output_token (histograms, seconds), evalstack_server_queue_duration (histogram, s),
 * evalstack_server_tokens_total, evalstack_server_requests_total, evalstack_server_finish_reasons_total,
 * evalstack_server_slots_busy, evalstack_server_queue_depth, evalstack_server_slots_capacity.
 */
export function createModelServerMetrics(meter: Meter, attrs: ModelServerMetricAttributes): ModelServerMetrics {
  const base: Attributes = {
    [ATTR.providerName]: attrs.provider ?? PROVIDER_LLAMA_CPP,
    [ATTR.requestModel]: attrs.model,
    [ATTR.responseModel]: attrs.responseModel ?? attrs.model,
  };

  const requestDuration = meter.createHistogram("gen_ai.server.request.duration", {
    description: "Generative AI server request duration, from arrival to the last output token (queue included).",
    unit: "s",
    advice: { explicitBucketBoundaries: [...BUCKETS.requestDurationS] },
  });
  const timeToFirstToken = meter.createHistogram("gen_ai.server.time_to_first_token", {
    description: "Time from arrival to the first generated token (queue included), successful responses.",
    unit: "s",
    advice: { explicitBucketBoundaries: [...BUCKETS.timeToFirstTokenS] },
  });
  const timePerOutputToken = meter.createHistogram("gen_ai.server.time_per_output_token", {
    description: "Time per output token after the first, successful responses with two or more tokens.",
    unit: "s",
    advice: { explicitBucketBoundaries: [...BUCKETS.timePerOutputTokenS] },
  });
  const queueDuration = meter.createHistogram("evalstack.server.queue.duration", {
    description: "Time a request waited in the admission queue for a free slot.",
    unit: "s",
    advice: { explicitBucketBoundaries: [0, ...BUCKETS.requestDurationS] },
  });
  const tokens = meter.createCounter("evalstack.server.tokens", {
    description: "Tokens processed, by gen_ai.token.type (input = prompt after the chat template, output = generated).",
    unit: "{token}",
  });
  const requests = meter.createCounter("evalstack.server.requests", {
    description: "Finished inference calls by outcome (the gRPC status name, lower case) and gRPC status code.",
    unit: "{request}",
  });
  const finishReasons = meter.createCounter("evalstack.server.finish_reasons", {
    description: "Generations by finish reason.",
    unit: "{request}",
  });
  const busySlots = meter.createGauge("evalstack.server.slots.busy", {
    description: "Slots (context sequences) generating now.",
    unit: "{slot}",
  });
  const queueDepth = meter.createGauge("evalstack.server.queue.depth", {
    description: "Requests waiting in the admission queue now.",
    unit: "{request}",
  });
  if (attrs.slots !== undefined) {
    meter
      .createGauge("evalstack.server.slots.capacity", { description: "Slots of this model process.", unit: "{slot}" })
      .record(attrs.slots, base);
  }
  // The series exist from the start, so "no load" reads as 0 rather than as no data.
  busySlots.record(0, base);
  queueDepth.record(0, base);

  return {
    requestFinished(request) {
      const op = { ...base, [ATTR.operationName]: request.operation ?? OPERATION_CHAT };
      const ok = request.grpcCode === 0;
      const statusName = grpcStatusName(request.grpcCode);
      requests.add(1, { ...op, outcome: statusName.toLowerCase(), [ATTR.rpcGrpcStatusCode]: request.grpcCode });
      const reason = request.finishReason.toLowerCase();
      if (reason !== "" && reason !== "unspecified") finishReasons.add(1, { ...op, [ATTR.finishReason]: reason });
      if (request.promptTokens > 0) tokens.add(request.promptTokens, { ...op, [ATTR.tokenType]: "input" });
      if (request.completionTokens > 0) tokens.add(request.completionTokens, { ...op, [ATTR.tokenType]: "output" });

      const t = request.timings;
      if (!t) return;
      requestDuration.record(t.totalMs / 1000, ok ? op : { ...op, [ATTR.errorType]: statusName });
      queueDuration.record(t.queueMs / 1000, op);
      if (!ok || request.completionTokens < 1) return;
      timeToFirstToken.record(t.ttftMs / 1000, op);
      if (request.completionTokens > 1) timePerOutputToken.record(t.decodeMs / 1000 / (request.completionTokens - 1), op);
    },
    loadChanged(busy, queued) {
      busySlots.record(busy, base);
      queueDepth.record(queued, base);
    },
  };
}
