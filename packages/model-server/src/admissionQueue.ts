/** Thrown when every slot is busy and the waiting line is full: answered RESOURCE_EXHAUSTED at once. */
export class QueueFullError extends Error {}
/** The caller gave up (cancel, deadline) while waiting for a slot. */
export class AdmissionCancelledError extends Error {}

interface Waiter {
  resolve: (slot: number) => void;
  reject: (error: Error) => void;
}

/**
 * Hands out `slots` slot indexes; up to `queueLimit` callers wait in FIFO order for one to free up,
 * and anyone beyond that is refused immediately (load shedding rather than unbounded latency).
 */
export class AdmissionQueue {
  private readonly free: number[];
  private readonly waiting: Waiter[] = [];

  /** `onChange` hears every change of busy slots or queue length (the load gauges follow it). */
  constructor(
    readonly slots: number,
    readonly queueLimit: number,
    private readonly onChange: (busy: number, queued: number) => void = () => {},
  ) {
    this.free = Array.from({ length: slots }, (_, i) => slots - 1 - i);
  }

  private changed(): void {
    this.onChange(this.busy, this.queued);
  }

  get busy(): number {
    return this.slots - this.free.length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(new AdmissionCancelledError("cancelled before admission"));
    const slot = this.free.pop();
    if (slot !== undefined) {
      this.changed();
      return Promise.resolve(slot);
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(
        new QueueFullError(`all ${this.slots} slots are busy and ${this.waiting.length} requests are queued (limit ${this.queueLimit})`),
      );
    }
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (s) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(s);
        },
        reject,
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        this.changed();
        reject(new AdmissionCancelledError("cancelled while queued"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
      this.changed();
    });
  }

  release(slot: number): void {
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
    this.changed();
  }

  /** Refuses everyone still waiting (shutdown). */
  rejectWaiting(error: Error): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    this.changed();
  }
}
