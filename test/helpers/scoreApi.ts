// A running evaluator's (test/helpers/evaluator.ts) POST /v1/score and GET /v1/suites/{id}, as the standard suites' reference tests call
// them (every HumanEval, GSM8K, IFEval and IFBench verdict goes through the real API), and a bounded pool to
// send many at once.
import type { SuiteItem } from "@evalstack/evaluator/suites";
import { expect } from "vitest";
import type { EvaluatorProcess } from "./evaluator.js";

type Caller = Pick<EvaluatorProcess, "call">;

export interface ScoreBody {
  passed: boolean;
  score: number;
  checks: { type: string; passed: boolean; detail: string; error?: string }[];
  error?: string;
}

/** Scores one reply to one item; any status but 200 fails the test with the body. */
export async function scoreReply(evaluator: Caller, item: SuiteItem, reply: string): Promise<ScoreBody> {
  const res = await evaluator.call("/v1/score", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ item, reply }),
    signal: AbortSignal.timeout(120_000),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ScoreBody;
}

/** A suite's items as the evaluator serves them. */
export async function suiteItems(evaluator: Caller, id: string): Promise<SuiteItem[]> {
  const res = await evaluator.call(`/v1/suites/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: SuiteItem[] }).items;
}

/** Runs `work` over `inputs` with at most `limit` in flight (the evaluator's own pools bound it too). */
export async function pooled<T, R>(inputs: T[], limit: number, work: (input: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(inputs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < inputs.length) {
        const i = next++;
        out[i] = await work(inputs[i] as T);
      }
    }),
  );
  return out;
}
