// A run's per-model per-dimension scores and paired comparisons, maintained incrementally: each stored item
// updates O(models) counters (its (model, item) pass rate, the model's sums on the dimension, the pairs it
// belongs to), so reading the summary of a running run costs the same at item 10 and item 10,000. The numbers
// are buildReport's (runSummary.test.ts checks them against it): scores, intervals and comparisons exactly;
// the instruction-level score to 1e-3 (a mean of float check scores, summed in arrival order here).
import type { LatencyTargets } from "../scoring/latencyScore.js";
import { DIMENSIONS, type Dimension } from "../suites/types.js";
import type { RunItemResult } from "../runs/types.js";
import { DIMENSION_LABELS, comparisonFromCounts, modelScoreFromSums, outcomeOf, sumOfRates } from "./buildReport.js";
import type { DimensionReport } from "./reportTypes.js";

interface ItemGroup {
  passSum: number;
  instructionSum: number;
  replies: number;
}

interface Cell {
  items: number;
  replies: number;
  errors: number;
  /** Passes summed per reply count (exact integers; see sumOfRates). */
  passesByReplies: Map<number, number>;
  instruction: number;
}

interface Pair {
  paired: number;
  better: number;
  worse: number;
}

const sign = (x: number): -1 | 0 | 1 => (x > 0 ? 1 : x < 0 ? -1 : 0);

export class RunSummary {
  /** The highest item seq folded in: the next read asks the store only for items after it. */
  lastSeq = 0;
  private readonly groups = new Map<string, Map<string, ItemGroup>>();
  private readonly cells = new Map<Dimension, Map<string, Cell>>();
  private readonly pairs = new Map<Dimension, Map<string, Pair>>();
  private readonly dimensionItems = new Map<Dimension, Set<string>>();

  constructor(
    readonly models: readonly string[],
    private readonly targets: LatencyTargets,
  ) {
    for (const m of models) this.groups.set(m, new Map());
  }

  /** Folds one stored reply in (a seq at or below lastSeq was folded already and is ignored). */
  add(result: RunItemResult & { seq?: number }): void {
    if (result.seq !== undefined) {
      if (result.seq <= this.lastSeq) return;
      this.lastSeq = result.seq;
    }
    const byItem = this.groups.get(result.model);
    if (!byItem) return; // not one of the run's models
    const outcome = outcomeOf(result, this.targets);
    const dimension = result.dimension;
    let group = byItem.get(result.item_id);
    const before = group
      ? {
          passes: group.passSum,
          replies: group.replies,
          rate: group.passSum / group.replies,
          instruction: group.instructionSum / group.replies,
        }
      : undefined;
    if (!group) byItem.set(result.item_id, (group = { passSum: 0, instructionSum: 0, replies: 0 }));
    group.passSum += outcome.pass;
    group.instructionSum += outcome.instruction;
    group.replies++;
    const rate = group.passSum / group.replies;

    let dimItems = this.dimensionItems.get(dimension);
    if (!dimItems) this.dimensionItems.set(dimension, (dimItems = new Set()));
    dimItems.add(result.item_id);

    const cell = this.cell(dimension, result.model);
    if (!before) cell.items++;
    cell.replies++;
    if (outcome.error) cell.errors++;
    if (before) cell.passesByReplies.set(before.replies, cell.passesByReplies.get(before.replies)! - before.passes);
    cell.passesByReplies.set(group.replies, (cell.passesByReplies.get(group.replies) ?? 0) + group.passSum);
    cell.instruction += group.instructionSum / group.replies - (before?.instruction ?? 0);

    const mine = this.models.indexOf(result.model);
    for (const [other, otherItems] of this.groups) {
      if (other === result.model) continue;
      const otherGroup = otherItems.get(result.item_id);
      if (!otherGroup) continue;
      const otherRate = otherGroup.passSum / otherGroup.replies;
      const first = mine < this.models.indexOf(other);
      const pair = this.pair(dimension, first ? result.model : other, first ? other : result.model);
      // Each side's lead, as "first model minus second".
      const lead = (a: number, b: number) => sign(first ? a - b : b - a);
      if (before) {
        const old = lead(before.rate, otherRate);
        if (old > 0) pair.better--;
        else if (old < 0) pair.worse--;
      } else pair.paired++;
      const now = lead(rate, otherRate);
      if (now > 0) pair.better++;
      else if (now < 0) pair.worse++;
    }
  }

  /** The report's `dimensions` as buildReport would compute them from the same replies. */
  dimensions(): DimensionReport[] {
    const out: DimensionReport[] = [];
    for (const dimension of DIMENSIONS) {
      const items = this.dimensionItems.get(dimension);
      if (!items || items.size === 0) continue;
      const cells = this.cells.get(dimension);
      const perModel = this.models.map((model) => {
        const cell = cells?.get(model);
        if (!cell) return modelScoreFromSums(model, { items: 0, replies: 0, errors: 0, passed: 0, instruction: 0 });
        return modelScoreFromSums(model, { ...cell, passed: sumOfRates(cell.passesByReplies) });
      });
      const comparisons = [];
      for (let i = 0; i < this.models.length; i++) {
        for (let j = i + 1; j < this.models.length; j++) {
          const a = this.models[i]!;
          const b = this.models[j]!;
          const counts = this.pairs.get(dimension)?.get(`${a}\u0000${b}`) ?? { paired: 0, better: 0, worse: 0 };
          comparisons.push(comparisonFromCounts(a, b, counts, DIMENSION_LABELS[dimension].toLowerCase()));
        }
      }
      out.push({ dimension, label: DIMENSION_LABELS[dimension], items: items.size, per_model: perModel, comparisons });
    }
    return out;
  }

  private cell(dimension: Dimension, model: string): Cell {
    let byModel = this.cells.get(dimension);
    if (!byModel) this.cells.set(dimension, (byModel = new Map()));
    let cell = byModel.get(model);
    if (!cell) byModel.set(model, (cell = { items: 0, replies: 0, errors: 0, passesByReplies: new Map(), instruction: 0 }));
    return cell;
  }

  private pair(dimension: Dimension, a: string, b: string): Pair {
    let byPair = this.pairs.get(dimension);
    if (!byPair) this.pairs.set(dimension, (byPair = new Map()));
    const key = `${a}\u0000${b}`;
    let pair = byPair.get(key);
    if (!pair) byPair.set(key, (pair = { paired: 0, better: 0, worse: 0 }));
    return pair;
  }
}
