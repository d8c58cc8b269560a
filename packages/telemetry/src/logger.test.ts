import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { context, createLogger, startTelemetry, trace, type Telemetry } from "./index.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, destination };
}

let telemetry: Telemetry;
beforeAll(async () => {
  telemetry = await startTelemetry({ serviceName: "logger-test", prometheus: "off" });
});
afterAll(async () => {
  await telemetry?.shutdown();
});

describe("createLogger", () => {
  it("writes JSON lines carrying the active span's trace_id and span_id, also after an await", async () => {
    const { lines, destination } = capture();
    const log = createLogger("model-server", { destination, level: "info" });
    const span = telemetry.tracer.startSpan("request");
    await context.with(trace.setSpan(context.active(), span), async () => {
      log.info({ requestId: "r1" }, "admitted");
      await new Promise((resolve) => setImmediate(resolve));
      log.info("finished");
    });
    span.end();
    log.info("outside");

    const { traceId, spanId } = span.spanContext();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      name: "model-server",
      msg: "admitted",
      requestId: "r1",
      trace_id: traceId,
      span_id: spanId,
      trace_flags: "01",
    });
    expect(lines[1]).toMatchObject({ msg: "finished", trace_id: traceId, span_id: spanId });
    expect(lines[2]?.msg).toBe("outside");
    expect(lines[2]).not.toHaveProperty("trace_id");
  });

  it("honours the level and adds base fields", () => {
    const { lines, destination } = capture();
    const log = createLogger("evaluator", { destination, level: "warn", base: { service: "evaluator" } });
    log.info("dropped");
    log.warn("kept");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "kept", service: "evaluator", level: 40 });
    expect(lines[0]).toHaveProperty("pid", process.pid);
  });
});
