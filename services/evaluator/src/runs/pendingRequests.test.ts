import { describe, expect, it } from "vitest";
import { finalStatus } from "./finalStatus.js";
import { PendingRequests } from "./pendingRequests.js";

describe("PendingRequests", () => {
  it("adds and removes each request once, so the exported gauge never goes below zero", () => {
    let gauge = 0;
    const pending = new PendingRequests((_model, delta) => (gauge += delta));
    pending.add("m", ["a", "b", "c"]);
    pending.add("m", ["c"]); // already pending
    expect(gauge).toBe(3);
    pending.remove("m", ["a"]);
    pending.remove("m", ["a"]); // a worker finishing after its execution already removed everything
    pending.remove("m", ["a", "b", "c"]);
    pending.remove("other", ["x"]);
    expect(gauge).toBe(0);
    expect(pending.count("m")).toBe(0);
  });
});

describe("finalStatus", () => {
  it.each([
    [{ done: 4, errors: 0 }, 4, "completed", null],
    [{ done: 4, errors: 1 }, 4, "partial", "1 of 4 items failed"],
    [{ done: 4, errors: 4 }, 4, "failed", "every item failed (4)"],
    [{ done: 3, errors: 0 }, 4, "failed", "1 items were never stored"],
  ])("%j of %i", (counts, total, status, error) => {
    expect(finalStatus(counts, total)).toEqual({ status, error });
  });
});
