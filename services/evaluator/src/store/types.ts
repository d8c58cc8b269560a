// The evaluator's persistence, one interface with two backends: SQLite (one evaluator, the default) and
// PostgreSQL (several replicas sharing runs through leases). Both pass the same test suite
// (test/evaluatorStore.test.ts).
import type { ModelSnapshot, RunItemResult } from "../runs/types.js";
import type { Suite, SuiteItem } from "../suites/types.js";

export type RunStatus = "queued" | "running" | "completed" | "partial" | "failed" | "cancelled";
export const RUN_STATUSES: readonly RunStatus[] = ["queued", "running", "completed", "partial", "failed", "cancelled"];
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(["completed", "partial", "failed", "cancelled"]);

/** Sampling as the API takes it (snake_case, all optional: unset takes the model service's default). */
export interface Sampling {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repeat_penalty?: number;
  seed?: number;
}

export interface NewRun {
  id: string;
  suite_id: string;
  models: string[];
  repeats: number;
  sampling: Sampling;
  /** A ceiling on every item's max_tokens; null keeps each item's own (or the service default). */
  max_tokens: number | null;
  /** Per-model concurrency asked for; a model not named here gets its slots (GetModelInfo). */
  concurrency: Record<string, number>;
  /** The suite's items as they were when the run was created: a resumed run sends exactly these. */
  items: SuiteItem[];
  created_at: string;
}

export interface RunRecord extends NewRun {
  status: RunStatus;
  /** items × models × repeats. */
  total_items: number;
  /** What each model service reported about itself (GetModelInfo) when the run first reached it. */
  model_snapshots: ModelSnapshot[];
  error: string | null;
  started_at: string | null;
  completed_at: string | null;
  /** The replica executing the run, while its lease lasts. */
  owner: string | null;
  lease_expires_at: string | null;
}

/** A run without its items, for listings. */
export type RunHeader = Omit<RunRecord, "items">;

export interface RunCounts {
  /** Stored items, completed or error. */
  done: number;
  completed: number;
  errors: number;
  passed: number;
  by_model: Record<string, { done: number; completed: number; errors: number; passed: number }>;
}

export interface StoredItem extends RunItemResult {
  /**
   * The item's position in its run (1, 2, ...), assigned under the run's row lock in the transaction that
   * stores it: items become visible in seq order, so "after seq N" never skips one (server-sent events and
   * incremental summaries page by it, and Last-Event-ID resumes from it).
   */
  seq: number;
}

export interface ItemFilter {
  model?: string;
  dimension?: string;
  passed?: boolean;
  status?: "completed" | "error";
  /** Only items stored after this (per-run) sequence number. */
  after_seq?: number;
}

/** One generation request sent to a model, recorded before it is sent. */
export interface Dispatch {
  run_id: string;
  item_id: string;
  model: string;
  repeat: number;
  attempt: number;
  instance: string;
  sent_at: string;
}

export interface SuiteHeader {
  id: string;
  description: string;
  item_count: number;
  created_at: string;
}

/** A capacity result (evalstack.capacity/v1, from loadtests/capacity-search.ts) attached to one model of a run. */
export interface CapacityAttachment {
  run_id: string;
  model: string;
  /** The result file as it was posted. */
  result: unknown;
  /** What to size for; null: the report shows the measured capacity only. */
  sizing: { target_rps: number; headroom: number; gpus_per_replica: number; gpu_hour_usd: number } | null;
  attached_at: string;
}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreConflictError";
  }
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Brings the schema to the newest version (idempotent; safe when several replicas start at once). */
  migrate(): Promise<void>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Stores an uploaded suite; throws StoreConflictError when the id is taken. */
  createSuite(suite: Suite, createdAt: string): Promise<void>;
  getSuite(id: string): Promise<(Suite & { created_at: string }) | null>;
  listSuites(): Promise<SuiteHeader[]>;

  createRun(run: NewRun): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | null>;
  /** The run without its items (cheap: status checks, listings). */
  getRunHeader(id: string): Promise<RunHeader | null>;
  listRuns(filter: { status?: RunStatus[]; limit: number; offset: number }): Promise<{ runs: RunHeader[]; total: number }>;
  /** Records a model's GetModelInfo for the run (first one wins). */
  setModelSnapshot(runId: string, snapshot: ModelSnapshot): Promise<void>;
  /** queued → running (started_at set once), only by the lease owner. */
  markRunning(runId: string, owner: string): Promise<boolean>;
  /** running → a terminal status, only by the lease owner and only once; the lease is released. */
  finishRun(runId: string, owner: string, status: RunStatus, error: string | null, completedAt: string): Promise<boolean>;
  /** queued/running → cancelled. Returns the run as it is now (null when unknown). */
  cancelRun(runId: string, completedAt: string): Promise<RunRecord | null>;

  /**
   * Claims up to `limit` unfinished runs whose lease is free or expired, oldest first, for `owner`.
   * Returns the ids claimed.
   */
  claimRuns(owner: string, leaseMs: number, limit: number): Promise<string[]>;
  /** Extends the leases `owner` still holds on these runs; returns the ids still held and unfinished. */
  renewLeases(owner: string, runIds: string[], leaseMs: number): Promise<string[]>;
  releaseLeases(owner: string, runIds: string[]): Promise<void>;
  /**
   * Frees every lease (returns how many were held). Only for a store one process owns (SQLite): at start-up
   * every lease belongs to a process that is gone, so its runs resume at once instead of after the lease.
   */
  clearLeases(): Promise<number>;

  /** Stores a reply; returns null (and changes nothing) when (run, item, model, repeat) is already stored. */
  insertItem(item: RunItemResult): Promise<StoredItem | null>;
  /** Keys `item_id|model|repeat` of the items already stored for the run. */
  storedKeys(runId: string): Promise<Set<string>>;
  listItems(runId: string, filter: ItemFilter, limit: number, offset: number): Promise<{ items: StoredItem[]; total: number }>;
  /** Up to `limit` items stored after `afterSeq`, in seq order, without a total (event streams, incremental summaries). */
  itemsAfter(runId: string, afterSeq: number, limit: number): Promise<StoredItem[]>;
  counts(runId: string): Promise<RunCounts>;
  /** Counts for several runs at once (listings). */
  countsFor(runIds: string[]): Promise<Map<string, RunCounts>>;

  recordDispatch(dispatch: Dispatch): Promise<void>;

  /** Attaches (or replaces) the capacity result of one model of a run. */
  attachCapacity(attachment: CapacityAttachment): Promise<void>;
  /** The run's capacity results, by model name. */
  listCapacity(runId: string): Promise<CapacityAttachment[]>;
  listDispatches(runId: string): Promise<Dispatch[]>;
}

export function itemKey(itemId: string, model: string, repeat: number): string {
  return `${itemId}|${model}|${repeat}`;
}

export function emptyCounts(models: string[] = []): RunCounts {
  const counts: RunCounts = { done: 0, completed: 0, errors: 0, passed: 0, by_model: {} };
  for (const m of models) counts.by_model[m] = { done: 0, completed: 0, errors: 0, passed: 0 };
  return counts;
}
