// A run's server-sent events: item_completed (id = the item's per-run seq; Last-Event-ID resumes after it),
// progress when it changes, run_completed at the end. Each stream follows the store (so it also follows a run
// that another replica executes) and wakes early on this process's own notifications. Streams are bounded
// per run and in all (EventStreamSlots): each one polls the store.
import type { RunHeader, RunCounts, Store, StoredItem } from "../store/types.js";
import { TERMINAL_STATUSES } from "../store/types.js";
import type { RunEvents } from "./runEvents.js";

export interface SseWriter {
  writeSSE(message: { event: string; id?: string; data: string }): Promise<void>;
  write(text: string): Promise<unknown>;
}

export interface EventStreamDeps {
  store: Store;
  events: RunEvents;
  /** The progress object sent with `progress` and `run_completed`. */
  progress: (run: RunHeader, counts: RunCounts) => object;
  /** The row sent with each `item_completed`. */
  itemRow: (item: StoredItem) => object;
}

const PAGE = 500;
const KEEP_ALIVE_MS = 15_000;
const POLL_MS = 1_000;

export async function streamRunEvents(
  deps: EventStreamDeps,
  run: RunHeader,
  afterSeq: number,
  out: SseWriter,
  closed: AbortSignal,
): Promise<void> {
  let lastSeq = afterSeq;
  let lastProgress = "";
  let lastWrite = Date.now();
  for (;;) {
    // Read the status before the items: every item is stored before the run finishes, so a finished
    // status read here means the drain below sees every item.
    const current = (await deps.store.getRunHeader(run.id)) ?? run;
    for (;;) {
      const page = await deps.store.itemsAfter(run.id, lastSeq, PAGE);
      for (const item of page) {
        await out.writeSSE({ event: "item_completed", id: String(item.seq), data: JSON.stringify(deps.itemRow(item)) });
        lastSeq = item.seq;
      }
      if (page.length < PAGE) break;
    }
    const counts = await deps.store.counts(run.id);
    const p = JSON.stringify({ run_id: run.id, status: current.status, ...deps.progress(current, counts) });
    if (p !== lastProgress) {
      await out.writeSSE({ event: "progress", data: p });
      lastProgress = p;
      lastWrite = Date.now();
    }
    if (TERMINAL_STATUSES.has(current.status)) {
      await out.writeSSE({
        event: "run_completed",
        data: JSON.stringify({
          run_id: run.id,
          status: current.status,
          error: current.error,
          completed_at: current.completed_at,
          ...deps.progress(current, counts),
        }),
      });
      return;
    }
    if (Date.now() - lastWrite > KEEP_ALIVE_MS) {
      await out.write(": keep-alive\n\n");
      lastWrite = Date.now();
    }
    if (closed.aborted) return;
    await deps.events.nextFor(run.id, POLL_MS, closed);
    if (closed.aborted) return;
  }
}

/** Caps on open event streams, per run and in all; a slot is held from acquire until its release. */
export class EventStreamSlots {
  private total = 0;
  private readonly perRun = new Map<string, number>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerRun: number,
  ) {}

  /** A release function, or why no slot is free. */
  acquire(runId: string): { release: () => void } | { refused: string } {
    const onRun = this.perRun.get(runId) ?? 0;
    if (onRun >= this.maxPerRun)
      return { refused: `run ${runId} already has ${onRun} event streams open (EVALSTACK_MAX_EVENT_STREAMS_PER_RUN=${this.maxPerRun})` };
    if (this.total >= this.maxTotal)
      return { refused: `${this.total} event streams are open on this evaluator (EVALSTACK_MAX_EVENT_STREAMS=${this.maxTotal})` };
    this.total++;
    this.perRun.set(runId, onRun + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perRun.get(runId) ?? 1) - 1;
        if (left <= 0) this.perRun.delete(runId);
        else this.perRun.set(runId, left);
      },
    };
  }

  get open(): number {
    return this.total;
  }
}
