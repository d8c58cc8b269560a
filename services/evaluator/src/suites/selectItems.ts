// Which items a run sends: one or several suites (`a,b`: one run over their items, in the order named),
// each cut to its first `limit` items, after a reproducible shuffle when a seed is given. The shuffle orders
// items by sha256(seed, item id), so the same seed picks the same items whatever order the suite file has,
// and a larger limit extends a smaller one's pick.

import { createHash } from "node:crypto";
import type { Suite, SuiteItem } from "./types.js";
import type { ValidationIssue } from "../scoring/validationError.js";

export interface ItemSelection {
  /** Items per suite; all when absent. */
  limit?: number;
  /** Shuffle each suite's items with this seed before the limit; file order when absent. */
  shuffleSeed?: number;
}

/** "seed-50, humaneval" -> ["seed-50", "humaneval"]. */
export function suiteIds(spec: string): string[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function shuffledItems(items: readonly SuiteItem[], seed: number): SuiteItem[] {
  const key = (item: SuiteItem) => createHash("sha256").update(`${seed}\u0000${item.id}`).digest("hex");
  return items
    .map((item) => ({ item, key: key(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.item);
}

/**
 * The items of a run over `suites`. Ids must be unique across the suites (a run's replies are keyed by item
 * id); a clash is reported as an issue at `path`, as is a suite named twice.
 */
export function selectItems(
  suites: readonly Suite[],
  selection: ItemSelection,
  path = "suite",
): { items: SuiteItem[]; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const items: SuiteItem[] = [];
  const owner = new Map<string, string>();
  const seen = new Set<string>();
  for (const suite of suites) {
    if (seen.has(suite.id)) {
      issues.push({ path, message: `suite "${suite.id}" is named twice` });
      continue;
    }
    seen.add(suite.id);
    const ordered = selection.shuffleSeed === undefined ? suite.items : shuffledItems(suite.items, selection.shuffleSeed);
    for (const item of selection.limit === undefined ? ordered : ordered.slice(0, selection.limit)) {
      const other = owner.get(item.id);
      if (other !== undefined) {
        issues.push({ path, message: `item id "${item.id}" is in both ${other} and ${suite.id}; run them separately` });
        continue;
      }
      owner.set(item.id, suite.id);
      items.push(item);
    }
  }
  return { items, issues };
}
