export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * Reads a text/event-stream response to its end (or until `onEvent` returns true), event by event: the
 * evaluator's `/v1/runs/{id}/events`. Comments (keep-alives) are skipped.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a callback may return nothing (keep reading) or false (stop)
export async function readEvents(response: Response, onEvent?: (e: SseEvent) => boolean | void): Promise<SseEvent[]> {
  if (!response.ok || !response.body) throw new Error(`event stream: HTTP ${response.status} ${await response.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const e: SseEvent = { event: "message", data: "" };
        const data: string[] = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") e.event = value;
          else if (field === "id") e.id = value;
          else if (field === "data") data.push(value);
        }
        if (data.length === 0 && e.event === "message") continue;
        e.data = data.join("\n");
        events.push(e);
        if (onEvent?.(e) === true) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}
