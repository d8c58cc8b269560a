// Every check type by name. The suite format's list of check types is exactly this table's keys.

import type { CheckSpec } from "./checkSpec.js";
import { codeCheck } from "./codeCheck.js";
import { ifbenchCheck, ifevalCheck } from "./ifevalCheck.js";
import { jsonCheck } from "./jsonCheck.js";
import { numericAnswer, steps } from "./numericChecks.js";
import {
  contains,
  containsAll,
  containsAny,
  englishOnly,
  listItems,
  lowercase,
  noComma,
  notContains,
  regex,
  wordCount,
} from "./textChecks.js";

export const CHECKS: Readonly<Record<string, CheckSpec>> = Object.freeze({
  contains,
  not_contains: notContains,
  contains_all: containsAll,
  contains_any: containsAny,
  regex,
  english_only: englishOnly,
  numeric_answer: numericAnswer,
  json: jsonCheck,
  list_items: listItems,
  word_count: wordCount,
  lowercase,
  no_comma: noComma,
  code: codeCheck,
  steps,
  ifeval: ifevalCheck,
  ifbench: ifbenchCheck,
});

export const CHECK_TYPES: readonly string[] = Object.freeze(Object.keys(CHECKS));

export function checkSpec(type: string): CheckSpec | undefined {
  return Object.hasOwn(CHECKS, type) ? CHECKS[type] : undefined;
}
