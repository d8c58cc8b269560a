import { describe, expect, it } from "vitest";
import { median, RunProgress, type ProgressEvent } from "./runProgress.js";

function progressEvent(qwen: number, phi3: number, total = 20): ProgressEvent {
  const m = (done: number) => ({ total, done, completed: done, errors: done > 10 ? 1 : 0, passed: Math.floor(done / 2) });
  return { total: 2 * total, done: qwen + phi3, by_model: { qwen: m(qwen), phi3: m(phi3) } };
}

describe("RunProgress", () => {
  it("shows done/total, passed, errors and the median tokens/s per model", () => {
    const out: string[] = [];
    const p = new RunProgress(["qwen", "phi3"], { write: (t) => out.push(t), tty: false });
    p.item({ model: "qwen", status: "completed", tokens_per_second: 20, completion_tokens: 30 });
    p.item({ model: "qwen", status: "completed", tokens_per_second: 40, completion_tokens: 30 });
    p.item({ model: "qwen", status: "completed", tokens_per_second: 30, completion_tokens: 30 });
    p.item({ model: "qwen", status: "error", tokens_per_second: 900, completion_tokens: 30 });
    p.progress(progressEvent(12, 0));
    expect(p.line("qwen")).toMatch(/qwen\s+█+░+\s+12\/20\s+60%\s+passed 6\s+errors 1\s+30\.0 tokens\/s/);
    expect(p.line("phi3")).toMatch(/phi3\s+░+\s+0\/20\s+0%\s+passed 0\s+errors 0\s+- tokens\/s/);
  });

  it("in a log, prints a model's line only when it has moved on by a tenth (and at the end)", () => {
    const out: string[] = [];
    let now = 0;
    const p = new RunProgress(["qwen", "phi3"], { write: (t) => out.push(t), tty: false, now: () => now });
    p.progress(progressEvent(1, 0));
    p.progress(progressEvent(2, 0));
    p.progress(progressEvent(3, 0));
    expect(out.filter((l) => l.includes("qwen"))).toHaveLength(2); // 1/20 (first), 3/20 (a tenth further)
    now += 16_000;
    p.progress(progressEvent(4, 0));
    expect(out.filter((l) => l.includes("qwen"))).toHaveLength(3);
    p.progress(progressEvent(20, 20));
    expect(out.at(-2)).toMatch(/qwen.*20\/20 100%/);
    expect(out.at(-1)).toMatch(/phi3.*20\/20 100%/);
    const before = out.length;
    p.finish();
    expect(out.length).toBe(before);
  });

  it("on a terminal, redraws its lines in place", () => {
    const out: string[] = [];
    const p = new RunProgress(["qwen", "phi3"], { write: (t) => out.push(t), tty: true });
    p.progress(progressEvent(1, 1));
    p.progress(progressEvent(2, 1));
    expect(out[0]!.startsWith("\x1b[")).toBe(false);
    expect(out[1]!.startsWith("\x1b[2A")).toBe(true);
  });

  it("median", () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
