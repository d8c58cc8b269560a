// The client side of the OpenAI-compatible API, as the evaluator and the load tests use it: one streamed chat
// completion (POST {base}/chat/completions, stream: true, stream_options.include_usage), read as server-sent
// events with the time of every content token, and the list of served models. fetch only: no SDK, so the
// timings are ours (when each chunk arrived), not a library's.

export interface OpenAiChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
  response_format?: { type: "json_schema"; json_schema: { name: string; schema: unknown; strict?: boolean } };
  /** Non-standard sampling fields that llama.cpp-style servers accept and others ignore. */
  top_k?: number;
  min_p?: number;
  repeat_penalty?: number;
}

export interface OpenAiStreamResult {
  text: string;
  /** As the server sent it ("stop", "length", ...); "" when it sent none. */
  finishReason: string;
  /** From the final usage chunk; null when the server sent no usage. */
  usage: { promptTokens: number; completionTokens: number } | null;
  /** performance.now() when the request was sent, when the response headers came, at each content chunk, at the end. */
  sentAt: number;
  headersAt: number;
  contentChunkTimes: number[];
  endedAt: number;
  /** The `model` the server says answered. */
  model: string;
}

/** A failed call: the HTTP status (0 for no response: refused, reset, timed out) and the server's message. */
export class OpenAiHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The OpenAI error `type` / `code` when the body had one. */
    readonly errorType?: string,
  ) {
    super(message);
    this.name = "OpenAiHttpError";
  }

  /** 429, 5xx and no response at all are worth retrying; any other 4xx is the request's fault. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export interface OpenAiCallOptions {
  apiKey?: string;
  signal?: AbortSignal;
  /** Called with each content delta as it arrives. */
  onDelta?: (delta: string) => void;
  headers?: Record<string, string>;
}

function headersFor(options: OpenAiCallOptions): Record<string, string> {
  return {
    "content-type": "application/json",
    accept: "text/event-stream, application/json",
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...options.headers,
  };
}

/** One streamed chat completion. Throws OpenAiHttpError for HTTP and connection failures. */
export async function streamChatCompletion(
  baseUrl: string,
  request: OpenAiChatRequest,
  options: OpenAiCallOptions = {},
): Promise<OpenAiStreamResult> {
  const body = { ...request, stream: true, stream_options: { include_usage: true } };
  const sentAt = performance.now();
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/chat/completions`, {
      method: "POST",
      headers: headersFor(options),
      body: JSON.stringify(body),
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new OpenAiHttpError(0, `cannot reach ${baseUrl}: ${causeOf(error)}`);
  }
  const headersAt = performance.now();
  if (!response.ok) throw await httpError(response);
  if (!response.body) throw new OpenAiHttpError(502, "the response has no body");

  const result: OpenAiStreamResult = {
    text: "",
    finishReason: "",
    usage: null,
    sentAt,
    headersAt,
    contentChunkTimes: [],
    endedAt: 0,
    model: request.model,
  };
  let sawDone = false;
  try {
    for await (const data of sseData(response.body)) {
      if (data === "[DONE]") {
        sawDone = true;
        break;
      }
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(data) as ChatChunk;
      } catch {
        throw new OpenAiHttpError(502, `the stream sent an event that is not JSON: ${data.slice(0, 120)}`);
      }
      if (chunk.error)
        throw new OpenAiHttpError(500, `the server reported an error mid-stream: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
      if (chunk.model) result.model = chunk.model;
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (typeof delta === "string" && delta.length > 0) {
        result.contentChunkTimes.push(performance.now());
        result.text += delta;
        options.onDelta?.(delta);
      }
      if (choice?.finish_reason) result.finishReason = choice.finish_reason;
      if (chunk.usage)
        result.usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof OpenAiHttpError) throw error;
    throw new OpenAiHttpError(0, `the stream broke off: ${causeOf(error)}`);
  }
  result.endedAt = performance.now();
  // A stream that stops without [DONE] or a finish reason was cut (the server died): worth another attempt.
  if (!sawDone && !result.finishReason) throw new OpenAiHttpError(0, "the stream ended without a finish reason or [DONE]");
  return result;
}

/** GET {base}/models: the ids the server serves. */
export async function listServedModels(baseUrl: string, options: Pick<OpenAiCallOptions, "apiKey" | "signal"> = {}): Promise<string[]> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/models`, { headers: headersFor(options), signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new OpenAiHttpError(0, `cannot reach ${baseUrl}: ${causeOf(error)}`);
  }
  if (!response.ok) throw await httpError(response);
  const body = (await response.json().catch(() => null)) as { data?: { id?: unknown }[] } | null;
  if (!body || !Array.isArray(body.data)) throw new OpenAiHttpError(502, `${baseUrl}/models did not return {"data": [...]}`);
  return body.data.map((m) => m.id).filter((id): id is string => typeof id === "string");
}

interface ChatChunk {
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/** The `data:` payloads of an event stream, one per event (multi-line data joined with \n). */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r?\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (data.length) yield data.join("\n");
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
      // comments (":") and other fields (event, id, retry) carry nothing a chat stream needs
    }
  }
  buffer += decoder.decode();
  if (buffer.startsWith("data:")) data.push(buffer.slice(buffer.startsWith("data: ") ? 6 : 5));
  if (data.length) yield data.join("\n");
}

async function httpError(response: Response): Promise<OpenAiHttpError> {
  const text = await response.text().catch(() => "");
  let message = text.slice(0, 500) || response.statusText;
  let type: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { message?: string; type?: string; code?: unknown } | string; message?: string };
    if (typeof body.error === "string") message = body.error;
    else if (body.error?.message) {
      message = body.error.message;
      type = body.error.type ?? (typeof body.error.code === "string" ? body.error.code : undefined);
    } else if (body.message) message = body.message;
  } catch {
    // not JSON: keep the text
  }
  return new OpenAiHttpError(response.status, `HTTP ${response.status}: ${message}`, type);
}

function causeOf(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}
