// A FIFO semaphore whose capacity can change while waiters queue: the per-model bound on calls in flight.

export class Limiter {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private cap: number) {
    if (!(cap >= 1)) throw new Error(`limiter capacity must be >= 1, got ${cap}`);
  }

  get capacity(): number {
    return this.cap;
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  setCapacity(capacity: number): void {
    if (!(capacity >= 1)) throw new Error(`limiter capacity must be >= 1, got ${capacity}`);
    this.cap = capacity;
    this.drain();
  }

  /** Resolves when a slot is free; rejects (and gives up its place) when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.cap && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  release(): void {
    if (this.active <= 0) throw new Error("limiter released more often than acquired");
    this.active--;
    this.drain();
  }

  private drain(): void {
    while (this.active < this.cap && this.waiters.length > 0) {
      this.active++;
      this.waiters.shift()!();
    }
  }
}
