// Static checks of the service images (no container engine here): each Dockerfile is multi-stage, pins its
// base images, installs one workspace's production dependencies, runs as a numeric non-root user under tini,
// copies only paths that exist and that .dockerignore keeps, and agrees with the chart on ports. One
// Dockerfile builds every model image (ARG MODEL picks the catalog entry).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadCatalog } from "@evalstack/model-catalog";

const ROOT = path.resolve(import.meta.dirname, "..");

interface Instruction {
  op: string;
  args: string;
}

function instructions(file: string): Instruction[] {
  const joined = readFileSync(file, "utf8").replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(" ") };
    });
}

const dockerignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

const values = parse(readFileSync(path.join(ROOT, "k8s/charts/evalstack/values.yaml"), "utf8")) as {
  models: Array<{ name: string; grpcPort: number; metricsPort: number; image?: { repository?: string } }>;
  evaluator: { port: number };
};

const catalog = loadCatalog();

// The model image exposes no fixed port: each catalog entry has its own, and the chart sets them.
const images = [
  { service: "model", ports: [] as string[] },
  { service: "evaluator", ports: ["8080"] },
] as const;

describe.each(images)("services/$service/Dockerfile", ({ service, ports }) => {
  const file = path.join(ROOT, "services", service, "Dockerfile");
  const steps = instructions(file);
  const args = Object.fromEntries(
    steps
      .filter((s) => s.op === "ARG" && s.args.includes("="))
      .map((s) => {
        const [name, ...value] = s.args.split("=");
        return [name!, value.join("=").replace(/^"|"$/g, "")];
      }),
  );
  const stages = steps.filter((s) => s.op === "FROM");
  const finalStage = steps.slice(steps.lastIndexOf(stages.at(-1)!));

  it("is multi-stage, and every external base image is pinned to a version (never latest)", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const names = new Set<string>();
    for (const stage of stages) {
      const [image, as, name] = stage.args.split(/\s+/);
      expect(as?.toUpperCase(), stage.args).toBe("AS");
      const resolved = image!.replace(/\$\{(\w+)\}/g, (_m, arg: string) => args[arg] ?? `<${arg}?>`);
      if (!names.has(resolved)) {
        expect(resolved, stage.args).toMatch(/^[a-z0-9./-]+:[0-9][A-Za-z0-9._-]*$/);
        expect(resolved).not.toContain("latest");
      }
      names.add(name!);
    }
  });

  it("installs only its workspace's production dependencies, without install scripts", () => {
    const ci = steps.find((s) => s.op === "RUN" && s.args.includes("npm ci"));
    expect(ci?.args).toContain("--omit=dev");
    expect(ci?.args).toContain("--ignore-scripts");
    const workspace = /--workspace (\S+)/.exec(ci!.args)?.[1];
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "services", service, "package.json"), "utf8")) as { name: string };
    expect(workspace).toBe(pkg.name);
    // tsx runs the TypeScript entry point: the build stops with a message if the workspace does not list it.
    expect(ci?.args).toContain(`services/${service} must list tsx in its dependencies`);
  });

  it("runs as a numeric non-root user under tini, on the service's entry point", () => {
    const user = finalStage.filter((s) => s.op === "USER").at(-1);
    expect(user?.args).toBe("10001:10001");
    const entrypoint = JSON.parse(finalStage.find((s) => s.op === "ENTRYPOINT")!.args) as string[];
    expect(entrypoint.slice(0, 2)).toEqual(["tini", "--"]);
    expect(entrypoint).toContain("tsx");
    const main = entrypoint.at(-1)!;
    expect(main).toBe(`services/${service}/src/main.ts`);
    expect(existsSync(path.join(ROOT, main)), main).toBe(true);
    expect(finalStage.some((s) => s.op === "RUN" && s.args.includes("tini"))).toBe(true);
  });

  it("copies only paths that exist and that .dockerignore keeps in the build context", () => {
    const copies = steps.filter((s) => s.op === "COPY" && !s.args.startsWith("--from"));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const source = copy.args.split(/\s+/)[0]!;
      if (source === ".") continue;
      expect(existsSync(path.join(ROOT, source)), source).toBe(true);
      expect(dockerignore, source).not.toContain(source);
      expect(dockerignore, source).not.toContain(source.split("/")[0]);
    }
    expect(dockerignore).toEqual(expect.arrayContaining(["**/node_modules", "**/*.gguf", ".git"]));
  });

  it("exposes the ports the chart configures", () => {
    expect(finalStage.find((s) => s.op === "EXPOSE")?.args.split(/\s+/) ?? []).toEqual(ports);
    if (service === "evaluator") expect(String(values.evaluator.port)).toBe(ports[0]);
  });
});

describe("services/model/Dockerfile builds every catalog model", () => {
  const text = readFileSync(path.join(ROOT, "services/model/Dockerfile"), "utf8");
  const steps = instructions(path.join(ROOT, "services/model/Dockerfile"));
  const finalStage = steps.slice(steps.findLastIndex((s) => s.op === "FROM"));

  it("is the only model Dockerfile: the named services are thin entries without one", () => {
    const dockerfiles = readdirSync(path.join(ROOT, "services")).filter((d) => existsSync(path.join(ROOT, "services", d, "Dockerfile")));
    expect(dockerfiles.sort()).toEqual(["evaluator", "model"]);
    for (const name of ["qwen", "phi3"]) {
      expect(readFileSync(path.join(ROOT, "services", name, "src/main.ts"), "utf8")).toContain(`runModelService({ name: "${name}" })`);
    }
  });

  it("ARG MODEL picks the entry: MODEL_NAME in the image, checked against the catalog at build time, the catalog copied in", () => {
    expect(steps.find((s) => s.op === "ARG" && s.args.startsWith("MODEL="))?.args).toBe(`MODEL=${catalog.defaultModels[0]}`);
    expect(finalStage.some((s) => s.op === "ARG" && s.args === "MODEL")).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ${MODEL}, not a template
    expect(finalStage.find((s) => s.op === "ENV")?.args).toContain("MODEL_NAME=${MODEL}");
    expect(finalStage.some((s) => s.op === "COPY" && s.args === "models ./models")).toBe(true);
    expect(text).toMatch(/RUN MODEL_NAME=\$\{MODEL\} node --import tsx .*loadCatalog\(\)\.model\(process\.env\.MODEL_NAME\)/s);
    // Ports come from the catalog entry (or the chart), never fixed in the image.
    expect(finalStage.find((s) => s.op === "ENV")?.args).not.toMatch(/GRPC_PORT|METRICS_PORT/);
  });

  it("the chart's models agree with their catalog entries (ports, context) and name an image built from it", () => {
    for (const model of values.models) {
      const entry = catalog.model(model.name);
      expect([model.grpcPort, model.metricsPort], model.name).toEqual([entry.ports.grpc, entry.ports.metrics]);
      expect((model as { contextSize?: number }).contextSize, model.name).toBe(entry.contextSize);
      expect(model.image?.repository ?? `evalstack/${model.name}`).toBe(`evalstack/${model.name}`);
    }
  });
});

describe("services/evaluator/Dockerfile", () => {
  it("brings python3 for code checks and bubblewrap for the sandbox", () => {
    const runtime = readFileSync(path.join(ROOT, "services/evaluator/Dockerfile"), "utf8").split(/^FROM .* AS runtime$/m)[1]!;
    expect(runtime).toMatch(/apt-get install[^\n]*python3[^\n]*bubblewrap/);
  });

  it("bakes in the standard suites' data with the pinned fetcher, and points the evaluator at it", () => {
    const text = readFileSync(path.join(ROOT, "services/evaluator/Dockerfile"), "utf8");
    const suitesStage = text.split(/^FROM deps AS suites$/m)[1]?.split(/^FROM /m)[0] ?? "";
    expect(suitesStage).toContain("ensureAllSuiteData");
    // Built where the runtime stage puts it: the IFEval verifier's venv records its own path.
    expect(suitesStage).toContain("EVALSTACK_SUITE_CACHE_DIR=/app/suites node");
    const runtime = text.split(/^FROM .* AS runtime$/m)[1]!;
    expect(runtime).toContain("COPY --from=suites /app/suites ./suites");
    expect(runtime).toContain("EVALSTACK_SUITE_CACHE_DIR=/app/suites");
  });

  it("builds the IFEval and IFBench reference verifiers' environments beside the data, with python3-venv", () => {
    const text = readFileSync(path.join(ROOT, "services/evaluator/Dockerfile"), "utf8");
    const suitesStage = text.split(/^FROM deps AS suites$/m)[1]?.split(/^FROM /m)[0] ?? "";
    expect(suitesStage).toMatch(/apt-get install[^\n]*python3-venv/);
    expect(suitesStage).toContain("COPY services/evaluator/verifiers ./services/evaluator/verifiers");
    expect(suitesStage).toContain("RUN EVALSTACK_SUITE_CACHE_DIR=/app/suites bash services/evaluator/verifiers/ifeval/install.sh");
    expect(suitesStage).toContain("EVALSTACK_SUITE_CACHE_DIR=/app/suites bash services/evaluator/verifiers/ifbench/install.sh");
    // IFBench's spaCy wheels are pinned for CPython 3.11: the image's Python must be bookworm's.
    expect(text).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS node$/m);
    // The verifier script itself ships with the evaluator's sources.
    expect(text.split(/^FROM .* AS runtime$/m)[1]).toContain("COPY services/evaluator ./services/evaluator");
  });
});
