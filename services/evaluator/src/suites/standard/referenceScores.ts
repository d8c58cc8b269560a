// Published scores of known models on the standard suites, from the models' own reports, with the harness
// setting each was measured under. A report on a model whose GGUF name matches one shows it beside the
// measured score. Values are percentages (pass@1 / accuracy), as published.

export interface ReferenceScore {
  /** The model as its authors name it. */
  model: string;
  /** Normalised GGUF names that mean this model (see normaliseModelName); matched as substrings. */
  matches: string[];
  suite: string;
  value: number;
  /** Where the number is published. */
  source: string;
  /** The harness setting the number was measured under, as the source states it. */
  setting: string;
}

const QWEN_SOURCE = "Qwen2.5 Technical Report (arXiv:2412.15115), instruction-tuned 7B table; also the Qwen2.5-LLM release post";
const PHI3_SOURCE = "Phi-3 Technical Report (arXiv:2404.14219), phi-3-mini column";
const QWEN = { model: "Qwen2.5-7B-Instruct", matches: ["qwen257binstruct"] };
const PHI3 = { model: "Phi-3-mini-4k-instruct", matches: ["phi3mini4kinstruct", "phi3mini"] };

export const REFERENCE_SCORES: readonly ReferenceScore[] = [
  {
    ...QWEN,
    suite: "humaneval",
    value: 84.8,
    source: QWEN_SOURCE,
    setting: "pass@1, greedy, chat template, zero-shot (Qwen's EvalPlus-based code evaluation)",
  },
  {
    ...QWEN,
    suite: "gsm8k",
    value: 91.6,
    source: QWEN_SOURCE,
    setting: "accuracy, chat template, chain-of-thought (Qwen's own harness), full 1,319-problem test split",
  },
  { ...QWEN, suite: "ifeval", value: 71.2, source: QWEN_SOURCE, setting: "IFEval strict-prompt accuracy, all 541 prompts" },
  { ...PHI3, suite: "humaneval", value: 58.5, source: PHI3_SOURCE, setting: "pass@1, 0-shot" },
  { ...PHI3, suite: "gsm8k", value: 82.5, source: PHI3_SOURCE, setting: "accuracy, 8-shot chain-of-thought, full test split" },
];

/** Lower-case letters and digits only: "Qwen2.5 7B Instruct" and "qwen2.5-7b-instruct" both give qwen257binstruct. */
export function normaliseModelName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "");
}

/** The published scores on `suite` for a model whose GGUF name is `modelName`. */
export function referenceScoresFor(suite: string, modelName: string): ReferenceScore[] {
  const n = normaliseModelName(modelName);
  if (n === "") return [];
  return REFERENCE_SCORES.filter((r) => r.suite === suite && r.matches.some((m) => n.includes(m)));
}

/** What every measured score here differs in from the published ones, said once per suite. */
export const HARNESS_NOTES: Record<string, string> = {
  humaneval:
    "measured with evalstack's zero-shot chat prompt, first python block, the sandbox's 5 s limit, on the loaded GGUF's quantization",
  gsm8k: "measured zero-shot on 100 of the 1,319 test problems with numeric_answer extraction, on the loaded GGUF's quantization",
  ifeval:
    "measured on all 541 prompts with the reference verifier (strict), single user turn through the GGUF's chat template, max_tokens 1280, on the loaded GGUF's quantization",
};
