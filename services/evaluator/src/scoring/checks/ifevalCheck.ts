// The `ifeval` check: one IFEval instruction, verified by the benchmark's reference code (google-research's
// instruction_following_eval) running as a scoring step (../ifeval/verifier.ts). An IFEval item carries one
// such check per instruction, so the item's prompt-level pass is IFEval's prompt-level accuracy and its
// share of passed checks its instruction-level accuracy (strict by default, loose with `loose: true`).

import { IFEVAL_MAX_REPLY_BYTES, ifevalVerifier } from "../ifeval/verifier.js";
import type { CheckResult } from "../types.js";
import { type CheckSpec, optionalBoolean, requireString } from "./checkSpec.js";

/** The 25 instruction ids of IFEval's reference registry (instructions_registry.INSTRUCTION_DICT). */
export const IFEVAL_INSTRUCTION_IDS: readonly string[] = Object.freeze([
  "change_case:capital_word_frequency",
  "change_case:english_capital",
  "change_case:english_lowercase",
  "combination:repeat_prompt",
  "combination:two_responses",
  "detectable_content:number_placeholders",
  "detectable_content:postscript",
  "detectable_format:constrained_response",
  "detectable_format:json_format",
  "detectable_format:multiple_sections",
  "detectable_format:number_bullet_lists",
  "detectable_format:number_highlighted_sections",
  "detectable_format:title",
  "keywords:existence",
  "keywords:forbidden_words",
  "keywords:frequency",
  "keywords:letter_frequency",
  "language:response_language",
  "length_constraints:nth_paragraph_first_word",
  "length_constraints:number_paragraphs",
  "length_constraints:number_sentences",
  "length_constraints:number_words",
  "punctuation:no_comma",
  "startend:end_checker",
  "startend:quotation",
]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The instruction's arguments, short, so that two instructions of one type in an item can be told apart. */
function argsText(kwargs: unknown): string {
  if (!isPlainObject(kwargs) || Object.keys(kwargs).length === 0) return "";
  const text = JSON.stringify(kwargs);
  return ` ${text.length <= 80 ? text : `${text.slice(0, 79)}…`}`;
}

export const ifevalCheck: CheckSpec = {
  fields: ["instruction_id", "kwargs", "prompt", "loose"],
  validate(check, path, issues) {
    requireString(check, "instruction_id", path, issues);
    if (typeof check.instruction_id === "string" && check.instruction_id !== "" && !IFEVAL_INSTRUCTION_IDS.includes(check.instruction_id))
      issues.push({ path: `${path}.instruction_id`, message: `unknown IFEval instruction '${check.instruction_id}'` });
    if (check.kwargs !== undefined && !isPlainObject(check.kwargs)) issues.push({ path: `${path}.kwargs`, message: "must be an object" });
    requireString(check, "prompt", path, issues);
    optionalBoolean(check, "loose", path, issues);
  },
  async run(check, reply): Promise<CheckResult> {
    const instruction = check.instruction_id as string;
    const loose = check.loose === true;
    const mode = loose ? "loose" : "strict";
    const bytes = Buffer.byteLength(reply, "utf8");
    if (bytes > IFEVAL_MAX_REPLY_BYTES)
      throw new Error(`the reply is ${bytes} bytes, over the IFEval verifier's ${IFEVAL_MAX_REPLY_BYTES}-byte limit; not verified`);
    const followed = await ifevalVerifier().check({
      instruction_id: instruction,
      kwargs: (check.kwargs as Record<string, unknown> | undefined) ?? {},
      prompt: check.prompt as string,
      response: reply,
      loose,
    });
    return {
      type: "ifeval",
      passed: followed,
      detail: `${instruction}${argsText(check.kwargs)}: ${followed ? "followed" : "not followed"} (IFEval reference verifier, ${mode})`,
    };
  },
};
