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
  runInSandbox,
  sandboxIsolation,
  sandboxLoad,
  setSandboxConcurrency,
  type SandboxLanguage,
  type SandboxResult,
  type IsolationInfo,
} from "./sandbox/sandbox.js";
export { sandboxOptionsFromEnv, SANDBOX_DEFAULTS, type SandboxOptions } from "./sandbox/limits.js";
export * from "./types.js";
