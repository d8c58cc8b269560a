import type { Attributes, Meter } from "@opentelemetry/api";
import { ATTR, BUCKETS, OPERATION_CHAT, PROVIDER_LLAMA_CPP } from "./genAiConventions.js";

/** One call from the evaluator to a model service, as the evaluator saw it. */
export interface ClientOperation {
  /** `gen_ai.request.model`: the model name in the evaluator's registry (e.g. "alpha"). */
  model: string;
  /** `gen_ai.response.model`: the model the service reports having loaded, when known. */
  responseModel?: string;
  /** Wall time of the call as the evaluator measured it. */
  durationMs: number;
  /** Time to the first streamed chunk, for streaming calls that got one. */
  timeToFirstChunkMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** `error.type` for failed calls (e.g. the gRPC status name "UNAVAILABLE"); absent on success. */
  errorType?: string;
  /** `gen_ai.operation.name`; default "chat". */
  operation?: string;
  /** `gen_ai.provider.name`; default "llama.cpp". */
  provider?: string;
}

export interface EvaluatorMetrics {
  /** A run entered `status` (queued, running, completed, partial, failed, cancelled, ...). */
  runStatus(status: string): void;
  /** A run item finished for one model: outcome "passed" | "failed" | "error" (anything short is fine). */
  itemCompleted(item: { model: string; outcome: string; dimension?: string }): void;
  /** Requests for `model` waiting or in flight changed by `delta` (+1 when queued, -1 when done). */
  addPending(model: string, delta: number): void;
  /** Records gen_ai.client.operation.duration, gen_ai.client.token.usage and time to first chunk. */
  recordOperation(operation: ClientOperation): void;
}

/**
 * Prometheus names (as served on /metrics): evalstack_runs_total{status}, evalstack_items_total{model,outcome,
 * dimension}, evalstack_pending_requests{model} (the autoscaling signal), gen_ai_client_operation_duration,
 * gen_ai_client_token_usage, gen_ai_client_operation_time_to_first_chunk (histograms).
 *
 * `models`: the configured models, so `evalstack_pending_requests{model}` reads 0 for each from the start
 * (an autoscaler scaling to zero needs the series, not an absent one).
 */
export function createEvaluatorMetrics(meter: Meter, options: { models?: readonly string[] } = {}): EvaluatorMetrics {
  const runs = meter.createCounter("evalstack.runs", {
    description: "Run status transitions, by the status entered.",
    unit: "{run}",
  });
  const items = meter.createCounter("evalstack.items", {
    description: "Run items finished per model, by outcome (passed, failed, error) and dimension.",
    unit: "{item}",
  });
  const pending = meter.createUpDownCounter("evalstack.pending_requests", {
    description: "Requests per model queued in the evaluator or in flight to the model service.",
    unit: "{request}",
  });
  const operationDuration = meter.createHistogram("gen_ai.client.operation.duration", {
    description: "GenAI operation duration, as the evaluator measured each call to a model service.",
    unit: "s",
    advice: { explicitBucketBoundaries: [...BUCKETS.requestDurationS] },
  });
  const tokenUsage = meter.createHistogram("gen_ai.client.token.usage", {
    description: "Input and output tokens per call, by gen_ai.token.type.",
    unit: "{token}",
    advice: { explicitBucketBoundaries: [...BUCKETS.tokens] },
  });
  const timeToFirstChunk = meter.createHistogram("gen_ai.client.operation.time_to_first_chunk", {
    description: "Time from issuing a streaming call to its first chunk.",
    unit: "s",
    advice: { explicitBucketBoundaries: [...BUCKETS.timeToFirstTokenS] },
  });

  for (const model of options.models ?? []) pending.add(0, { model });

  return {
    runStatus(status) {
      runs.add(1, { status });
    },
    itemCompleted(item) {
      items.add(1, { model: item.model, outcome: item.outcome, ...(item.dimension ? { dimension: item.dimension } : {}) });
    },
    addPending(model, delta) {
      pending.add(delta, { model });
    },
    recordOperation(op) {
      const attrs: Attributes = {
        [ATTR.operationName]: op.operation ?? OPERATION_CHAT,
        [ATTR.providerName]: op.provider ?? PROVIDER_LLAMA_CPP,
        [ATTR.requestModel]: op.model,
        ...(op.responseModel ? { [ATTR.responseModel]: op.responseModel } : {}),
      };
      operationDuration.record(op.durationMs / 1000, op.errorType ? { ...attrs, [ATTR.errorType]: op.errorType } : attrs);
      if (op.errorType) return;
      if (op.timeToFirstChunkMs !== undefined) timeToFirstChunk.record(op.timeToFirstChunkMs / 1000, attrs);
      if (op.inputTokens !== undefined) tokenUsage.record(op.inputTokens, { ...attrs, [ATTR.tokenType]: "input" });
      if (op.outputTokens !== undefined) tokenUsage.record(op.outputTokens, { ...attrs, [ATTR.tokenType]: "output" });
    },
  };
}
