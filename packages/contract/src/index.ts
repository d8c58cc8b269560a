export * from "./gen/evalstack/inference/v1/inference.js";
export { clientChannelOptions, serverChannelOptions, dialTarget, deadlineIn, insecure, MAX_MESSAGE_BYTES } from "./channel.js";
export {
  createInferenceClient,
  streamGenerate,
  fullRequest,
  isServiceError,
  RETRYABLE_CODES,
  finishReasonName,
  type StreamOptions,
} from "./client.js";
export { createHealthClient, checkHealth, waitForServing, type ServingStatus } from "./health.js";
export { addReflection, PROTO_ROOT, INFERENCE_PROTO } from "./reflection.js";
export {
  streamChatCompletion,
  listServedModels,
  sseData,
  OpenAiHttpError,
  type OpenAiChatRequest,
  type OpenAiStreamResult,
  type OpenAiCallOptions,
} from "./openaiChatStream.js";
