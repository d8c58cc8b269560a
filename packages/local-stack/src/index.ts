export { freePort, portInUse } from "./freePort.js";
export { ManagedProcess, ProcessExitedError, unlessExited, tsxArgs, REPO_ROOT, type ExitStatus, type ProcessOptions } from "./managedProcess.js";
export { waitUntil, type WaitOptions } from "./waitUntil.js";
export {
  startModelService,
  waitForServingWhileRunning,
  MODEL_SERVICES,
  type ModelServiceOptions,
  type ModelServiceProcess,
  type ModelServiceName,
} from "./modelServiceProcess.js";
export { startEvaluator, EVALUATOR_ENTRY, type EvaluatorOptions, type EvaluatorProcess } from "./evaluatorProcess.js";
export { readEvents, type SseEvent } from "./eventStream.js";
export { failureReason, parseLogLine, type LogLine } from "./serviceLogs.js";
export {
  startLocalStack,
  resolvePorts,
  DEFAULT_PORTS,
  DEFAULT_DB_PATH,
  PORT_LABELS,
  PortInUseError,
  StackStartError,
  StackExitedError,
  type LocalStack,
  type LocalStackOptions,
  type StackEvent,
  type StackModel,
  type StackPorts,
  type Profile,
} from "./localStack.js";
export { ensureSmallModel, smallModelCached, approxSizeBytes, type FetchProgress } from "./smallModels.js";
export { descendantsOf, identify, isRunning, type ProcessIdentity } from "./processTree.js";
