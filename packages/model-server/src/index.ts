export { runModelService, startModelServer, type RunningModelServer } from "./modelServer.js";
export { loadModelServerConfig, selectCatalogModel, ConfigError, type ModelServerConfig } from "./config.js";
export { InferenceService } from "./inferenceService.js";
export {
  GenerationCore,
  ServiceUnavailableError,
  statusOfError,
  noopObserver,
  type ServingObserver,
  type Completed,
} from "./generationCore.js";
export { startOpenAIServer, type OpenAIServerOptions, type RunningOpenAIServer } from "./openai/openaiServer.js";
export { ModelEngine, type GenerationParams } from "./modelEngine.js";
export { resolveModelSource, ModelSourceError } from "./modelSource.js";
export { AdmissionQueue, QueueFullError } from "./admissionQueue.js";
export { availableCpus, defaultThreads } from "./threads.js";
