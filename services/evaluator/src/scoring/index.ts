// The scoring module's public surface: validate items, score replies, the statistics and the sandbox.

export { scoreReply, scoreReplySync } from "./scoreReply.js";
export { validateItem, validateItemList, MAX_TOKENS_CEILING } from "./validateItem.js";
export { SuiteValidationError, type ValidationIssue } from "./validationError.js";
export { wilsonInterval, mcnemarExact, minDiscordantForSignificance, percentile, type Interval, type McNemarResult } from "./statistics.js";
export { scoreLatency, DEFAULT_LATENCY_TARGETS, type LatencyTargets } from "./latencyScore.js";
export { CHECK_TYPES } from "./checks/registry.js";
export { extractNumericAnswer } from "./checks/numericChecks.js";
export { extractCode } from "./checks/codeCheck.js";
export {
  Sandbox,
  SandboxUnavailableError,
  type SandboxLanguage,
  type SandboxResult,
  type TestRunResult,
  type IsolationInfo,
} from "./sandbox/sandbox.js";
export {
  SANDBOX_DEFAULTS,
  SANDBOX_CEILINGS,
  MAX_CONCURRENCY,
  defaultSandboxConfig,
  type IsolationMode,
  type SandboxConfig,
  type SandboxLimits,
} from "./sandbox/limits.js";
/**
 * The run manager's option keeps its first name (`sandbox?: SandboxOptions`); what it carries is the
 * evaluator's Sandbox instance, handed on to scoreReply.
 */
export type { Sandbox as SandboxOptions } from "./sandbox/sandbox.js";
export { configureReferenceVerifiers, type ReferenceVerifierSettings } from "./ifeval/verifier.js";
export * from "./types.js";
