// Per-suite scores for the report: each suite of the run (a run over `a,b` has two), each model's pass@1
// with its 95% interval, pass@k when there are repeats (the HumanEval paper's unbiased estimator, averaged
// over items), and the published scores of the model as loaded, with what differs in the harness.

import { passAtK, wilsonInterval } from "../scoring/statistics.js";
import type { ModelSnapshot } from "../runs/types.js";
import type { SuiteItem } from "../suites/types.js";
import { builtinSuite } from "../suites/builtinSuites.js";
import { suiteIds } from "../suites/selectItems.js";
import { HARNESS_NOTES, referenceScoresFor, type ReferenceScore } from "../suites/standard/referenceScores.js";
import type { SuiteModelScore, SuiteReport } from "./reportTypes.js";

/** What suiteScores needs of an (item, model) aggregate: one 0/1 outcome per repeat, errors as 0. */
export interface ItemOutcomes {
  item_id: string;
  model: string;
  passes: number[];
}

const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
const K_VALUES = [1, 2, 5, 10, 20, 50, 100];

/**
 * Which suite each item of the run came from. Built-in suites are known by their item ids; items of no
 * built-in suite belong to the run's one uploaded suite (or, with several uploaded ones, to their joint name).
 */
export function itemSuites(
  suiteId: string,
  itemIds: Iterable<string>,
  lookup: (id: string) => { items: SuiteItem[] } | undefined = builtinSuite,
): Map<string, string> {
  const ids = suiteIds(suiteId);
  const owner = new Map<string, string>();
  const uploaded: string[] = [];
  const known = new Map<string, string>();
  for (const id of ids) {
    const suite = lookup(id);
    if (!suite) uploaded.push(id);
    else for (const item of suite.items) if (!known.has(item.id)) known.set(item.id, id);
  }
  const rest = uploaded.length > 0 ? uploaded.join(",") : (ids[0] ?? suiteId);
  for (const item of itemIds) owner.set(item, known.get(item) ?? rest);
  return owner;
}

export function suiteScores(
  suiteId: string,
  models: string[],
  snapshots: Map<string, ModelSnapshot>,
  outcomes: ItemOutcomes[],
  lookup: (id: string) => { items: SuiteItem[] } | undefined = builtinSuite,
): SuiteReport[] {
  const owner = itemSuites(suiteId, new Set(outcomes.map((o) => o.item_id)), lookup);
  const order = [...new Set([...suiteIds(suiteId).filter((id) => lookup(id)), ...owner.values()])];
  const reports: SuiteReport[] = [];
  for (const suite of order) {
    const mine = outcomes.filter((o) => owner.get(o.item_id) === suite);
    if (mine.length === 0) continue;
    const full = lookup(suite)?.items.length ?? null;
    const perModel: SuiteModelScore[] = models.map((model) => {
      const gs = mine.filter((o) => o.model === model && o.passes.length > 0);
      const n = gs.length === 0 ? 0 : Math.min(...gs.map((g) => g.passes.length));
      const pass1 = gs.reduce((s, g) => s + g.passes.reduce((a, b) => a + b, 0) / g.passes.length, 0);
      const ci = wilsonInterval(pass1, gs.length);
      const passAt = K_VALUES.filter((k) => k > 1 && k <= n).map((k) => {
        const sum = gs.reduce(
          (s, g) =>
            s +
            passAtK(
              g.passes.length,
              g.passes.reduce((a, b) => a + b, 0),
              k,
            ),
          0,
        );
        const kci = wilsonInterval(Math.min(sum, gs.length), gs.length);
        return { k, value: round(sum / gs.length), interval: { low: round(kci.low), high: round(kci.high) } };
      });
      const modelName = snapshots.get(model)?.model_name ?? "";
      const references: ReferenceScore[] = modelName ? referenceScoresFor(suite, modelName) : [];
      return {
        model,
        model_name: modelName || model,
        items: gs.length,
        samples_per_item: n,
        pass_at_1: round(gs.length ? pass1 / gs.length : 0),
        interval: { low: round(ci.low), high: round(ci.high) },
        pass_at_k: passAt,
        references: references.map((r) => ({ model: r.model, value: r.value, source: r.source, setting: r.setting })),
      };
    });
    reports.push({
      suite,
      items: new Set(mine.map((o) => o.item_id)).size,
      suite_items: full,
      per_model: perModel,
      harness_note: perModel.some((m) => m.references.length > 0) ? (HARNESS_NOTES[suite] ?? null) : null,
    });
  }
  return reports;
}
