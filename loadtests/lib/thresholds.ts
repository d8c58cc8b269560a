// Pass/fail criteria, written as k6 writes them so they read the same to anyone who knows k6:
//   { "llm_ttft": ["p(95)<2000"], "llm_errors": ["rate==0"], "llm_ttft{concurrency:4}": ["med<500"] }
// A metric name may carry tag filters in braces; the expression is `<aggregation> <op> <number>`, with
// aggregations avg, min, max, med, count, p(N) for trends, rate for rates, count and rate (per second)
// for counters.
import { trendAggregate } from "./stats.js";

export type MetricValue =
  | { kind: "trend"; values: number[] }
  | { kind: "rate"; passes: number; total: number }
  | { kind: "counter"; count: number; perSecond: number };

export type Thresholds = Record<string, string[]>;

export interface ThresholdResult {
  metric: string;
  expression: string;
  /** The aggregation's value; null when the metric had no samples (which fails the threshold). */
  actual: number | null;
  ok: boolean;
}

const OPERATORS = ["<=", ">=", "==", "!=", "<", ">"] as const;
type Operator = (typeof OPERATORS)[number];

export interface ParsedExpression {
  aggregation: string;
  operator: Operator;
  bound: number;
}

export function parseExpression(expression: string): ParsedExpression {
  const match = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(expression);
  if (!match) throw new Error(`threshold "${expression}": expected e.g. "p(95)<2000" or "rate==0"`);
  return { aggregation: match[1] as string, operator: match[2] as Operator, bound: Number(match[3]) };
}

/** "llm_ttft{concurrency:4,stage:c4}" → name and tag filters. */
export function parseMetricName(name: string): { metric: string; tags: Record<string, string> } {
  const match = /^([A-Za-z_][\w]*)(?:\{([^}]*)\})?$/.exec(name.trim());
  if (!match) throw new Error(`threshold metric "${name}": expected name or name{tag:value,...}`);
  const tags: Record<string, string> = {};
  for (const pair of (match[2] ?? "").split(",").filter((p) => p.trim() !== "")) {
    const [key, ...value] = pair.split(":");
    if (!key || value.length === 0) throw new Error(`threshold metric "${name}": bad tag filter "${pair}"`);
    tags[key.trim()] = value.join(":").trim();
  }
  return { metric: match[1] as string, tags };
}

function compare(actual: number, operator: Operator, bound: number): boolean {
  switch (operator) {
    case "<":
      return actual < bound;
    case "<=":
      return actual <= bound;
    case ">":
      return actual > bound;
    case ">=":
      return actual >= bound;
    case "==":
      return actual === bound;
    case "!=":
      return actual !== bound;
  }
}

export function aggregate(value: MetricValue, aggregation: string): number {
  switch (value.kind) {
    case "trend":
      return trendAggregate(value.values, aggregation);
    case "rate":
      if (aggregation !== "rate") throw new Error(`a rate metric has only "rate", not "${aggregation}"`);
      return value.total === 0 ? Number.NaN : value.passes / value.total;
    case "counter":
      if (aggregation === "count") return value.count;
      if (aggregation === "rate") return value.perSecond;
      throw new Error(`a counter has "count" and "rate", not "${aggregation}"`);
  }
}

/**
 * Evaluates every threshold. `resolve` returns the metric's value for a name and tag filters, or undefined
 * when the script has no such metric (an error: a typo must not pass silently).
 */
export function evaluateThresholds(
  thresholds: Thresholds,
  resolve: (metric: string, tags: Record<string, string>) => MetricValue | undefined,
): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [name, expressions] of Object.entries(thresholds)) {
    const { metric, tags } = parseMetricName(name);
    const value = resolve(metric, tags);
    if (!value) throw new Error(`threshold on unknown metric "${metric}"`);
    for (const expression of expressions) {
      const parsed = parseExpression(expression);
      const actual = aggregate(value, parsed.aggregation);
      const known = Number.isFinite(actual);
      results.push({
        metric: name,
        expression,
        actual: known ? actual : null,
        ok: known && compare(actual, parsed.operator, parsed.bound),
      });
    }
  }
  return results;
}

/** Merges thresholds: entries of `override` replace those of `base` for the same metric name. */
export function mergeThresholds(base: Thresholds, override: Thresholds): Thresholds {
  return { ...base, ...override };
}

/** Parses the THRESHOLDS environment variable (a JSON object of metric → expressions). */
export function parseThresholdsJson(text: string | undefined): Thresholds {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`THRESHOLDS is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`THRESHOLDS: expected an object of metric → ["expression", ...]`);
  }
  const out: Thresholds = {};
  for (const [metric, value] of Object.entries(parsed)) {
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((v) => typeof v === "string")) throw new Error(`THRESHOLDS.${metric}: expressions must be strings`);
    for (const expression of list as string[]) parseExpression(expression);
    parseMetricName(metric);
    out[metric] = list as string[];
  }
  return out;
}
