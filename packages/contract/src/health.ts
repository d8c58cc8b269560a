import { loadPackageDefinition, type Client, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { clientChannelOptions, dialTarget, insecure } from "./channel.js";

export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

interface HealthClient extends Client {
  check(
    request: { service: string },
    options: { deadline: Date },
    callback: (error: ServiceError | null, reply?: { status: ServingStatus }) => void,
  ): void;
}

type HealthClientConstructor = new (target: string, creds: ReturnType<typeof insecure>, options: object) => HealthClient;

let healthConstructor: HealthClientConstructor | undefined;
function healthClientConstructor(): HealthClientConstructor {
  if (!healthConstructor) {
    const definition = loadSync(healthProtoPath, { keepCase: true, enums: String, defaults: true });
    const grpcPkg = loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: HealthClientConstructor } } };
    };
    healthConstructor = grpcPkg.grpc.health.v1.Health;
  }
  return healthConstructor;
}

export function createHealthClient(target: string): HealthClient {
  const Health = healthClientConstructor();
  return new Health(dialTarget(target), insecure(), clientChannelOptions);
}

/** One grpc.health.v1 Check; an unreachable server reads as NOT_SERVING with the error attached. */
export function checkHealth(
  client: HealthClient,
  service = "",
  timeoutMs = 2_000,
): Promise<{ status: ServingStatus; error?: ServiceError }> {
  return new Promise((resolve) => {
    client.check({ service }, { deadline: new Date(Date.now() + timeoutMs) }, (error, reply) => {
      if (error) resolve({ status: "NOT_SERVING", error });
      else resolve({ status: reply?.status ?? "UNKNOWN" });
    });
  });
}

/** Polls health until SERVING; rejects after `timeoutMs`. */
export async function waitForServing(target: string, timeoutMs = 120_000, service = ""): Promise<void> {
  const client = createHealthClient(target);
  const until = Date.now() + timeoutMs;
  try {
    for (;;) {
      const { status, error } = await checkHealth(client, service);
      if (status === "SERVING") return;
      if (Date.now() > until) {
        throw new Error(`${target} not SERVING after ${timeoutMs} ms (last: ${status}${error ? `, ${error.details}` : ""})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.close();
  }
}
