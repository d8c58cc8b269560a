import { fileURLToPath } from "node:url";
import path from "node:path";
import type { Server } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";

/** The repository's proto/ folder: the contract's source of truth, also read by k6 and reflection. */
export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../proto");
export const INFERENCE_PROTO = "evalstack/inference/v1/inference.proto";

/** Adds server reflection (grpcurl, Postman, k6 can discover the API without the .proto). */
export function addReflection(server: Server): void {
  const definition = loadSync(INFERENCE_PROTO, { includeDirs: [PROTO_ROOT] });
  new ReflectionService(definition).addToServer(server);
}
