import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const committed = path.join(root, "packages/contract/src/gen");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("generated contract code", () => {
  it("matches what `npm run gen` produces from proto/ (regenerate and commit when this fails)", () => {
    const out = mkdtempSync(path.join(os.tmpdir(), "evalstack-gen-"));
    try {
      const template = readFileSync(path.join(root, "buf.gen.yaml"), "utf8").replace("out: packages/contract/src/gen", `out: ${out}`);
      const templateFile = path.join(out, "..", `${path.basename(out)}.buf.gen.yaml`);
      writeFileSync(templateFile, template);
      execFileSync(path.join(root, "node_modules/.bin/buf"), ["generate", "--template", templateFile], { cwd: root });
      rmSync(templateFile);
      expect(filesUnder(out)).toEqual(filesUnder(committed));
      for (const file of filesUnder(committed)) {
        expect(readFileSync(path.join(out, file), "utf8"), file).toBe(readFileSync(path.join(committed, file), "utf8"));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("the committed descriptor set is what `npm run gen` builds from proto/ and third_party/proto", () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), "evalstack-desc-")), "contract.binpb");
    try {
      execFileSync(path.join(root, "node_modules/.bin/buf"), ["build", "--as-file-descriptor-set", "-o", out], { cwd: root });
      expect(readFileSync(out).equals(readFileSync(path.join(root, "packages/contract/descriptors/contract.binpb")))).toBe(true);
    } finally {
      rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });

  it("third_party/proto's health.proto is the one grpc-health-check serves", () => {
    expect(readFileSync(path.join(root, "third_party/proto/grpc/health/v1/health.proto"), "utf8")).toBe(
      readFileSync(healthProtoPath, "utf8"),
    );
  });

  it("the proto passes buf lint", () => {
    expect(() => execFileSync(path.join(root, "node_modules/.bin/buf"), ["lint"], { cwd: root, stdio: "pipe" })).not.toThrow();
  });
});
