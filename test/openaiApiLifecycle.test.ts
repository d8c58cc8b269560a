// The OpenAI-compatible API while a real model service loads and while it drains on SIGTERM: 503s with
// OpenAI-shaped errors, and an in-flight stream that still finishes with data: [DONE].
import { describe, expect, it } from "vitest";
import { startModelService, waitUntil } from "@evalstack/local-stack";
import { errorReply, postJson } from "./helpers/openaiHttp.js";

const COMMON_ENV = { MODEL_THREADS: "1", MODEL_CONTEXT_SIZE: "2048", MODEL_SLOTS: "1", LOG_LEVEL: "warn" };
const hi = { model: "qwen", messages: [{ role: "user", content: "hi" }], max_tokens: 2 };

describe("OpenAI-compatible API lifecycle", () => {
  it("503 model_loading and /health NOT_SERVING while loading; SIGTERM: 503 shutting_down while an in-flight stream finishes, then exit 0", async () => {
    const service = await startModelService({
      service: "qwen",
      env: { ...COMMON_ENV, SHUTDOWN_GRACE_MS: "60000" },
      waitReady: false,
      parentDeathSignal: "SIGKILL",
    });
    const base = service.openaiBaseUrl;
    const healthUrl = base.replace(/\/v1$/, "/health");
    try {
      // The first answer the HTTP port gives comes while the model loads (it listens before loading starts).
      const firstHealth = await waitUntil(() => fetch(healthUrl).catch(() => undefined), { timeoutMs: 60_000, process: service.process });
      const loading = await errorReply(postJson(base, "/chat/completions", hi));
      expect(firstHealth.status).toBe(503);
      expect(await firstHealth.json()).toMatchObject({ status: "NOT_SERVING", state: "loading" });
      // Loading and warming up take seconds; these two answers come milliseconds after the port opened.
      expect(loading).toMatchObject({ status: 503, error: { type: "server_error", code: "model_loading" } });
      await service.ready();
      expect((await fetch(healthUrl)).status).toBe(200);

      // An endless reply capped at 100 tokens: long enough to SIGTERM in the middle of it.
      const stream = await postJson(base, "/chat/completions", {
        model: "qwen",
        messages: [{ role: "user", content: "List numbers." }],
        max_tokens: 100,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        response_format: {
          type: "json_schema",
          json_schema: { name: "n", schema: { type: "array", items: { type: "integer" }, minItems: 250 } },
        },
      });
      expect(stream.status).toBe(200);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
      service.process.signal("SIGTERM");
      await waitUntil(async () => (await fetch(healthUrl)).status === 503, { timeoutMs: 10_000 });
      const draining = await errorReply(postJson(base, "/chat/completions", hi));
      expect(draining).toMatchObject({ status: 503, error: { type: "server_error", code: "shutting_down" } });
      expect(draining.headers.get("retry-after")).toBe("1");

      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      const events = text
        .split("\n\n")
        .filter((e) => e.length > 0)
        .map((e) => e.replace(/^data: /, ""));
      expect(events[events.length - 1]).toBe("[DONE]");
      const chunks = events.slice(0, -1).map(
        (e) =>
          JSON.parse(e) as {
            choices: { finish_reason: string | null }[];
            x_evalstack?: { tokens: number };
            usage?: { completion_tokens: number };
          },
      );
      const usage = chunks[chunks.length - 1]!.usage!;
      expect(chunks[chunks.length - 2]!.choices[0]!.finish_reason).toBe("length");
      expect(chunks.reduce((sum, c) => sum + (c.x_evalstack?.tokens ?? 0), 0)).toBe(usage.completion_tokens);
      expect(usage.completion_tokens).toBeGreaterThan(90);
      expect(await service.process.exited).toEqual({ code: 0, signal: null });
    } finally {
      await service.process.stop();
    }
  });
});
