import { describe, expect, it } from "vitest";
import { abortableSleep, backoffDelay, retryWithBackoff } from "./backoff.js";

describe("backoff", () => {
  it("doubles per attempt within [exp/2, exp], capped at maxMs", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const exp = Math.min(1_000, 10 * 2 ** (attempt - 1));
      const d = backoffDelay(attempt, { baseMs: 10, maxMs: 1_000 });
      expect(d).toBeGreaterThanOrEqual(exp / 2);
      expect(d).toBeLessThanOrEqual(exp);
    }
  });

  it("retries until success", async () => {
    let calls = 0;
    const value = await retryWithBackoff(async () => (++calls < 3 ? Promise.reject(new Error("transient")) : "ok"), {
      budgetMs: 10_000,
      backoff: { baseMs: 1, maxMs: 2 },
    });
    expect([value, calls]).toEqual(["ok", 3]);
  });

  it("throws the last error once the budget is spent, and the signal's reason when aborted", async () => {
    await expect(
      retryWithBackoff(async () => Promise.reject(new Error("down")), { budgetMs: 20, backoff: { baseMs: 1, maxMs: 4 } }),
    ).rejects.toThrow("down");
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(sleeping).rejects.toThrow("cancelled");
  });
});
