// The `ifeval` and `ifbench` checks: one instruction of the benchmark, verified by its reference code
// (google-research's instruction_following_eval; allenai's IFBench verifiers) running as a scoring step
// (../ifeval/verifier.ts). A benchmark item carries one such check per instruction, so the item's
// prompt-level pass is the benchmark's prompt-level accuracy and its share of passed checks its
// instruction-level accuracy (strict by default, loose with `loose: true`).

import { IFEVAL_MAX_REPLY_BYTES, referenceVerifier, type VerifierBenchmark } from "../ifeval/verifier.js";
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

/** The 58 instruction ids of IFBench's reference registry (instructions_registry.INSTRUCTION_DICT). Two need
 *  NLTK data no registry wheel ships (ratio:stop_words, words:start_verb): they verify as an error. */
export const IFBENCH_INSTRUCTION_IDS: readonly string[] = Object.freeze([
  "count:conjunctions",
  "count:keywords_multiple",
  "count:numbers",
  "count:person_names",
  "count:pronouns",
  "count:punctuation",
  "count:unique_word_count",
  "count:word_count_range",
  "count:words_japanese",
  "custom:character_reverse",
  "custom:csv_city",
  "custom:csv_quotes",
  "custom:csv_special_character",
  "custom:date_format_list",
  "custom:european_capitals_sort",
  "custom:mcq_count_length",
  "custom:multiples",
  "custom:reverse_newline",
  "custom:sentence_alphabet",
  "custom:word_reverse",
  "format:emoji",
  "format:line_indent",
  "format:list",
  "format:newline",
  "format:no_bullets_bullets",
  "format:no_whitespace",
  "format:options",
  "format:output_template",
  "format:parentheses",
  "format:quote_unquote",
  "format:quotes",
  "format:sub-bullets",
  "format:thesis",
  "format:title_case",
  "ratio:overlap",
  "ratio:sentence_balance",
  "ratio:sentence_type",
  "ratio:sentence_words",
  "ratio:stop_words",
  "repeat:repeat_change",
  "repeat:repeat_simple",
  "repeat:repeat_span",
  "sentence:alliteration_increment",
  "sentence:increment",
  "sentence:keyword",
  "words:alphabet",
  "words:consonants",
  "words:keywords_specific_position",
  "words:last_first",
  "words:no_consecutive",
  "words:odd_even_syllables",
  "words:palindrome",
  "words:paragraph_last_first",
  "words:prime_lengths",
  "words:repeats",
  "words:start_verb",
  "words:vowel",
  "words:words_position",
]);

const NAMES: Record<VerifierBenchmark, string> = { ifeval: "IFEval", ifbench: "IFBench" };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The instruction's arguments, short, so that two instructions of one type in an item can be told apart. */
function argsText(kwargs: unknown): string {
  if (!isPlainObject(kwargs) || Object.keys(kwargs).length === 0) return "";
  const text = JSON.stringify(kwargs);
  return ` ${text.length <= 80 ? text : `${text.slice(0, 79)}…`}`;
}

function instructionCheck(benchmark: VerifierBenchmark, ids: readonly string[]): CheckSpec {
  const name = NAMES[benchmark];
  return {
    fields: ["instruction_id", "kwargs", "prompt", "loose"],
    validate(check, path, issues) {
      requireString(check, "instruction_id", path, issues);
      if (typeof check.instruction_id === "string" && check.instruction_id !== "" && !ids.includes(check.instruction_id))
        issues.push({ path: `${path}.instruction_id`, message: `unknown ${name} instruction '${check.instruction_id}'` });
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
        throw new Error(`the reply is ${bytes} bytes, over the ${name} verifier's ${IFEVAL_MAX_REPLY_BYTES}-byte limit; not verified`);
      const followed = await referenceVerifier(benchmark).check({
        instruction_id: instruction,
        kwargs: (check.kwargs as Record<string, unknown> | undefined) ?? {},
        prompt: check.prompt as string,
        response: reply,
        loose,
      });
      return {
        type: benchmark,
        passed: followed,
        detail: `${instruction}${argsText(check.kwargs)}: ${followed ? "followed" : "not followed"} (${name} reference verifier, ${mode})`,
      };
    },
  };
}

export const ifevalCheck: CheckSpec = instructionCheck("ifeval", IFEVAL_INSTRUCTION_IDS);
export const ifbenchCheck: CheckSpec = instructionCheck("ifbench", IFBENCH_INSTRUCTION_IDS);
