// Request and response schemas (zod): they validate requests and generate the OpenAPI 3.1 document.
// Tabular responses are flat rows (numbers as numbers, ISO 8601 timestamps) so pandas reads them in one call.
import { z } from "@hono/zod-openapi";
import { RUN_STATUSES } from "../store/types.js";
import { DIMENSIONS } from "../suites/types.js";

export const MAX_REPEATS = 100;
export const MAX_TOKENS = 32_768;
export const MAX_CONCURRENCY = 256;

export const SamplingSchema = z
  .strictObject({
    temperature: z.number().min(0).max(5).optional().openapi({ description: "0 is greedy decoding (repeatable)", example: 0 }),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.number().int().min(0).max(1000).optional(),
    min_p: z.number().min(0).max(1).optional(),
    repeat_penalty: z.number().gt(0).max(10).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional()
      .openapi({ description: "With repeats, repeat r uses seed + r", example: 42 }),
  })
  .openapi("Sampling", { description: "Unset fields take the model service's defaults." });

export const MessageSchema = z
  .strictObject({
    role: z.enum(["system", "user", "assistant"]),
    content: z.string().max(200_000),
  })
  .openapi("Message");

const ModelName = z.string().min(1).max(63).openapi({ example: "qwen" });
const Timestamp = z.string().openapi({ format: "date-time", example: "2025-06-01T12:00:00.000Z" });
const NullableTimestamp = Timestamp.nullable();

export const CreateRunSchema = z
  .strictObject({
    suite: z.string().min(1).max(256).openapi({
      description: "A suite id (GET /v1/suites), or several separated by commas: one run over their items, in that order",
      example: "smoke-6",
    }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .openapi({ description: "At most this many items of each suite (the first ones, or the first after the shuffle)", example: 40 }),
    shuffle_seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional()
      .openapi({ description: "Shuffle each suite's items reproducibly (by sha256 of seed and item id) before the limit", example: 1 }),
    models: z
      .array(ModelName)
      .min(1)
      .max(16)
      .refine((m) => new Set(m).size === m.length, "models must not repeat")
      .openapi({ example: ["qwen", "phi3"] }),
    repeats: z.number().int().min(1).max(MAX_REPEATS).default(1).openapi({ description: "How often each item is sent to each model" }),
    sampling: SamplingSchema.default({}),
    max_tokens: z
      .number()
      .int()
      .min(1)
      .max(MAX_TOKENS)
      .optional()
      .openapi({ description: "A ceiling on every item's max_tokens", example: 256 }),
    concurrency: z
      .union([z.number().int().min(1).max(MAX_CONCURRENCY), z.record(z.string(), z.number().int().min(1).max(MAX_CONCURRENCY))])
      .optional()
      .openapi({
        description: "Calls in flight per model: one number for every model, or per model name. Default: the model's slots (GetModelInfo).",
        example: { qwen: 2 },
      }),
  })
  .openapi("CreateRun");

export const RunStatusSchema = z.enum(RUN_STATUSES as unknown as [string, ...string[]]).openapi("RunStatus");

export const ModelProgressSchema = z.object({
  total: z.number().int(),
  done: z.number().int(),
  completed: z.number().int(),
  errors: z.number().int(),
  passed: z.number().int(),
});

export const ProgressSchema = ModelProgressSchema.extend({
  fraction: z.number().openapi({ description: "done / total, 0-1" }),
  by_model: z.record(z.string(), ModelProgressSchema),
}).openapi("Progress");

export const ModelSnapshotSchema = z
  .object({
    name: z.string(),
    kind: z
      .enum(["grpc", "openai"])
      .optional()
      .openapi({ description: "How the evaluator reaches the model; absent on runs stored before OpenAI targets (gRPC)" }),
    target: z.string().openapi({ description: "host:port (gRPC) or the base URL (OpenAI)" }),
    model_name: z.string(),
    architecture: z.string(),
    quantization: z.string(),
    parameter_count: z.number().nullable().openapi({ description: "null: not reported (OpenAI-compatible targets)" }),
    file_size_bytes: z.number().nullable(),
    sha256: z.string(),
    context_size: z.number().nullable(),
    slots: z.number().nullable(),
    load_ms: z.number().nullable(),
    peak_ram_bytes: z.number().nullable(),
    vram_bytes: z.number().nullable(),
    gpu: z.string(),
    threads: z.number().optional(),
    gpu_layers: z.number().optional(),
  })
  .openapi("ModelSnapshot");

export const SummaryRowSchema = z
  .object({
    model: z.string(),
    dimension: z.string(),
    items: z.number().int(),
    replies: z.number().int(),
    errors: z.number().int(),
    pass_rate: z.number(),
    score: z.number().openapi({ description: "0-10: pass rate x 10" }),
    ci_low: z.number().openapi({ description: "95% Wilson interval of the score, low end" }),
    ci_high: z.number(),
    instruction_score: z.number().openapi({ description: "Mean share of checks passed, 0-1" }),
  })
  .openapi("SummaryRow");

export const RunSchema = z
  .object({
    id: z.string(),
    suite_id: z.string(),
    status: RunStatusSchema,
    models: z.array(z.string()),
    repeats: z.number().int(),
    sampling: SamplingSchema,
    max_tokens: z.number().int().nullable(),
    concurrency: z.record(z.string(), z.number().int()),
    total_items: z.number().int(),
    created_at: Timestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    error: z.string().nullable(),
    owner: z.string().nullable().openapi({ description: "The evaluator replica executing the run" }),
    progress: ProgressSchema,
    model_snapshots: z.array(ModelSnapshotSchema),
    summary: z.array(SummaryRowSchema).openapi({ description: "Per model per dimension, from the report" }),
    comparisons: z.array(
      z.object({
        dimension: z.string(),
        model_a: z.string(),
        model_b: z.string(),
        paired_items: z.number().int(),
        a_better_items: z.number().int(),
        b_better_items: z.number().int(),
        p_value: z.number(),
        verdict: z.string(),
        items_needed: z.number().int().nullable().openapi({
          description:
            "Paired items a difference of the observed size needs for p < 0.05 at 80% power; null when the models did not differ",
        }),
        summary: z.string(),
      }),
    ),
  })
  .openapi("Run");

export const RunRowSchema = z
  .object({
    id: z.string(),
    suite_id: z.string(),
    status: RunStatusSchema,
    models: z.string().openapi({ description: "Comma-separated", example: "qwen,phi3" }),
    repeats: z.number().int(),
    max_tokens: z.number().int().nullable(),
    total_items: z.number().int(),
    done: z.number().int(),
    completed: z.number().int(),
    errors: z.number().int(),
    passed: z.number().int(),
    created_at: Timestamp,
    started_at: NullableTimestamp,
    completed_at: NullableTimestamp,
    error: z.string().nullable(),
  })
  .openapi("RunRow");

export const CheckResultSchema = z
  .object({ type: z.string(), passed: z.boolean(), detail: z.string(), error: z.string().optional() })
  .openapi("CheckResult");

/** One model reply with its usage and the model service's timings: shared by run items and compare results. */
const generationFields = {
  reply: z.string(),
  finish_reason: z.string(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  queue_ms: z.number(),
  ttft_ms: z.number(),
  decode_ms: z.number(),
  total_ms: z.number(),
  tokens_per_second: z.number(),
};

export const ItemRowSchema = z
  .object({
    seq: z.number().int(),
    run_id: z.string(),
    item_id: z.string(),
    model: z.string(),
    repeat: z.number().int(),
    dimension: z.string(),
    status: z.enum(["completed", "error"]),
    passed: z.boolean().nullable().openapi({ description: "Every check passed; null for errors and latency items" }),
    score: z.number().nullable().openapi({ description: "Share of checks passed, 0-1" }),
    checks_passed: z.number().int().nullable(),
    checks_total: z.number().int().nullable(),
    ...generationFields,
    attempts: z.number().int(),
    error: z.string().nullable(),
    completed_at: Timestamp,
    checks: z.array(CheckResultSchema).openapi({ description: "In CSV: a JSON string" }),
  })
  .openapi("ItemRow");

export const ItemQuerySchema = z.object({
  model: z.string().optional(),
  dimension: z.enum(DIMENSIONS as unknown as [string, ...string[]]).optional(),
  passed: z.enum(["true", "false"]).optional(),
  status: z.enum(["completed", "error"]).optional(),
  format: z.enum(["json", "csv"]).default("json"),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ListQuerySchema = z.object({
  format: z.enum(["json", "csv"]).default("json"),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ModelRowSchema = z
  .object({
    name: z.string(),
    kind: z
      .enum(["grpc", "openai"])
      .openapi({ description: "grpc: our contract at host:port; openai: an OpenAI-compatible server at a base URL" }),
    target: z.string(),
    health: z
      .string()
      .openapi({ description: "grpc.health.v1 status: SERVING, NOT_SERVING, ...; an OpenAI target is SERVING when GET /models answers" }),
    health_error: z.string().nullable(),
    pending_requests: z.number().int(),
    concurrency: z.number().int().openapi({ description: "Calls in flight allowed now (slots, or a run's higher concurrency)" }),
    in_flight: z.number().int(),
    service: z.string().nullable().openapi({ description: "GetModelInfo fields: null for an OpenAI target (not reported)" }),
    model_name: z.string().nullable().openapi({ description: "The loaded GGUF (gRPC) or the served model id (OpenAI)" }),
    architecture: z.string().nullable(),
    quantization: z.string().nullable(),
    parameter_count: z.number().nullable(),
    file_size_bytes: z.number().nullable(),
    sha256: z.string().nullable(),
    source: z.string().nullable(),
    context_size: z.number().nullable(),
    slots: z.number().nullable(),
    threads: z.number().nullable(),
    load_ms: z.number().nullable(),
    ram_bytes: z.number().nullable(),
    peak_ram_bytes: z.number().nullable(),
    vram_bytes: z.number().nullable(),
    gpu: z.string().nullable(),
    gpu_layers: z.number().nullable(),
    queue_limit: z.number().nullable(),
    info_error: z.string().nullable(),
  })
  .openapi("ModelRow");

export const SuiteRowSchema = z
  .object({
    id: z.string(),
    description: z.string(),
    builtin: z.boolean(),
    item_count: z.number().int(),
    created_at: NullableTimestamp,
  })
  .openapi("SuiteRow");

export const SuiteItemSchema = z
  .object({
    id: z.string(),
    dimension: z.string(),
    messages: z.array(MessageSchema),
    max_tokens: z.number().int().optional(),
    checks: z.array(z.object({ type: z.string() }).catchall(z.unknown())),
  })
  .openapi("SuiteItem");

export const SuiteSchema = z
  .object({
    id: z.string(),
    description: z.string(),
    builtin: z.boolean(),
    created_at: NullableTimestamp,
    items: z.array(SuiteItemSchema),
  })
  .openapi("Suite");

export const SUITE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const CreateSuiteSchema = z
  .strictObject({
    id: z.string().regex(SUITE_ID, "lower-case letters, digits, '.', '_' or '-', at most 64 characters"),
    description: z.string().max(2_000).default(""),
    items: z.array(z.unknown()).openapi({ description: "Suite items (see SuiteItem); validated field by field" }),
  })
  .openapi("CreateSuite");

export const ScoreRequestSchema = z
  .strictObject({
    item: z.unknown().openapi({ description: "One suite item (see SuiteItem)" }),
    reply: z.string().max(1_000_000),
    timings: z
      .strictObject({ ttft_ms: z.number().min(0), tokens_per_second: z.number().min(0) })
      .optional()
      .openapi({ description: "For latency items: scored against the latency targets" }),
  })
  .openapi("ScoreRequest");

export const ItemScoreSchema = z
  .object({ passed: z.boolean(), score: z.number(), checks: z.array(CheckResultSchema), error: z.string().optional() })
  .openapi("ItemScore");

export const CompareRequestSchema = z
  .strictObject({
    messages: z.array(MessageSchema).min(1).max(256),
    models: z
      .array(ModelName)
      .min(1)
      .max(16)
      .refine((m) => new Set(m).size === m.length, "models must not repeat")
      .optional()
      .openapi({ description: "Default: every configured model" }),
    sampling: SamplingSchema.default({}),
    max_tokens: z.number().int().min(1).max(MAX_TOKENS).default(256),
    retry_budget_ms: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .optional()
      .openapi({ description: "How long to wait out an unreachable model (default min(30 s, EVALSTACK_RETRY_BUDGET_MS))" }),
  })
  .openapi("CompareRequest");

export const CompareResultSchema = z
  .object({
    model: z.string(),
    status: z.enum(["completed", "error"]),
    ...generationFields,
    client_ttft_ms: z.number().nullable(),
    client_total_ms: z.number().nullable(),
    attempts: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi("CompareResult");

export const CompareResponseSchema = z.object({ id: z.string(), results: z.array(CompareResultSchema) }).openapi("CompareResponse");

export const RunIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, example: "run_0m3x8z1k2abcdefgh" }),
});
