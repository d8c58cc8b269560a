export { freePort, portInUse } from "./freePort.js";
export {
  ManagedProcess,
  ProcessExitedError,
  unlessExited,
  tsxArgs,
  setprivPath,
  REPO_ROOT,
  type ExitStatus,
  type ProcessOptions,
} from "./managedProcess.js";
export { waitUntil, type WaitOptions } from "./waitUntil.js";
export {
  startModelService,
  waitForServingWhileRunning,
  MODEL_SERVICE_ENTRY,
  type ModelServiceOptions,
  type ModelServiceProcess,
} from "./modelServiceProcess.js";
export { startEvaluator, EVALUATOR_ENTRY, type EvaluatorOptions, type EvaluatorProcess } from "./evaluatorProcess.js";
export { readEvents, type SseEvent } from "./eventStream.js";
export { failureReason, parseLogLine, type LogLine } from "./serviceLogs.js";
export {
  startLocalStack,
  resolvePorts,
  stackPortSlots,
  DEFAULT_EVALUATOR_PORT,
  DEFAULT_DB_PATH,
  PortInUseError,
  StackStartError,
  StackExitedError,
  type LocalStack,
  type LocalStackOptions,
  type StackEvent,
  type StackModel,
  type ModelPorts,
  type PortSlot,
  type StackPortRequest,
  type Profile,
} from "./localStack.js";
export { ensureProfileWeights, profileWeightsCached, type FetchProgress } from "./modelWeights.js";
export {
  startLlamaServer,
  llamaServerPath,
  LLAMA_SERVER_VERSION,
  type LlamaServerOptions,
  type LlamaServerProcess,
} from "./llamaServer.js";
export { descendantsOf, identify, isRunning, type ProcessIdentity } from "./processTree.js";
