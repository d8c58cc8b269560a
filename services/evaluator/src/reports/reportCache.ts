// Reports of stored runs, cached per run. A finished run's report is built once per status; a running
// run's is rebuilt from the store only when it has grown by a quarter since the last build or the build is
// older than REBUILD_AFTER_MS, so a UI or notebook polling a 10,000-item run does not re-read every item
// each time one more is stored (the numbers a poll needs are in RunSummaryCache, kept incrementally).
import type { LatencyTargets } from "../scoring/latencyScore.js";
import type { RunItemResult } from "../runs/types.js";
import { TERMINAL_STATUSES, type RunCounts, type RunRecord, type Store, type StoredItem } from "../store/types.js";
import { buildReport } from "./buildReport.js";
import type { Report } from "./reportTypes.js";

const PAGE = 5_000;
const GROWTH = 1.25;
export const REBUILD_AFTER_MS = 5_000;

/** Every stored item of a run, in seq order. */
export async function allItems(store: Store, runId: string): Promise<StoredItem[]> {
  const out: StoredItem[] = [];
  for (;;) {
    const page = await store.itemsAfter(runId, out.at(-1)?.seq ?? 0, PAGE);
    out.push(...page);
    if (page.length < PAGE) return out;
  }
}

interface Entry {
  /** Status, snapshot count and capacity attachments: a change rebuilds at once. */
  key: string;
  done: number;
  builtAt: number;
  report: Report;
}

export class ReportCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    private readonly latencyTargets: LatencyTargets,
    private readonly now: () => number = Date.now,
  ) {}

  async get(run: RunRecord, counts: RunCounts): Promise<Report> {
    const capacity = await this.store.listCapacity(run.id);
    const key = `${run.status}|${run.model_snapshots.length}|${capacity.map((a) => `${a.model}@${a.attached_at}`).join(",")}`;
    const hit = this.entries.get(run.id);
    if (hit && hit.key === key && this.fresh(hit, run, counts.done)) return hit.report;
    const items: RunItemResult[] = (await allItems(this.store, run.id)).map(({ seq: _seq, ...rest }) => rest);
    const prompts: Record<string, string> = {};
    for (const item of run.items)
      prompts[item.id] = item.messages
        .filter((m) => m.role === "user")
        .map((m) => m.content)
        .join("\n\n");
    const report = buildReport({
      run: {
        id: run.id,
        suite_id: run.suite_id,
        status: run.status,
        models: run.models,
        repeats: run.repeats,
        created_at: run.created_at,
        completed_at: run.completed_at,
      },
      models: run.model_snapshots,
      items,
      latencyTargets: this.latencyTargets,
      prompts,
      capacity,
    });
    this.entries.delete(run.id);
    this.entries.set(run.id, { key, done: items.length, builtAt: this.now(), report });
    if (this.entries.size > 64) this.entries.delete(this.entries.keys().next().value!);
    return report;
  }

  /** Whether a cached report still stands for a run now at `done` items. */
  private fresh(entry: Entry, run: RunRecord, done: number): boolean {
    if (done === entry.done) return true;
    if (TERMINAL_STATUSES.has(run.status)) return false; // a finished run's report is exact
    return done < Math.max(entry.done + 1, Math.ceil(entry.done * GROWTH)) && this.now() - entry.builtAt < REBUILD_AFTER_MS;
  }
}
