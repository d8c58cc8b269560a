import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_MESSAGE_BYTES } from "@evalstack/contract";
import { context, startHttpServerSpan } from "@evalstack/telemetry";
import type { Logger } from "pino";
import type { GenerationCore } from "../generationCore.js";
import { invalidParam, OpenAIError, toOpenAIError } from "./openaiErrors.js";
import { parseChatRequest, parseCompletionRequest, type ParsedOpenAIRequest } from "./openaiRequest.js";
import { ResponseShaper } from "./openaiResponses.js";

export interface OpenAIServerOptions {
  core: GenerationCore;
  log: Logger;
  /** The name `/v1/models` lists and responses echo (the service's name, e.g. "qwen"). */
  servedName: string;
  host: string;
  port: number;
}

export interface RunningOpenAIServer {
  port: number;
  /** Stops listening and closes idle keep-alive connections (call once in-flight requests are done). */
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, error: OpenAIError, requestId: string): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { "x-request-id": requestId };
  // 429 and 503 are transient: the openai clients honour retry-after.
  if (error.httpStatus === 429 || error.httpStatus === 503) headers["retry-after"] = "1";
  // The rest of an oversized body is never read: close the connection so the client does not reuse it.
  if (error.httpStatus === 413) headers.connection = "close";
  sendJson(res, error.httpStatus, error.body(), headers);
}

/** The body as JSON, refused past the gRPC path's message limit so both ports take the same requests. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MESSAGE_BYTES) {
      throw new OpenAIError(
        413,
        `the request body is larger than ${MAX_MESSAGE_BYTES} bytes`,
        "invalid_request_error",
        null,
        "request_too_large",
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidParam(null, `the request body is not valid JSON (${(error as Error).message})`, "invalid_json");
  }
}

/**
 * The OpenAI-compatible HTTP API of a model service: `/v1/models`, `/v1/chat/completions`,
 * `/v1/completions` (streamed as server-sent events or not) and `/health`, over the same serving core
 * (validation, slots, queue, cancellation, metrics) as the gRPC service.
 */
export async function startOpenAIServer(options: OpenAIServerOptions): Promise<RunningOpenAIServer> {
  const { core, log, servedName } = options;
  const created = Math.floor(Date.now() / 1000);

  const checkModel = (model: string) => {
    // The served name, the loaded GGUF's name, or none: anything else is a request meant for another server.
    if (model !== "" && model !== servedName && model !== core.modelName) {
      throw new OpenAIError(
        404,
        `the model '${model}' does not exist; this server serves '${servedName}'`,
        "invalid_request_error",
        "model",
        "model_not_found",
      );
    }
  };

  async function generate(res: ServerResponse, parsed: ParsedOpenAIRequest, requestId: string): Promise<number> {
    checkModel(parsed.model);
    core.servingEngine(); // 503 while loading or draining, before anything is parsed further
    const controller = new AbortController();
    // The client went away before the response was complete: cancel the generation and free its slot.
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    const shaper = new ResponseShaper(
      parsed.kind,
      { id: `${parsed.kind === "chat" ? "chatcmpl" : "cmpl"}-${requestId}`, created: Math.floor(Date.now() / 1000), model: servedName },
      core.modelName,
    );
    const request = { ...parsed.generate, requestId };
    if (!parsed.stream) {
      let text = "";
      const done = await core.generate(request, controller.signal, (delta) => {
        text += delta;
      });
      if (controller.signal.aborted) return 499;
      sendJson(res, 200, shaper.response(text, done), { "x-request-id": requestId });
      return 200;
    }
    // Headers go out with the first event, so a refusal (queue full, bad schema) is still a plain error response.
    const event = (data: unknown) => {
      if (!res.headersSent) {
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
          "x-request-id": requestId,
        });
      }
      res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    try {
      const done = await core.generate(request, controller.signal, (delta, tokens) => event(shaper.deltaChunk(delta, tokens)));
      if (controller.signal.aborted) return 499;
      event(shaper.finalChunk(done));
      if (parsed.includeUsage) event(shaper.usageChunk(done));
      res.end("data: [DONE]\n\n");
      return 200;
    } catch (error) {
      if (!res.headersSent) throw error;
      // Mid-stream: OpenAI's servers send the error as one more event, then end the stream.
      const failure = toOpenAIError(error, parsed.paramOf);
      if (!controller.signal.aborted) {
        res.write(`data: ${JSON.stringify(failure.body())}\n\n`);
        res.end();
      }
      return failure.httpStatus;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<number> {
    const path = (req.url ?? "/").split("?")[0];
    const method = req.method ?? "GET";
    if (path === "/health" && method === "GET") {
      const serving = core.healthy;
      const state = serving ? "serving" : core.state === "serving" ? "warming_up" : core.state;
      sendJson(res, serving ? 200 : 503, { status: serving ? "SERVING" : "NOT_SERVING", state });
      return serving ? 200 : 503;
    }
    if (path === "/v1/models" && method === "GET") {
      sendJson(res, 200, { object: "list", data: [{ id: servedName, object: "model", created, owned_by: "evalstack" }] });
      return 200;
    }
    const parse = path === "/v1/chat/completions" ? parseChatRequest : path === "/v1/completions" ? parseCompletionRequest : undefined;
    if (!parse) throw new OpenAIError(404, `no route ${method} ${path}`, "invalid_request_error", null, "unknown_url");
    if (method !== "POST")
      throw new OpenAIError(405, `${path} takes POST, not ${method}`, "invalid_request_error", null, "method_not_allowed");
    const parsed = parse(await readJson(req));
    try {
      return await generate(res, parsed, requestId);
    } catch (error) {
      throw toOpenAIError(error, parsed.paramOf);
    }
  }

  const server: Server = createServer((req, res) => {
    const requestId = (typeof req.headers["x-request-id"] === "string" && req.headers["x-request-id"].slice(0, 128)) || randomUUID();
    const path = (req.url ?? "/").split("?")[0]!;
    const traced = path.startsWith("/v1/");
    const span = traced ? startHttpServerSpan(req.method ?? "GET", path, req.headers) : undefined;
    const run = () =>
      route(req, res, requestId).catch((error: unknown) => {
        const failure = toOpenAIError(error, (field) => field);
        if (failure.httpStatus >= 500) log.error({ err: error, requestId }, "HTTP request failed");
        sendError(res, failure, requestId);
        return failure.httpStatus;
      });
    void (span ? context.with(span.context, run) : run()).then((code) => span?.end(code));
  });
  // Generations can take minutes; the default 5 min request timeout would cut a long one.
  server.requestTimeout = 0;
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", (error) => reject(new Error(`cannot listen on ${options.host}:${options.port} (HTTP): ${error.message}`)));
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => resolve((server.address() as AddressInfo).port));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
