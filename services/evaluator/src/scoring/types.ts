// The types that cross the evaluator's modules: suites (data), scoring (checks), runs (stored items)
// and reports. Suite items and checks are a public format: change them only compatibly.

export type Dimension = "instruction_following" | "math" | "code" | "structured" | "latency";
export const DIMENSIONS: readonly Dimension[] = ["instruction_following", "math", "code", "structured", "latency"];

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One check: `type` plus its own fields (see scoring/checks for each type's semantics). */
export interface Check {
  type: string;
  [field: string]: unknown;
}

export interface SuiteItem {
  id: string;
  dimension: Dimension;
  /** Normalised: a suite file may give `prompt` instead, which becomes one user message. */
  messages: ChatMessage[];
  max_tokens?: number;
  checks: Check[];
}

export interface Suite {
  id: string;
  description: string;
  items: SuiteItem[];
  builtin: boolean;
}

export interface CheckResult {
  type: string;
  passed: boolean;
  detail: string;
  /** Set when the check could not be evaluated (e.g. the sandbox has no python3): never a silent pass. */
  error?: string;
  /** Code checks: the sandbox isolation the code ran under. */
  isolation?: "namespaces" | "rlimits";
}

export interface ItemScore {
  /** Prompt-level: every check passed. */
  passed: boolean;
  /** Instruction-level: the share of checks passed (1 for an item without checks). */
  score: number;
  checks: CheckResult[];
  /** Set when a check could not be evaluated: the item is an error, not a pass or a fail. */
  error?: string;
}

/**
 * A reply's timings as the evaluator's API, store and reports carry them (snake_case); made from the
 * contract's camelCase Timings by models/wireTimings.ts only.
 */
export interface WireTimings {
  queue_ms: number;
  ttft_ms: number;
  decode_ms: number;
  total_ms: number;
  tokens_per_second: number;
}

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

/** What the model service reported about itself (GetModelInfo), as stored with the run. */
export interface ModelSnapshot {
  name: string;
  target: string;
  model_name: string;
  architecture: string;
  quantization: string;
  parameter_count: number;
  file_size_bytes: number;
  sha256: string;
  context_size: number;
  slots: number;
  load_ms: number;
  peak_ram_bytes: number;
  vram_bytes: number;
  gpu: string;
  /** llama.cpp threads and layers on the GPU (absent in snapshots stored before they were recorded). */
  threads?: number;
  gpu_layers?: number;
}
