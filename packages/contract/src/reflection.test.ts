import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { DescriptorReflection, MODEL_SERVER_SERVICES } from "./reflection.js";

const reflection = new DescriptorReflection(MODEL_SERVER_SERVICES);

function filesFor(request: Record<string, unknown>) {
  const reply = reflection.answer(request) as {
    file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
    error_response?: unknown;
  };
  expect(reply.error_response).toBeUndefined();
  return reply.file_descriptor_response!.file_descriptor_proto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

describe("DescriptorReflection", () => {
  it("lists every service a model server exposes", () => {
    const reply = reflection.answer({ message_request: "list_services", list_services: "" }) as {
      list_services_response: { service: { name: string }[] };
    };
    expect(reply.list_services_response.service.map((s) => s.name)).toEqual([...MODEL_SERVER_SERVICES]);
  });

  it("serves the contract with proto/'s field names and proto3 optional fields", () => {
    const [file] = filesFor({ message_request: "file_containing_symbol", file_containing_symbol: "evalstack.inference.v1.Inference" });
    expect(file!.name).toBe("evalstack/inference/v1/inference.proto");
    const request = file!.messageType.find((m) => m.name === "GenerateRequest")!;
    const maxTokens = request.field.find((f) => f.number === 4)!;
    expect(maxTokens.name).toBe("max_tokens");
    expect(maxTokens.jsonName).toBe("maxTokens");
    expect(maxTokens.proto3Optional).toBe(true);
    expect(request.field.map((f) => f.name)).toContain("request_id");
  });

  it("finds the file of a method and of the health service, and a file by name", () => {
    expect(
      filesFor({ message_request: "file_containing_symbol", file_containing_symbol: "evalstack.inference.v1.Inference.GenerateStream" })[0]!
        .name,
    ).toBe("evalstack/inference/v1/inference.proto");
    expect(filesFor({ message_request: "file_containing_symbol", file_containing_symbol: "grpc.health.v1.Health" })[0]!.name).toBe(
      "grpc/health/v1/health.proto",
    );
    expect(filesFor({ message_request: "file_by_filename", file_by_filename: "grpc/reflection/v1/reflection.proto" })[0]!.package).toBe(
      "grpc.reflection.v1",
    );
  });

  it("answers NOT_FOUND for an unknown symbol or file", () => {
    expect(reflection.answer({ message_request: "file_containing_symbol", file_containing_symbol: "no.such.Thing" })).toMatchObject({
      error_response: { error_code: 5 },
    });
    expect(reflection.answer({ message_request: "file_by_filename", file_by_filename: "nope.proto" })).toMatchObject({
      error_response: { error_code: 5 },
    });
  });

  it("refuses to list a service the descriptors do not define", () => {
    expect(() => new DescriptorReflection(["no.Such"])).toThrow(/no service no.Such/);
  });
});
