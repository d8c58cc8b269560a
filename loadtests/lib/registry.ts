// A small metric registry for scripts whose samples are not LLM requests (the evaluator's HTTP API):
// trends, rates and counters, each sample with tags, queried by name and tag filter for thresholds.
import { round, trendStats, type TrendStats } from "./stats.js";
import type { MetricValue } from "./thresholds.js";

type Tags = Record<string, string>;
type Sample = { value: number; tags: Tags };

const matches = (tags: Tags, filter: Tags) => Object.entries(filter).every(([k, v]) => tags[k] === v);

export type MetricSummary =
  | ({ type: "trend" } & TrendStats)
  | { type: "rate"; rate: number; passes: number; fails: number }
  | { type: "counter"; count: number; rate: number };

export class MetricRegistry {
  private readonly kinds = new Map<string, "trend" | "rate" | "counter">();
  private readonly samples = new Map<string, Sample[]>();

  constructor(private readonly elapsedS: () => number) {}

  /** Declares a metric so that it appears in the summary (and can be thresholded) even with no sample. */
  declare(name: string, kind: "trend" | "rate" | "counter"): void {
    const known = this.kinds.get(name);
    if (known && known !== kind) throw new Error(`metric ${name} is a ${known}, not a ${kind}`);
    this.kinds.set(name, kind);
    if (!this.samples.has(name)) this.samples.set(name, []);
  }

  private push(name: string, kind: "trend" | "rate" | "counter", value: number, tags: Tags): void {
    this.declare(name, kind);
    (this.samples.get(name) as Sample[]).push({ value, tags });
  }

  trend(name: string, value: number, tags: Tags = {}): void {
    this.push(name, "trend", value, tags);
  }

  rate(name: string, passed: boolean, tags: Tags = {}): void {
    this.push(name, "rate", passed ? 1 : 0, tags);
  }

  counter(name: string, increment = 1, tags: Tags = {}): void {
    this.push(name, "counter", increment, tags);
  }

  values(name: string, filter: Tags = {}): number[] {
    return (this.samples.get(name) ?? []).filter((s) => matches(s.tags, filter)).map((s) => s.value);
  }

  /** Distinct values of `tag` among a metric's samples. */
  tagValues(name: string, tag: string): string[] {
    const seen = new Set<string>();
    for (const s of this.samples.get(name) ?? []) if (s.tags[tag] !== undefined) seen.add(s.tags[tag] as string);
    return [...seen].sort();
  }

  resolve(name: string, filter: Tags): MetricValue | undefined {
    const kind = this.kinds.get(name);
    if (!kind) return undefined;
    const values = this.values(name, filter);
    switch (kind) {
      case "trend":
        return { kind: "trend", values };
      case "rate":
        return { kind: "rate", passes: values.filter((v) => v === 1).length, total: values.length };
      case "counter": {
        const count = values.reduce((a, b) => a + b, 0);
        return { kind: "counter", count, perSecond: this.elapsedS() > 0 ? count / this.elapsedS() : 0 };
      }
    }
  }

  summary(): Record<string, MetricSummary> {
    const out: Record<string, MetricSummary> = {};
    for (const [name, kind] of [...this.kinds.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const values = this.values(name);
      if (kind === "trend") {
        const stats = trendStats(values);
        out[name] = {
          type: "trend",
          count: stats.count,
          min: round(stats.min),
          max: round(stats.max),
          avg: round(stats.avg),
          med: round(stats.med),
          p90: round(stats.p90),
          p95: round(stats.p95),
          p99: round(stats.p99),
        };
      } else if (kind === "rate") {
        const passes = values.filter((v) => v === 1).length;
        out[name] = { type: "rate", rate: values.length ? round(passes / values.length, 4) : 0, passes, fails: values.length - passes };
      } else {
        const count = values.reduce((a, b) => a + b, 0);
        out[name] = { type: "counter", count, rate: round(this.elapsedS() > 0 ? count / this.elapsedS() : 0, 3) };
      }
    }
    return out;
  }
}
