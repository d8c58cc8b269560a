import { describe, expect, it } from "vitest";
import { Limiter } from "./limiter.js";

describe("Limiter", () => {
  it("admits up to its capacity, first come first served, and grows or shrinks", async () => {
    const limiter = new Limiter(2);
    const order: number[] = [];
    await limiter.acquire();
    await limiter.acquire();
    const waiting = [3, 4, 5].map((n) => limiter.acquire().then(() => order.push(n)));
    expect(limiter.waiting).toBe(3);
    limiter.release();
    await waiting[0];
    expect(order).toEqual([3]);
    limiter.setCapacity(4); // two more at once
    await Promise.all(waiting);
    expect(order).toEqual([3, 4, 5]);
    expect(limiter.inUse).toBe(4);
    limiter.setCapacity(1);
    for (let i = 0; i < 4; i++) limiter.release();
    expect(limiter.inUse).toBe(0);
    expect(() => limiter.release()).toThrow(/more often/);
  });

  it("gives up a waiter's place when its signal aborts", async () => {
    const limiter = new Limiter(1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiter = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort(new Error("stop"));
    await expect(waiter).rejects.toThrow("stop");
    limiter.release();
    await next;
    expect(limiter.inUse).toBe(1);
    expect(limiter.waiting).toBe(0);
    expect(() => new Limiter(0)).toThrow(/capacity/);
  });
});
