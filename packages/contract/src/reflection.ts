import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPackageDefinition, type Server, type ServerDuplexStream, type ServiceDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { createFileRegistry, fromBinary, toBinary, type DescFile, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository's proto/ folder: the contract's source of truth. */
export const PROTO_ROOT = path.resolve(here, "../../../proto");
export const INFERENCE_PROTO = "evalstack/inference/v1/inference.proto";
/** The standard gRPC health and reflection protos, as their npm packages ship them. */
export const THIRD_PARTY_PROTO_ROOT = path.resolve(here, "../../../third_party/proto");
/**
 * `buf build --as-file-descriptor-set` of proto/ and third_party/proto (npm run gen; checked current by
 * generatedCode.test.ts): the descriptors exactly as written, snake_case names and proto3 `optional` intact.
 */
export const DESCRIPTOR_SET_PATH = path.resolve(here, "../descriptors/contract.binpb");

/** Every service a model server exposes, as reflection lists them. */
export const MODEL_SERVER_SERVICES = [
  "evalstack.inference.v1.Inference",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
] as const;

interface ReflectionRequest {
  host?: string;
  message_request?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type: string; extension_number: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

type ReflectionResponse = Record<string, unknown>;

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/**
 * grpc.reflection v1 and v1alpha over the committed descriptor set. @grpc/reflection rebuilds descriptors
 * from proto-loader objects (camelCased names, synthetic oneofs in place of proto3 `optional`), so grpcurl
 * could not send `{"max_tokens": 12}`; this serves the files byte for byte as buf compiled them.
 */
export class DescriptorReflection {
  private readonly registry: FileRegistry;
  private readonly encoded = new Map<string, Uint8Array>();

  constructor(
    readonly services: readonly string[],
    descriptorSet: Uint8Array = readFileSync(DESCRIPTOR_SET_PATH),
  ) {
    this.registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
    for (const name of services) {
      if (!this.registry.getService(name)) throw new Error(`reflection: the descriptor set has no service ${name}`);
    }
  }

  /** The file and everything it imports, transitively (what a client needs to decode the file). */
  private withDependencies(file: DescFile): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      let bytes = this.encoded.get(f.proto.name);
      if (!bytes) this.encoded.set(f.proto.name, (bytes = toBinary(FileDescriptorProtoSchema, f.proto)));
      out.push(bytes);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }

  /** The file defining `symbol`: a type or service, or a method, field or enum value inside one. */
  private fileOfSymbol(symbol: string): DescFile | undefined {
    for (let name = symbol; name.length > 0; name = name.slice(0, Math.max(0, name.lastIndexOf(".")))) {
      const desc = this.registry.get(name);
      if (desc) return desc.file;
      if (name.lastIndexOf(".") < 0) break;
    }
    return undefined;
  }

  private fileByName(fileName: string): DescFile | undefined {
    for (const file of this.registry.files) if (file.proto.name === fileName) return file;
    return undefined;
  }

  answer(request: ReflectionRequest): ReflectionResponse {
    const base = { valid_host: request.host ?? "", original_request: request };
    const files = (file: DescFile | undefined, what: string): ReflectionResponse =>
      file
        ? { ...base, file_descriptor_response: { file_descriptor_proto: this.withDependencies(file) } }
        : { ...base, error_response: { error_code: NOT_FOUND, error_message: `${what} not found` } };
    switch (request.message_request) {
      case "list_services":
        return { ...base, list_services_response: { service: this.services.map((name) => ({ name })) } };
      case "file_by_filename":
        return files(this.fileByName(request.file_by_filename ?? ""), `file ${request.file_by_filename}`);
      case "file_containing_symbol":
        return files(this.fileOfSymbol(request.file_containing_symbol ?? ""), `symbol ${request.file_containing_symbol}`);
      case "file_containing_extension": {
        const { containing_type = "", extension_number = 0 } = request.file_containing_extension ?? {};
        const message = this.registry.getMessage(containing_type);
        const extension = message ? this.registry.getExtensionFor(message, extension_number) : undefined;
        return files(extension?.file, `extension ${extension_number} of ${containing_type}`);
      }
      case "all_extension_numbers_of_type": {
        const typeName = request.all_extension_numbers_of_type ?? "";
        if (!this.registry.getMessage(typeName)) {
          return { ...base, error_response: { error_code: NOT_FOUND, error_message: `type ${typeName} not found` } };
        }
        // None of the served files declares extensions.
        return { ...base, all_extension_numbers_response: { base_type_name: typeName, extension_number: [] } };
      }
      default:
        return { ...base, error_response: { error_code: UNIMPLEMENTED, error_message: "unknown reflection request" } };
    }
  }

  addToServer(server: Server): void {
    for (const version of ["v1", "v1alpha"] as const) {
      const definition = loadSync(`grpc/reflection/${version}/reflection.proto`, {
        includeDirs: [THIRD_PARTY_PROTO_ROOT],
        keepCase: true,
        oneofs: true,
        longs: Number,
        defaults: false,
      });
      const grpcPkg = loadPackageDefinition(definition) as unknown as {
        grpc: { reflection: Record<string, { ServerReflection: { service: ServiceDefinition } }> };
      };
      server.addService(grpcPkg.grpc.reflection[version]!.ServerReflection.service, {
        ServerReflectionInfo: (stream: ServerDuplexStream<ReflectionRequest, ReflectionResponse>) => {
          stream.on("data", (request: ReflectionRequest) => stream.write(this.answer(request)));
          stream.on("end", () => stream.end());
        },
      });
    }
  }
}

/** Adds server reflection (grpcurl, Postman, buf curl discover the API without the .proto files). */
export function addReflection(server: Server, services: readonly string[] = MODEL_SERVER_SERVICES): void {
  new DescriptorReflection(services).addToServer(server);
}
