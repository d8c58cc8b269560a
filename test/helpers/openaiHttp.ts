// Raw HTTP against a model service's OpenAI-compatible API, for what the openai client will not send
// (malformed JSON, wrong types) and for reading the server-sent events exactly as they come.

export interface OpenAIErrorReply {
  status: number;
  headers: Headers;
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** POSTs `body` (an object, or raw text sent as is) to `<baseUrl><path>`. */
export function postJson(baseUrl: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}

/** A refused request's status and OpenAI-shaped error (fails the test if it was not refused). */
export async function errorReply(response: Promise<Response>): Promise<OpenAIErrorReply> {
  const reply = await response;
  const text = await reply.text();
  if (reply.ok) throw new Error(`expected an error, got ${reply.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { error: OpenAIErrorReply["error"] };
  return { status: reply.status, headers: reply.headers, error: body.error };
}

/** Every `data:` payload of a server-sent event stream, in order ("[DONE]" kept as the string). */
export async function sseData(response: Response): Promise<unknown[]> {
  if (!response.ok) throw new Error(`stream refused: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((event) => event.trim().length > 0)
    .map((event) => {
      const data = event.replace(/^data: /, "");
      return data === "[DONE]" ? data : (JSON.parse(data) as unknown);
    });
}
