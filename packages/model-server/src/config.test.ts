import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCatalog } from "@evalstack/model-catalog";
import { describe, expect, it } from "vitest";
import { ConfigError, loadModelServerConfig, selectCatalogModel } from "./config.js";

const catalog = loadCatalog();
// The repository's catalog, by what its entries have rather than by name: this package names no model.
const split = catalog.models.find((m) => Object.values(m.profiles).some((p) => (p.hub?.length ?? 0) > 1))!;
const splitProfile = Object.entries(split.profiles).find(([, p]) => (p.hub?.length ?? 0) > 1)![0];
const first = catalog.models[0]!;

describe("model service configuration over the catalog entry", () => {
  it("takes ports, context, slots, sampling and the profile's source from the entry", () => {
    for (const model of catalog.models) {
      const config = loadModelServerConfig(model, { MODEL_CACHE_DIR: "/cache" });
      expect(config).toMatchObject({
        service: model.name,
        grpcPort: model.ports.grpc,
        metricsPort: model.ports.metrics,
        httpPort: model.ports.http,
        contextSize: model.contextSize,
        slots: model.slots,
        sampling: model.sampling,
        profile: "small",
        source: path.join("/cache", model.profiles.small!.pypi!.file),
        sha256: [model.profiles.small!.pypi!.sha256],
      });
    }
  });

  it("a split hub source pins every part; MODEL_SOURCE drops the catalog's pins; MODEL_SHA256 gives one per part", () => {
    const seed = loadModelServerConfig(split, { MODEL_PROFILE: splitProfile });
    const parts = split.profiles[splitProfile]!.hub!;
    expect(seed.source).toBe(parts[0]!.uri);
    expect(seed.sha256).toEqual(parts.map((p) => ("sha256" in p ? p.sha256 : undefined)));
    expect(seed.sha256.length).toBeGreaterThan(1);
    expect(loadModelServerConfig(split, { MODEL_SOURCE: "/x.gguf" }).sha256).toEqual([]);
    const [a, b] = ["a".repeat(64), "b".repeat(64)];
    expect(loadModelServerConfig(split, { MODEL_SOURCE: "/x-00001-of-00002.gguf", MODEL_SHA256: `${a}, ${b}` }).sha256).toEqual([a, b]);
    expect(loadModelServerConfig(split, { MODEL_SHA256: `${a},` }).sha256).toEqual([a, undefined]);
  });

  it.each([
    [{ MODEL_PROFILE: "huge" }, `MODEL_PROFILE: ${first.name} has no profile 'huge' (it has ${Object.keys(first.profiles).join(", ")})`],
    [{ MODEL_SHA256: "abc" }, "MODEL_SHA256: expected sha256 values"],
    [{ MODEL_SLOTS: "0" }, "MODEL_SLOTS: must be between 1 and 256, got 0"],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => loadModelServerConfig(first, env)).toThrow(ConfigError);
    expect(() => loadModelServerConfig(first, env)).toThrow(message);
  });

  it("selectCatalogModel: the fixed name, else MODEL_NAME, from MODEL_CATALOG; clear errors otherwise", () => {
    const [one, two] = catalog.names() as [string, string];
    expect(selectCatalogModel(two, { MODEL_NAME: one }).name).toBe(two);
    expect(selectCatalogModel(undefined, { MODEL_NAME: one }).name).toBe(one);
    expect(() => selectCatalogModel(undefined, {})).toThrow("MODEL_NAME: required");
    expect(() => selectCatalogModel(undefined, { MODEL_NAME: "nosuchmodel" })).toThrow(
      `MODEL_NAME: no model "nosuchmodel" in ${catalog.file} (it lists ${catalog.names().join(", ")})`,
    );
    const bad = path.join(mkdtempSync(path.join(tmpdir(), "catalog-")), "catalog.yaml");
    writeFileSync(bad, "defaultModels: [x]\nmodels: [{ name: x }]\n");
    expect(() => selectCatalogModel("x", { MODEL_CATALOG: bad })).toThrow(ConfigError);
    expect(() => selectCatalogModel("x", { MODEL_CATALOG: bad })).toThrow(`${bad}: models[0] (x).ports`);
  });
});

describe("the OpenAI-compatible API's port", () => {
  it("MODEL_HTTP_PORT overrides the catalog's port; 0 picks a free one", () => {
    expect(loadModelServerConfig(first, { MODEL_HTTP_PORT: "18001" }).httpPort).toBe(18001);
    expect(loadModelServerConfig(first, { MODEL_HTTP_PORT: "0" }).httpPort).toBe(0);
  });
  it.each(["-1", "65536", "http", "80.5"])("refuses MODEL_HTTP_PORT=%s naming the variable", (value) => {
    expect(() => loadModelServerConfig(first, { MODEL_HTTP_PORT: value })).toThrow(ConfigError);
    expect(() => loadModelServerConfig(first, { MODEL_HTTP_PORT: value })).toThrow(/^MODEL_HTTP_PORT: /);
  });
});
