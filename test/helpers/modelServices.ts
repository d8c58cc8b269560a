// The real model services (qwen and phi3 slots, small profile) for integration tests: two processes that
// share the machine's cores (MODEL_THREADS=1 each, MODEL_SLOTS=2), each restartable on the same ports.
import { startModelService, type ModelServiceProcess } from "@evalstack/local-stack";

export const TEST_MODEL_ENV = { MODEL_SLOTS: "2", MODEL_THREADS: "1", MODEL_CONTEXT_SIZE: "2048", LOG_LEVEL: "warn" };

export interface TestModel {
  name: string;
  current: ModelServiceProcess;
  target: string;
  metricsUrl: string;
  /** Stops the process (SIGTERM, drain) — or SIGKILL with `kill`. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same ports; resolves once SERVING (or at once with waitReady false). */
  restart(options?: { waitReady?: boolean }): Promise<void>;
  /** Generation requests the service has finished (all outcomes), from its Prometheus counter. */
  requestCount(): Promise<number>;
}

/** A catalog model (models/catalog.yaml) on free ports. */
export async function startTestModel(name: string, env: Record<string, string> = {}): Promise<TestModel> {
  // SIGKILL on the test worker's death: a crashed or timed-out test file leaves no model process behind.
  const first = await startModelService({ service: name, env: { ...TEST_MODEL_ENV, ...env }, parentDeathSignal: "SIGKILL" });
  const model: TestModel = {
    name,
    current: first,
    target: first.target,
    metricsUrl: first.metricsUrl,
    async stop(options = {}) {
      if (options.kill) {
        model.current.process.signal("SIGKILL");
        await model.current.process.exited;
      } else await model.current.process.stop();
    },
    async restart(options = {}) {
      model.current = await startModelService({
        service: name,
        grpcPort: first.grpcPort,
        metricsPort: first.metricsPort,
        httpPort: first.httpPort,
        env: { ...TEST_MODEL_ENV, ...env },
        waitReady: options.waitReady ?? true,
        parentDeathSignal: "SIGKILL",
      });
    },
    async requestCount() {
      const text = await (await fetch(model.metricsUrl)).text();
      return sumCounter(text, "evalstack_server_requests_total");
    },
  };
  return model;
}

/** Both model services, started side by side. */
export async function startTestModels(
  env: Record<string, string> = {},
): Promise<{ qwen: TestModel; phi3: TestModel; models: string; stop(): Promise<void> }> {
  const [qwen, phi3] = await Promise.all([startTestModel("qwen", env), startTestModel("phi3", env)]);
  return {
    qwen,
    phi3,
    models: `qwen=${qwen.target},phi3=${phi3.target}`,
    async stop() {
      await Promise.all([qwen.stop(), phi3.stop()]);
    },
  };
}

/** The sum of every series of a Prometheus counter (0 when it has none yet). */
export function sumCounter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = line.match(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`));
    if (m) sum += Number(m[1]);
  }
  return sum;
}
