import { stat } from "node:fs/promises";
import path from "node:path";
import {
  getLlama,
  GgufFileType,
  LlamaChat,
  LlamaLogLevel,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
} from "node-llama-cpp";
import { FinishReason, type Message, type ModelInfo } from "@evalstack/contract";
import type { ModelServerConfig } from "./config.js";
import { InvalidArgument } from "./validation.js";
import { sha256File } from "@evalstack/model-catalog";

export interface GenerationParams {
  messages: Message[];
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  repeatPenalty: number;
  seed: number | undefined;
  stop: string[];
  grammar: LlamaGrammar | undefined;
}

export interface GenerationCallbacks {
  signal: AbortSignal;
  /** Text released by the detokenizer, with the number of tokens generated since the previous call. */
  onDelta: (text: string, tokens: number) => void;
}

export interface GenerationResult {
  finishReason: FinishReason;
  completionTokens: number;
  /** Tokens generated but not yet attributed to a delta (held back stop-trigger text, end-of-generation). */
  trailingTokens: number;
  /** performance.now() of the first generated token, if any. */
  firstTokenAt: number | undefined;
}

export interface LoadedModelFiles {
  /** The first (or only) GGUF file; split models keep their other parts beside it. */
  modelPath: string;
  files: string[];
}

/**
 * One GGUF loaded with node-llama-cpp: one context whose `slots` sequences are decoded together in a
 * single batch (continuous batching), one LlamaChat per sequence, applying the GGUF's own chat template.
 */
export class ModelEngine {
  private readonly chats: LlamaChat[];
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private sha256: Promise<string> | undefined;

  private constructor(
    private readonly config: ModelServerConfig,
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    private readonly files: LoadedModelFiles,
    readonly loadMs: number,
  ) {
    this.chats = Array.from({ length: config.slots }, () => new LlamaChat({ contextSequence: context.getSequence() }));
  }

  static async load(config: ModelServerConfig, files: LoadedModelFiles): Promise<ModelEngine> {
    const started = performance.now();
    const llama = await getLlama({
      gpu: config.gpu,
      build: "never",
      maxThreads: config.threads,
      logLevel: LlamaLogLevel.error,
    });
    const model = await llama.loadModel({ modelPath: files.modelPath, gpuLayers: config.gpuLayers });
    const context = await model.createContext({
      contextSize: config.contextSize,
      sequences: config.slots,
      threads: config.threads,
    });
    return new ModelEngine(config, llama, model, context, files, performance.now() - started);
  }

  /** The chat history node-llama-cpp expects; a trailing user turn opens an empty model turn to complete. */
  static chatHistory(messages: Message[]): ChatHistoryItem[] {
    const history: ChatHistoryItem[] = messages.map((m) =>
      m.role === "system"
        ? { type: "system", text: m.content }
        : m.role === "user"
          ? { type: "user", text: m.content }
          : { type: "model", response: [m.content] },
    );
    if (messages[messages.length - 1]?.role !== "assistant") history.push({ type: "model", response: [] });
    return history;
  }

  /** Tokens of the prompt after the chat template, as the model will evaluate it. */
  countTokens(messages: Message[]): number {
    const chatWrapper = this.chats[0]!.chatWrapper;
    const { contextText } = chatWrapper.generateContextState({ chatHistory: ModelEngine.chatHistory(messages) });
    return contextText.tokenize(this.model.tokenizer).length;
  }

  /** A grammar that constrains output to the schema; compiled once per distinct schema text. */
  grammarFor(schemaText: string, schema: object): Promise<LlamaGrammar> {
    let grammar = this.grammars.get(schemaText);
    if (!grammar) {
      grammar = this.llama.createGrammarForJsonSchema(schema as never).catch((error: Error) => {
        this.grammars.delete(schemaText);
        throw new InvalidArgument("json_schema", `unsupported schema (${error.message})`);
      });
      if (this.grammars.size > 64) this.grammars.delete(this.grammars.keys().next().value!);
      this.grammars.set(schemaText, grammar);
    }
    return grammar;
  }

  async generate(slot: number, params: GenerationParams, callbacks: GenerationCallbacks): Promise<GenerationResult> {
    const chat = this.chats[slot]!;
    let completionTokens = 0;
    let pendingTokens = 0;
    let firstTokenAt: number | undefined;
    let stopReason: string;
    try {
      const response = await chat.generateResponse(ModelEngine.chatHistory(params.messages), {
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        topP: params.topP,
        topK: params.topK,
        minP: params.minP,
        seed: params.seed,
        repeatPenalty: params.repeatPenalty === 1 ? false : { penalty: params.repeatPenalty, lastTokens: 64 },
        customStopTriggers: params.stop.length > 0 ? params.stop : undefined,
        grammar: params.grammar,
        signal: callbacks.signal,
        stopOnAbortSignal: true,
        onToken: (tokens) => {
          firstTokenAt ??= performance.now();
          completionTokens += tokens.length;
          pendingTokens += tokens.length;
        },
        onTextChunk: (text) => {
          if (text.length === 0) return;
          callbacks.onDelta(text, pendingTokens);
          pendingTokens = 0;
        },
      });
      stopReason = response.metadata.stopReason;
    } catch (error) {
      // A cancel that lands while a token is being evaluated surfaces as an AbortError: that is a cancel, not a failure.
      if (!callbacks.signal.aborted) throw error;
      stopReason = "abort";
    }
    return {
      finishReason: finishReasonOf(stopReason, callbacks.signal.aborted),
      completionTokens,
      trailingTokens: pendingTokens,
      firstTokenAt,
    };
  }

  /** Hashes the model files once (in the background from start-up); split models list one hash per part. */
  fileSha256(): Promise<string> {
    this.sha256 ??= Promise.all(this.files.files.map((f) => sha256File(f))).then((hashes) => hashes.join(","));
    return this.sha256;
  }

  async info(): Promise<ModelInfo> {
    const general = this.model.fileInfo.metadata.general;
    const sizes = await Promise.all(this.files.files.map((f) => stat(f).then((s) => s.size)));
    const vram = this.llama.gpu ? await this.llama.getVramState() : undefined;
    const memory = process.memoryUsage();
    const fileType = general.file_type;
    return {
      service: this.config.service,
      name: general.name ?? path.basename(this.files.modelPath, ".gguf"),
      architecture: String(general.architecture ?? ""),
      quantization: fileType === undefined ? "" : (GgufFileType[fileType] ?? String(fileType)).replace(/^(MOSTLY|ALL)_/, ""),
      parameterCount: this.model.fileInsights.totalParameters,
      fileSizeBytes: sizes.reduce((a, b) => a + b, 0),
      sha256: await this.fileSha256(),
      source: this.config.source,
      contextSize: this.context.contextSize,
      trainContextSize: this.model.trainContextSize,
      slots: this.config.slots,
      threads: this.config.threads,
      loadMs: this.loadMs,
      ramBytes: memory.rss,
      peakRamBytes: process.resourceUsage().maxRSS * 1024,
      vramBytes: vram?.used ?? 0,
      gpu: this.llama.gpu || "none",
      gpuLayers: this.model.gpuLayers,
      queueLimit: this.config.queueLimit,
      chatTemplate: this.chats[0]!.chatWrapper.wrapperName,
    };
  }

  async dispose(): Promise<void> {
    for (const chat of this.chats) chat.dispose();
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

function finishReasonOf(stopReason: string, aborted: boolean): FinishReason {
  if (aborted || stopReason === "abort") return FinishReason.CANCELLED;
  switch (stopReason) {
    case "maxTokens":
      return FinishReason.LENGTH;
    case "customStopTrigger":
      return FinishReason.STOP_SEQUENCE;
    default:
      return FinishReason.STOP;
  }
}
