export { runModelService, startModelServer, type RunningModelServer } from "./modelServer.js";
export { loadModelServerConfig, selectCatalogModel, ConfigError, type ModelServerConfig } from "./config.js";
export { InferenceService, noopObserver, type ServingObserver } from "./inferenceService.js";
export { ModelEngine, type GenerationParams } from "./modelEngine.js";
export { resolveModelSource, ModelSourceError } from "./modelSource.js";
export { AdmissionQueue, QueueFullError } from "./admissionQueue.js";
export { availableCpus, defaultThreads } from "./threads.js";
