// Suites: the suite file format (parse + validate) and the built-in suites.

export { SuiteValidationError, type ValidationIssue } from "../scoring/validationError.js";
export { parseSuiteText, validateSuiteItems, MAX_SUITE_TEXT, MAX_SUITE_ITEMS } from "./parseSuite.js";
export { builtinSuites, builtinSuite } from "./builtinSuites.js";
export * from "./types.js";
export { ensureSuiteData } from "./standard/fetchSuiteData.js";
export { STANDARD_SUITES } from "./standard/standardSuites.js";
export { selectItems } from "./selectItems.js";
export { ensureAllSuiteData } from "./standard/fetchSuiteData.js";
export { parseGsm8k } from "./standard/gsm8k.js";
export { parseHumanEval, type HumanEvalProblem } from "./standard/humaneval.js";
export { parseIfeval, ifevalItem, type IfevalPrompt } from "./standard/ifeval.js";
export { parseIfbench, ifbenchItem, ifbenchVerifiable, IFBENCH_UNAVAILABLE_INSTRUCTIONS, type IfbenchPrompt } from "./standard/ifbench.js";
export { suiteDataPath } from "./standard/sources.js";
