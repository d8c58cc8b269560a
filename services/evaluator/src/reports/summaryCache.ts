// Per-run incremental summaries for the API's run views (GET /v1/runs/{id}, /summary): each read folds in
// only the items stored since the last one (Store.itemsAfter by the per-run seq), so polling costs the same
// at item 10 and item 10,000.
import type { LatencyTargets } from "../scoring/latencyScore.js";
import type { RunHeader, Store } from "../store/types.js";
import type { DimensionReport } from "./reportTypes.js";
import { RunSummary } from "./runSummary.js";

const PAGE = 5_000;
const MAX_RUNS = 256;

export class RunSummaryCache {
  private readonly entries = new Map<string, RunSummary>();

  constructor(
    private readonly store: Store,
    private readonly latencyTargets: LatencyTargets,
  ) {}

  async dimensions(run: Pick<RunHeader, "id" | "models">): Promise<DimensionReport[]> {
    let summary = this.entries.get(run.id);
    if (!summary) summary = new RunSummary(run.models, this.latencyTargets);
    this.entries.delete(run.id);
    this.entries.set(run.id, summary);
    if (this.entries.size > MAX_RUNS) this.entries.delete(this.entries.keys().next().value!);
    // Concurrent readers may fetch the same page: RunSummary.add skips what it has folded already.
    for (;;) {
      const page = await this.store.itemsAfter(run.id, summary.lastSeq, PAGE);
      for (const item of page) summary.add(item);
      if (page.length < PAGE) return summary.dimensions();
    }
  }
}
