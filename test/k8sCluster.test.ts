// The chart on a real Kubernetes API server: etcd, kube-apiserver (TLS, token auth, RBAC, Pod Security
// admission), kube-controller-manager and kube-scheduler built from their Go modules, with KWOK playing a
// GPU node (4 × nvidia.com/gpu, tainted) and a CPU node (@evalstack/kube-cluster). No container runs: KWOK
// marks pods Running and Job pods Succeeded, so what is proven is everything up to the kubelet: admission,
// validation, scheduling, GPU accounting, volume binding, endpoints, Jobs, helm's release lifecycle.
// One cluster for the file, a namespace per case. Binaries: scripts/ci/install-kube.sh (npm test's pretest).
import { readdirSync } from "node:fs";
import path from "node:path";
import {
  CPU_NODE,
  GPU_NODE,
  GPU_RESOURCE,
  GPUS_PER_NODE,
  NODE_LEASE_NAMESPACE,
  NODE_LEASE_SECONDS,
  missingTools,
  startCluster,
  type KubeCluster,
} from "@evalstack/kube-cluster";
import { waitUntil } from "@evalstack/local-stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHART,
  ROOT,
  createNamespace,
  deleteNamespace,
  diagnose,
  endpointAddresses,
  getJson,
  helm,
  items,
  kube,
  limit,
  nodeNotReadyEvents,
  pods,
  releaseObjects,
  releaseSelector,
  type K8sObject,
} from "./helpers/kube.js";

const PROFILES = ["default", "gpu", "cpu", "serverless", "ha"] as const;
type Profile = (typeof PROFILES)[number];
const profileArgs = (profile: Profile) => (profile === "default" ? [] : ["--values", path.join(CHART, "ci", `${profile}-values.yaml`)]);
const WAIT = ["--wait", "--timeout", "240s"];
// The sandbox's seccomp-profile installer (a root DaemonSet with a hostPath, which only Pod Security
// privileged admits) goes to kube-system, named after the release and its namespace; everything in the
// release's restricted namespace is admitted as it is, the defaults included: no case needs overrides.
const INSTALLER_NAMESPACE = "kube-system";
const installerSelector = (namespace: string) => `app.kubernetes.io/component=sandbox-profile,evalstack.io/release-namespace=${namespace}`;

let cluster: KubeCluster;
let caseNumber = 0;

beforeAll(async () => {
  const missing = missingTools();
  if (missing.length) throw new Error(`missing ${missing.join(", ")}: run scripts/ci/install-kube.sh (npm test's pretest does)`);
  cluster = await startCluster();
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
});

/** A fresh restricted namespace for one case, deleted (and its volumes recycled) afterwards. */
async function inNamespace<T>(fn: (namespace: string) => Promise<T> | T): Promise<T> {
  const namespace = `case-${++caseNumber}`;
  createNamespace(cluster, namespace);
  try {
    return await fn(namespace);
  } finally {
    await deleteNamespace(cluster, namespace);
    // A release whose namespace goes without helm uninstall leaves its installer in kube-system: not here.
    kube(cluster, ["-n", INSTALLER_NAMESPACE, "delete", "daemonsets,configmaps", "-l", installerSelector(namespace), "--wait=false"]);
  }
}

function install(namespace: string, release: string, args: string[]) {
  return withDiagnosis(namespace, helm(cluster, ["install", release, CHART, "--namespace", namespace, ...args]));
}

/** A failed helm command's stderr, followed by the namespace's state for the failure message. */
function withDiagnosis(namespace: string, r: { status: number | null; stdout: string; stderr: string }) {
  return r.status === 0 ? r : { ...r, stderr: `${r.stderr}\n--- namespace ${namespace}:\n${diagnose(cluster, namespace)}` };
}

function expectClean(r: { status: number | null; stdout: string; stderr: string }, what: string): void {
  // stderr carries the API server's warnings (Pod Security `warn`, deprecations): there must be none.
  expect(r.stderr, `${what}: stderr`).toBe("");
  expect(r.status, `${what}: ${r.stdout.slice(-500)}`).toBe(0);
}

/** The release's seccomp-profile installer: a DaemonSet in kube-system whose pods run on every node. */
function expectInstallerRunning(namespace: string, release: string): void {
  const daemonSets = items(cluster, ["-n", INSTALLER_NAMESPACE, "daemonsets", "-l", installerSelector(namespace)]);
  expect(daemonSets.map((d) => d.metadata.name)).toEqual([`${release}-${namespace}-sandbox-seccomp`]);
  const installers = pods(cluster, INSTALLER_NAMESPACE, installerSelector(namespace));
  expect(installers.map((p) => p.spec.nodeName).sort()).toEqual([CPU_NODE, GPU_NODE].sort());
  for (const pod of installers) expect(pod.status.phase, pod.metadata.name).toBe("Running");
  // None of it in the release's namespace.
  expect(items(cluster, ["-n", namespace, "daemonsets"])).toEqual([]);
}

function modelDeployments(namespace: string, release: string): K8sObject[] {
  return items(cluster, ["-n", namespace, "deployments", "-l", `${releaseSelector(release)},app.kubernetes.io/component=model`]);
}

describe.each(PROFILES)("profile %s", (profile) => {
  it("installs with --wait under Pod Security restricted: models on the GPU node holding GPUs, the evaluator on the CPU node, headless endpoints per pod, bound claims; uninstall leaves only the kept claims", async () => {
    await inNamespace(async (ns) => {
      const release = "evalstack";
      expectClean(install(ns, release, [...profileArgs(profile), ...WAIT]), `helm install (${profile})`);

      const deployments = modelDeployments(ns, release);
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(["evalstack-phi3", "evalstack-qwen"]);
      const gpu = profile !== "cpu";
      let gpusHeld = 0;
      for (const d of deployments) {
        const model = d.metadata.labels!["evalstack.io/model"]!;
        const modelPods = pods(cluster, ns, `${releaseSelector(release)},evalstack.io/model=${model}`);
        expect(modelPods.length, `${model} pods`).toBe(d.spec.replicas ?? 1);
        for (const pod of modelPods) {
          expect(pod.status.phase, `${pod.metadata.name} phase`).toBe("Running");
          expect(pod.spec.nodeName, `${pod.metadata.name} node`).toBe(gpu ? GPU_NODE : CPU_NODE);
          expect(limit(pod, GPU_RESOURCE), `${pod.metadata.name} GPUs`).toBe(gpu ? 1 : 0);
          gpusHeld += limit(pod, GPU_RESOURCE);
        }
        // Headless, with one ready endpoint per pod, at the pod's IP.
        const service = getJson(cluster, ["-n", ns, "service", d.metadata.name]);
        expect(service.spec.clusterIP).toBe("None");
        expect(endpointAddresses(cluster, ns, d.metadata.name)).toEqual(modelPods.map((p) => p.status.podIP as string).sort());
      }
      // What the scheduler accounted on the GPU node is what the model pods hold.
      const gpuPods = items(cluster, ["pods", "-A", "--field-selector", `spec.nodeName=${GPU_NODE}`]);
      expect(gpuPods.reduce((sum, p) => sum + limit(p, GPU_RESOURCE), 0)).toBe(gpusHeld);
      expect(gpusHeld).toBe(gpu ? (profile === "ha" ? 4 : 2) : 0);

      const evaluators = pods(cluster, ns, `${releaseSelector(release)},app.kubernetes.io/component=evaluator`);
      expect(evaluators.length).toBe(profile === "ha" ? 3 : 1);
      for (const pod of evaluators) {
        expect(pod.status.phase).toBe("Running");
        expect(pod.spec.nodeName).toBe(CPU_NODE);
      }

      expectInstallerRunning(ns, release);

      const claims = items(cluster, ["-n", ns, "pvc"]);
      expect(claims.length, "claims").toBe(profile === "ha" ? 2 : 3);
      for (const claim of claims) expect(claim.status.phase, `${claim.metadata.name}`).toBe("Bound");

      expectClean(helm(cluster, ["uninstall", release, "--namespace", ns, "--wait", "--timeout", "120s"]), "helm uninstall");
      expect(helm(cluster, ["list", "--namespace", ns, "--all", "--short"]).stdout.trim()).toBe("");
      // Only the claims that carry helm.sh/resource-policy: keep (the weights, the SQLite file) stay.
      await waitUntil(() => releaseObjects(cluster, ns, release).every((name) => name.startsWith("persistentvolumeclaim/")), {
        timeoutMs: 60_000,
        what: "the release's objects to be gone",
      });
      const kept = items(cluster, ["-n", ns, "pvc"]);
      expect(kept.map((c) => c.metadata.name).sort()).toEqual(claims.map((c) => c.metadata.name).sort());
      for (const claim of kept) expect(claim.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
      expect(items(cluster, ["-n", ns, "secrets", "-l", "owner=helm"])).toEqual([]);
      // helm uninstall removed the installer from kube-system too.
      expect(items(cluster, ["-n", INSTALLER_NAMESPACE, "daemonsets,configmaps", "-l", installerSelector(ns)])).toEqual([]);
    });
  }, 300_000);
});

it("the load-test Job's runner pods complete (KWOK's pod-complete stage) and helm waits for the Job", async () => {
  await inNamespace((ns) => {
    const r = install(ns, "evalstack", [
      ...profileArgs("cpu"),
      "--set",
      "loadTest.enabled=true",
      "--set",
      "loadTest.parallelism=3",
      ...WAIT,
      "--wait-for-jobs",
    ]);
    expectClean(r, "helm install with the load test");
    const job = getJson(cluster, ["-n", ns, "job", "evalstack-loadtest"]);
    expect(job.status.succeeded).toBe(3);
    expect(job.status.conditions.some((c: K8sObject) => c.type === "Complete" && c.status === "True")).toBe(true);
    const runners = pods(cluster, ns, "job-name=evalstack-loadtest");
    expect(runners.map((p) => p.status.phase)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
    for (const pod of runners) expect(pod.spec.nodeName).toBe(CPU_NODE);
    // The NOTES the release prints tell how to wait for it and pool the runners' summaries.
    expect(r.stdout).toContain("npx tsx loadtests/merge.ts runners.log");
  });
}, 300_000);

it("helm upgrade to a changed value rolls the model pods, and helm rollback restores the previous revision", async () => {
  await inNamespace((ns) => {
    const env = (name: string) =>
      getJson(cluster, ["-n", ns, "deployment", "evalstack-qwen"]).spec.template.spec.containers[0].env.find(
        (e: K8sObject) => e.name === name,
      )?.value;
    expectClean(install(ns, "evalstack", WAIT), "helm install");
    expect(env("MODEL_SLOTS")).toBe("2");
    const before = pods(cluster, ns, "evalstack.io/model=qwen").map((p) => p.metadata.name);

    expectClean(
      helm(cluster, ["upgrade", "evalstack", CHART, "--namespace", ns, "--reuse-values", "--set", "modelDefaults.slots=4", ...WAIT]),
      "helm upgrade",
    );
    expect(env("MODEL_SLOTS")).toBe("4");
    const after = pods(cluster, ns, "evalstack.io/model=qwen");
    expect(after.length).toBe(1);
    expect(before).not.toContain(after[0]!.metadata.name);
    expect(after[0]!.status.phase).toBe("Running");

    expectClean(helm(cluster, ["rollback", "evalstack", "1", "--namespace", ns, ...WAIT]), "helm rollback");
    expect(env("MODEL_SLOTS")).toBe("2");
    const history = JSON.parse(helm(cluster, ["history", "evalstack", "--namespace", ns, "-o", "json"]).stdout) as Array<{
      revision: number;
      status: string;
      description: string;
    }>;
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, "superseded"],
      [2, "superseded"],
      [3, "deployed"],
    ]);
    expect(history[2]!.description).toBe("Rollback to 1");
  });
}, 300_000);

describe("mistakes that render offline but fail on a cluster are refused by the chart, naming the value", () => {
  it("a label value with a space: the schema refuses it (the API server would refuse the Deployment)", async () => {
    await inNamespace((ns) => {
      const bad = ["--set", "modelDefaults.podLabels.team=ml team"];
      const r = install(ns, "evalstack", bad);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("at '/modelDefaults/podLabels/team': 'ml team' does not match pattern");
      expect(helm(cluster, ["list", "--namespace", ns, "--all", "--short"]).stdout.trim()).toBe("");
      // The same value past the schema: what the server says.
      const rendered = helm(cluster, ["template", "evalstack", CHART, "--namespace", ns, "--skip-schema-validation", ...bad]);
      expect(rendered.status).toBe(0);
      const server = cluster.kubectl(["apply", "--server-side", "--dry-run=server", "-n", ns, "-f", "-"], rendered.stdout);
      expect(server.status).not.toBe(0);
      expect(server.stderr).toMatch(/Deployment\.apps "evalstack-qwen" is invalid: .*Invalid value: "ml team"/);
    });
  });

  it("a priorityClassName no PriorityClass has: refused at install; installs once the class exists", async () => {
    await inNamespace(async (ns) => {
      const set = ["--set", "modelDefaults.priorityClassName=gpu-inference"];
      const r = install(ns, "evalstack", set);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('models[0].priorityClassName: no PriorityClass "gpu-inference" in this cluster');
      // helm template has no cluster to ask: the check stays out of the way.
      expect(helm(cluster, ["template", "evalstack", CHART, "--namespace", ns, ...set]).status).toBe(0);
      // With the check off, the server accepts the Deployment and refuses every pod: the error the check spares.
      expect(install(ns, "unchecked", [...set, "--set", "clusterChecks.enabled=false", "--set", "evaluator.enabled=false"]).status).toBe(0);
      const refusal = await waitUntil(
        () =>
          items(cluster, ["-n", ns, "replicasets", "-l", releaseSelector("unchecked")])
            .flatMap((rs) => rs.status.conditions ?? [])
            .find((c: K8sObject) => c.type === "ReplicaFailure")?.message as string | undefined,
        { timeoutMs: 60_000, what: "the ReplicaSet's ReplicaFailure condition" },
      );
      expect(refusal).toContain("no PriorityClass with name gpu-inference was found");
      expect(helm(cluster, ["uninstall", "unchecked", "--namespace", ns, "--wait"]).status).toBe(0);

      kube(cluster, ["create", "priorityclass", "gpu-inference", "--value=100000", "--description=evalstack test"]);
      try {
        expectClean(install(ns, "evalstack", [...set, ...WAIT]), "helm install with the class");
        for (const pod of pods(cluster, ns, "app.kubernetes.io/component=model,app.kubernetes.io/instance=evalstack"))
          expect(pod.spec.priority).toBe(100000);
      } finally {
        kube(cluster, ["delete", "priorityclass", "gpu-inference"]);
      }
    });
  }, 300_000);

  it("a runtimeClassName no RuntimeClass has (the README's `nvidia`): refused at install; installs once it exists", async () => {
    await inNamespace((ns) => {
      const set = ["--set", "modelDefaults.runtimeClassName=nvidia"];
      const r = install(ns, "evalstack", set);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('models[0].runtimeClassName: no RuntimeClass "nvidia" in this cluster');
      kube(
        cluster,
        ["apply", "-f", "-"],
        JSON.stringify({ apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name: "nvidia" }, handler: "nvidia" }),
      );
      try {
        expectClean(install(ns, "evalstack", [...set, ...WAIT]), "helm install with the class");
        for (const pod of pods(cluster, ns, "app.kubernetes.io/component=model")) expect(pod.spec.runtimeClassName).toBe("nvidia");
      } finally {
        kube(cluster, ["delete", "runtimeclass", "nvidia"]);
      }
    });
  }, 300_000);

  it("more GPUs per pod than any node has, and a MIG resource no node offers: refused at install", async () => {
    await inNamespace((ns) => {
      const tooMany = install(ns, "evalstack", ["--set", `modelDefaults.gpu.count=${GPUS_PER_NODE * 2}`]);
      expect(tooMany.status).not.toBe(0);
      expect(tooMany.stderr).toContain(
        `models[0].gpu.count: ${GPUS_PER_NODE * 2} nvidia.com/gpu per pod, but no node has more than ${GPUS_PER_NODE}`,
      );
      const mig = install(ns, "evalstack", ["--set", "modelDefaults.gpu.resourceName=nvidia.com/mig-3g.40gb"]);
      expect(mig.status).not.toBe(0);
      expect(mig.stderr).toContain(
        "models[0].gpu.resourceName: no node offers nvidia.com/mig-3g.40gb (GPU resources the nodes offer: nvidia.com/gpu)",
      );
      expect(helm(cluster, ["list", "--namespace", ns, "--all", "--short"]).stdout.trim()).toBe("");
    });
  });
});

it("GPU exhaustion: a second release finds every GPU taken, its model pods stay Pending with the scheduler's reason, and run once GPUs are freed", async () => {
  await inNamespace(async (first) => {
    // Two GPUs per model: the first release holds all four.
    expectClean(
      install(first, "first", ["--set", "modelDefaults.gpu.count=2", "--set", "evaluator.enabled=false", ...WAIT]),
      "first release",
    );
    await inNamespace(async (second) => {
      const r = install(second, "second", ["--set", "evaluator.enabled=false"]);
      expectClean(r, "second release (no --wait)");
      // NOTES.txt tells how to read a Pending model pod.
      expect(r.stdout).toContain("FailedScheduling");
      const reasons = await waitUntil(
        () => {
          const pending = pods(cluster, second, "app.kubernetes.io/component=model");
          const scheduled = pending.map((p) => (p.status.conditions ?? []).find((c: K8sObject) => c.type === "PodScheduled"));
          // The first attempt may find the claims not bound yet ("unbound immediate PersistentVolumeClaims"); the
          // scheduler retries once they are, and then it is the GPUs.
          const gpuBound = (c: K8sObject | undefined) =>
            c?.status === "False" && c.reason === "Unschedulable" && /Insufficient nvidia\.com\/gpu/.test(c.message);
          return pending.length === 2 && scheduled.every(gpuBound) ? scheduled.map((c) => c.message as string) : undefined;
        },
        { timeoutMs: 90_000, what: "both model pods to be Unschedulable for want of GPUs" },
      );
      for (const message of reasons) expect(message).toMatch(/^0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
      const events = kube(cluster, [
        "-n",
        second,
        "get",
        "events",
        "--field-selector",
        "reason=FailedScheduling",
        "-o",
        "jsonpath={.items[*].message}",
      ]);
      expect(events).toContain("Insufficient nvidia.com/gpu");

      expect(helm(cluster, ["uninstall", "first", "--namespace", first, "--wait"]).status).toBe(0);
      await waitUntil(
        () => {
          const running = pods(cluster, second, "app.kubernetes.io/component=model");
          return running.length === 2 && running.every((p) => p.status.phase === "Running" && p.spec.nodeName === GPU_NODE);
        },
        { timeoutMs: 120_000, what: "the second release's model pods to run once the GPUs are free" },
      );
    });
  });
}, 300_000);

it("the chart's defaults under Pod Security restricted: admitted with no warning, the sandbox's evaluator pod running, its seccomp installer running in kube-system", async () => {
  await inNamespace((ns) => {
    // No --set, no values file: what `helm install` gives a restricted namespace.
    const r = withDiagnosis(ns, helm(cluster, ["install", "evalstack", CHART, "--namespace", ns, ...WAIT]));
    // The namespace warns (pod-security.kubernetes.io/warn: restricted): any violation would be on stderr.
    expectClean(r, "helm install (defaults)");
    const evaluator = pods(cluster, ns, `${releaseSelector("evalstack")},app.kubernetes.io/component=evaluator`);
    expect(evaluator.length).toBe(1);
    const pod = evaluator[0]!;
    expect(pod.status.phase).toBe("Running");
    // The sandbox's pod design, as the API server stored it (admitted by enforce=restricted).
    expect(pod.spec.hostUsers).toBe(false);
    const container = pod.spec.containers.find((c: K8sObject) => c.name === "evaluator");
    expect(container.securityContext.seccompProfile).toEqual({ type: "Localhost", localhostProfile: "evalstack/sandbox-v1.json" });
    expect(container.securityContext.appArmorProfile).toBeUndefined();
    expect(container.securityContext.procMount ?? "Default").toBe("Default");
    expect(container.env.find((e: K8sObject) => e.name === "EVALSTACK_SANDBOX_ISOLATION")?.value).toBe("namespaces");
    expectInstallerRunning(ns, "evalstack");
    // The installer's pods: root and a hostPath, which is why they are not in the restricted namespace.
    const installer = pods(cluster, INSTALLER_NAMESPACE, installerSelector(ns))[0]!;
    expect(installer.spec.securityContext.runAsUser).toBe(0);
    expect(installer.spec.volumes.find((v: K8sObject) => v.hostPath)?.hostPath.path).toBe("/var/lib/kubelet/seccomp");
    // Unconfined AppArmor stays possible, as an explicit opt-in that restricted (and baseline) refuses.
    const unconfined = helm(cluster, [
      "upgrade",
      "evalstack",
      CHART,
      "--namespace",
      ns,
      "--reuse-values",
      "--set",
      "evaluator.sandbox.appArmorProfile.type=Unconfined",
    ]);
    expect(unconfined.stderr.replaceAll('\\"', '"')).toContain('must not set AppArmor profile type to "Unconfined"');
  });
}, 300_000);

it("the committed plain manifests (k8s/manifests/<profile>/, and its kube-system/ folder) apply unchanged with kubectl apply --server-side (dry-run=server) in a restricted namespace, no warnings", async () => {
  // The manifests name their namespace (evalstack): a restricted one of that name, as createNamespace sets them up.
  const namespace = "evalstack";
  createNamespace(cluster, namespace);
  try {
    const dirs = readdirSync(path.join(ROOT, "k8s/manifests")).sort();
    expect(dirs).toEqual(["cpu", "gpu", "ha", "serverless"]);
    const apply = (args: string[]) => cluster.kubectl(["apply", "--server-side", "--dry-run=server", ...args]);
    for (const dir of dirs) {
      // The installer first, where it goes (its objects name their namespace): as README's "Install with kubectl".
      const installer = apply(["-f", path.join(ROOT, "k8s/manifests", dir, INSTALLER_NAMESPACE)]);
      expect(installer.stderr, `${dir}/${INSTALLER_NAMESPACE}: stderr`).toBe("");
      expect(installer.status, `${dir}/${INSTALLER_NAMESPACE}`).toBe(0);
      expect(installer.stdout).toMatch(/daemonset\.apps\/evalstack-evalstack-sandbox-seccomp serverside-applied \(server dry run\)/);
      // The rest in the release's namespace (kubectl does not descend into the kube-system/ folder).
      const r = apply(["-n", namespace, "-f", path.join(ROOT, "k8s/manifests", dir)]);
      expect(r.stderr, `${dir}: stderr`).toBe("");
      expect(r.status, dir).toBe(0);
      expect(r.stdout).toMatch(/deployment\.apps\/evalstack-qwen serverside-applied \(server dry run\)/);
      expect(r.stdout).not.toContain("daemonset");
    }
  } finally {
    await deleteNamespace(cluster, namespace);
  }
}, 300_000);

// Last, so that it sees the whole file's run (minutes, well past the node-lifecycle controller's 50 s grace):
// a node whose heartbeat lapses is marked NotReady and so is every pod on it, which KWOK never readies again,
// and a helm --wait on those pods times out (packages/kube-cluster/src/cluster.ts, KWOK's flags).
it("the fake nodes stayed Ready throughout: KWOK renewed their leases, and no node (nor its pods) was ever marked NotReady", () => {
  const leases = items(cluster, ["-n", NODE_LEASE_NAMESPACE, "leases"]);
  expect(leases.map((l) => l.metadata.name).sort()).toEqual([CPU_NODE, GPU_NODE].sort());
  for (const lease of leases) {
    expect(lease.spec.leaseDurationSeconds, lease.metadata.name).toBe(NODE_LEASE_SECONDS);
    expect(Date.now() - Date.parse(lease.spec.renewTime), `${lease.metadata.name} renewed within its duration`).toBeLessThan(
      NODE_LEASE_SECONDS * 1000,
    );
  }
  expect(nodeNotReadyEvents(cluster)).toEqual([]);
});
