import { describe, expect, it } from "vitest";
import { AdmissionCancelledError, AdmissionQueue, QueueFullError } from "./admissionQueue.js";

describe("AdmissionQueue", () => {
  it("hands out every slot, then queues up to the limit, then refuses at once", async () => {
    const queue = new AdmissionQueue(2, 1);
    const a = await queue.acquire();
    const b = await queue.acquire();
    expect(new Set([a, b])).toEqual(new Set([0, 1]));
    const waiting = queue.acquire();
    expect(queue.queued).toBe(1);
    await expect(queue.acquire()).rejects.toBeInstanceOf(QueueFullError);
    queue.release(a);
    await expect(waiting).resolves.toBe(a);
    expect(queue.busy).toBe(2);
  });

  it("serves waiters first in, first out", async () => {
    const queue = new AdmissionQueue(1, 5);
    const slot = await queue.acquire();
    const order: string[] = [];
    const first = queue.acquire().then((s) => {
      order.push("first");
      return s;
    });
    const second = queue.acquire().then((s) => {
      order.push("second");
      return s;
    });
    queue.release(slot);
    queue.release(await first);
    await second;
    expect(order).toEqual(["first", "second"]);
  });

  it("drops a waiter whose caller cancels, without losing the slot", async () => {
    const queue = new AdmissionQueue(1, 2);
    const slot = await queue.acquire();
    const controller = new AbortController();
    const cancelled = queue.acquire(controller.signal);
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(AdmissionCancelledError);
    expect(queue.queued).toBe(0);
    queue.release(slot);
    expect(queue.busy).toBe(0);
    await expect(queue.acquire()).resolves.toBe(slot);
  });

  it("with a queue limit of 0 refuses as soon as the slots are busy", async () => {
    const queue = new AdmissionQueue(1, 0);
    await queue.acquire();
    await expect(queue.acquire()).rejects.toBeInstanceOf(QueueFullError);
  });

  it("reports every change of busy slots and queue length", async () => {
    const seen: string[] = [];
    const queue = new AdmissionQueue(1, 1, (busy, queued) => seen.push(`${busy}/${queued}`));
    const slot = await queue.acquire();
    const controller = new AbortController();
    const waiting = queue.acquire(controller.signal);
    controller.abort();
    await waiting.catch(() => undefined);
    queue.release(slot);
    expect(seen).toEqual(["1/0", "1/1", "1/0", "0/0"]);
  });

  it("rejects everyone waiting on shutdown", async () => {
    const queue = new AdmissionQueue(1, 3);
    await queue.acquire();
    const waiters = [queue.acquire(), queue.acquire()];
    queue.rejectWaiting(new Error("draining"));
    for (const w of waiters) await expect(w).rejects.toThrow("draining");
    expect(queue.queued).toBe(0);
  });
});
