// The autoscaling signal: requests per model waiting in this evaluator or in flight. Each request is added
// once and removed at most once (by key), so an execution that fails while some of its workers are still
// finishing cannot subtract a request twice: the gauge never goes below zero and returns to zero when the
// runs end.

export class PendingRequests {
  private readonly keys = new Map<string, Set<string>>();

  constructor(private readonly onChange: (model: string, delta: number) => void = () => {}) {}

  /** Marks these requests pending (keys already pending are not counted again). */
  add(model: string, keys: Iterable<string>): void {
    const set = this.setFor(model);
    let delta = 0;
    for (const key of keys) {
      if (!set.has(key)) {
        set.add(key);
        delta++;
      }
    }
    if (delta) this.onChange(model, delta);
  }

  /** Marks these requests done; a key not pending (already removed) changes nothing. */
  remove(model: string, keys: Iterable<string>): void {
    const set = this.keys.get(model);
    if (!set) return;
    let delta = 0;
    for (const key of keys) if (set.delete(key)) delta--;
    if (delta) this.onChange(model, delta);
  }

  count(model: string): number {
    return this.keys.get(model)?.size ?? 0;
  }

  private setFor(model: string): Set<string> {
    let set = this.keys.get(model);
    if (!set) this.keys.set(model, (set = new Set()));
    return set;
  }
}
