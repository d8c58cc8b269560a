// A run's stored records: one reply per (run, item, model, repeat), and the model as it reported itself.
import type { ItemScore } from "../scoring/types.js";
import type { Dimension } from "../suites/types.js";
import type { WireTimings } from "../models/wireTimings.js";

export type { WireTimings } from "../models/wireTimings.js";

/** One stored reply: (run, item, model, repeat) is its identity. */
export interface RunItemResult {
  run_id: string;
  item_id: string;
  model: string;
  repeat: number;
  dimension: Dimension;
  status: "completed" | "error";
  reply: string;
  finish_reason: string;
  prompt_tokens: number;
  completion_tokens: number;
  timings: WireTimings;
  /** Null for errors and for latency items (scored from timings). */
  score: ItemScore | null;
  error: string | null;
  attempts: number;
  completed_at: string;
}

/** What the model reported about itself, as stored with the run: GetModelInfo for a gRPC target; for an
 *  OpenAI-compatible target only the served model's id, the rest null or "" (the server does not report it). */
export interface ModelSnapshot {
  name: string;
  /** How the evaluator reached it; snapshots stored before OpenAI targets existed have none (= "grpc"). */
  kind?: "grpc" | "openai";
  /** host:port (gRPC) or the base URL (OpenAI). */
  target: string;
  model_name: string;
  architecture: string;
  quantization: string;
  parameter_count: number | null;
  file_size_bytes: number | null;
  sha256: string;
  context_size: number | null;
  slots: number | null;
  load_ms: number | null;
  peak_ram_bytes: number | null;
  vram_bytes: number | null;
  gpu: string;
  /** llama.cpp threads and layers on the GPU (absent in snapshots stored before they were recorded). */
  threads?: number;
  gpu_layers?: number;
}
