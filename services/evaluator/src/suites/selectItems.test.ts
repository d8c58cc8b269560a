import { describe, expect, it } from "vitest";
import type { Suite, SuiteItem } from "./types.js";
import { selectItems, shuffledItems, suiteIds } from "./selectItems.js";

const item = (id: string): SuiteItem => ({
  id,
  dimension: "math",
  messages: [{ role: "user", content: id }],
  checks: [{ type: "numeric_answer", value: 1 }],
});
const suite = (id: string, n: number, prefix = id): Suite => ({
  id,
  description: id,
  builtin: true,
  items: Array.from({ length: n }, (_, i) => item(`${prefix}/${i}`)),
});
const ids = (items: SuiteItem[]) => items.map((i) => i.id);

describe("selectItems", () => {
  const big = suite("big", 164);

  it("the same seed and limit pick the same items twice; another seed picks others", () => {
    const a = selectItems([big], { limit: 40, shuffleSeed: 1 }).items;
    const b = selectItems([big], { limit: 40, shuffleSeed: 1 }).items;
    const c = selectItems([big], { limit: 40, shuffleSeed: 2 }).items;
    expect(ids(a)).toHaveLength(40);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(c)).not.toEqual(ids(a));
    expect(new Set(ids(a)).size).toBe(40);
    // Not simply the first 40: a shuffle happened.
    expect(ids(a)).not.toEqual(ids(big.items.slice(0, 40)));
  });

  it("picks by item id, not position: a reordered suite gives the same pick, and a larger limit extends a smaller one", () => {
    const reversed = { ...big, items: [...big.items].reverse() };
    expect(ids(selectItems([reversed], { limit: 40, shuffleSeed: 7 }).items)).toEqual(
      ids(selectItems([big], { limit: 40, shuffleSeed: 7 }).items),
    );
    const forty = ids(selectItems([big], { limit: 40, shuffleSeed: 7 }).items);
    expect(ids(selectItems([big], { limit: 50, shuffleSeed: 7 }).items).slice(0, 40)).toEqual(forty);
  });

  it("without a seed, the limit takes the first items in file order; without either, everything", () => {
    expect(ids(selectItems([big], { limit: 3 }).items)).toEqual(["big/0", "big/1", "big/2"]);
    expect(selectItems([big], {}).items).toHaveLength(164);
    expect(ids(shuffledItems(big.items, 3)).sort()).toEqual(ids(big.items).sort());
  });

  it("several suites: one run over their items in the order named, the limit per suite", () => {
    const r = selectItems([suite("a", 5), suite("b", 5)], { limit: 2 });
    expect(r.issues).toEqual([]);
    expect(ids(r.items)).toEqual(["a/0", "a/1", "b/0", "b/1"]);
  });

  it("refuses ids that clash across suites and a suite named twice", () => {
    const r = selectItems([suite("a", 2, "x"), suite("b", 2, "x")], {});
    expect(r.issues.map((i) => i.message)).toEqual([
      'item id "x/0" is in both a and b; run them separately',
      'item id "x/1" is in both a and b; run them separately',
    ]);
    expect(selectItems([suite("a", 1), suite("a", 1)], {}).issues[0]?.message).toBe('suite "a" is named twice');
  });

  it("splits a suite list", () => {
    expect(suiteIds(" seed-50, humaneval ,")).toEqual(["seed-50", "humaneval"]);
  });
});
