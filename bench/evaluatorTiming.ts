// Shared by the evaluator benchmarks: a store wrapper that times every item from its first dispatch to its
// storage, percentiles, and interval unions.
import type { Dispatch, Store } from "@evalstack/evaluator/store";
import type { RunItemResult } from "@evalstack/evaluator/runs/types";

export interface ItemTiming {
  model: string;
  /** performance.now() just before the first dispatch was recorded. */
  sent: number;
  /** performance.now() just after the reply was stored. */
  stored?: number;
  /** The model service's own total_ms for the reply. */
  modelTotalMs?: number;
}

export function timedStore<T extends Store>(store: T): T & { timings: Map<string, ItemTiming> } {
  const timings = new Map<string, ItemTiming>();
  const recordDispatch = store.recordDispatch.bind(store);
  const insertItem = store.insertItem.bind(store);
  return Object.assign(store, {
    timings,
    async recordDispatch(d: Dispatch) {
      const key = `${d.run_id}|${d.item_id}|${d.model}|${d.repeat}`;
      if (!timings.has(key)) timings.set(key, { sent: performance.now(), model: d.model });
      return recordDispatch(d);
    },
    async insertItem(item: RunItemResult) {
      const stored = await insertItem(item);
      const t = timings.get(`${item.run_id}|${item.item_id}|${item.model}|${item.repeat}`);
      if (t) {
        t.stored = performance.now();
        t.modelTotalMs = item.timings.total_ms;
      }
      return stored;
    },
  });
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Total length of the union of [start, end] intervals. */
export function unionLength(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [curStart, curEnd] = [-Infinity, -Infinity];
  for (const [start, end] of sorted) {
    if (start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      [curStart, curEnd] = [start, end];
    } else curEnd = Math.max(curEnd, end);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}
