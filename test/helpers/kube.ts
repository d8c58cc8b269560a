// helm and kubectl against the test's control plane (@evalstack/kube-cluster): a namespace per case with
// Pod Security `restricted` enforced (and warned, so a violation shows in helm's output), its secrets, and
// its teardown (the namespace gone, its volumes recycled for the next case).
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { NODE_LEASE_NAMESPACE, recycleReleasedVolumes, toolPath, type KubeCluster } from "@evalstack/kube-cluster";
import { waitUntil } from "@evalstack/local-stack";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const CHART = path.join(ROOT, "k8s/charts/evalstack");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are walked dynamically
type Dynamic = any;
export type K8sObject = {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Dynamic;
  status?: Dynamic;
  [key: string]: Dynamic;
};

const helmHome = mkdtempSync(path.join(tmpdir(), "evalstack-helm-"));

export function helm(cluster: KubeCluster, args: string[]): Run {
  const r = spawnSync(toolPath("helm"), ["--kubeconfig", cluster.kubeconfig, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // helm's own cache and config stay out of the user's home.
    env: {
      ...process.env,
      HELM_CACHE_HOME: path.join(helmHome, "cache"),
      HELM_CONFIG_HOME: path.join(helmHome, "config"),
      HELM_DATA_HOME: path.join(helmHome, "data"),
    },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl that must succeed; returns stdout. */
export function kube(cluster: KubeCluster, args: string[], input?: string): string {
  const r = cluster.kubectl(args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export function getJson<T = K8sObject>(cluster: KubeCluster, args: string[]): T {
  return JSON.parse(kube(cluster, ["get", ...args, "-o", "json"])) as T;
}

export function items(cluster: KubeCluster, args: string[]): K8sObject[] {
  return getJson<{ items: K8sObject[] }>(cluster, args).items;
}

/** A namespace as a security-conscious platform team sets it up, with the secrets the chart's profiles read. */
export function createNamespace(cluster: KubeCluster, name: string): void {
  const ns = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    },
  };
  kube(cluster, ["create", "-f", "-"], JSON.stringify(ns));
  kube(cluster, ["-n", name, "create", "secret", "generic", "evalstack-api-keys", "--from-literal=api-keys=test-key"]);
  kube(cluster, [
    "-n",
    name,
    "create",
    "secret",
    "generic",
    "evalstack-database",
    "--from-literal=url=postgres://evalstack@db:5432/evalstack",
  ]);
}

/** Deletes the namespace, waits until it is gone, and makes the volumes its claims held Available again. */
export async function deleteNamespace(cluster: KubeCluster, name: string): Promise<void> {
  kube(cluster, ["delete", "namespace", name, "--wait=false", "--ignore-not-found"]);
  await waitUntil(() => cluster.kubectl(["get", "namespace", name]).status !== 0, {
    timeoutMs: 120_000,
    intervalMs: 500,
    what: `namespace ${name} to be deleted`,
  });
  await waitUntil(
    () => {
      recycleReleasedVolumes(cluster.kubectl);
      const bound = items(cluster, ["pv"]).filter((pv) => pv.spec.claimRef?.namespace === name);
      return bound.length === 0;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `the volumes of ${name} to be released` },
  );
}

export const releaseSelector = (release: string) => `app.kubernetes.io/instance=${release}`;

export function pods(cluster: KubeCluster, namespace: string, selector: string): K8sObject[] {
  return items(cluster, ["-n", namespace, "pods", "-l", selector]);
}

/** The value a container limit holds, as a number (extended resources are integers). */
export function limit(pod: K8sObject, resource: string): number {
  return pod.spec.containers.reduce((sum: number, c: K8sObject) => sum + Number(c.resources?.limits?.[resource] ?? 0), 0);
}

/** The ready addresses of a Service's EndpointSlices. */
export function endpointAddresses(cluster: KubeCluster, namespace: string, service: string): string[] {
  return items(cluster, ["-n", namespace, "endpointslices", "-l", `kubernetes.io/service-name=${service}`])
    .flatMap((slice) => slice.endpoints ?? [])
    .filter((e: K8sObject) => e.conditions?.ready)
    .flatMap((e: K8sObject) => e.addresses as string[])
    .sort();
}

/** Every object of the kinds the chart renders that carries the release's instance label. */
export function releaseObjects(cluster: KubeCluster, namespace: string, release: string): string[] {
  const kinds = [
    "deployments",
    "replicasets",
    "pods",
    "services",
    "endpointslices",
    "configmaps",
    "secrets",
    "serviceaccounts",
    "persistentvolumeclaims",
    "poddisruptionbudgets",
    "networkpolicies",
    "jobs",
    "horizontalpodautoscalers",
    "ingresses",
    "servicemonitors.monitoring.coreos.com",
    "scaledobjects.keda.sh",
    "httproutes.gateway.networking.k8s.io",
  ];
  return kube(cluster, ["-n", namespace, "get", kinds.join(","), "-l", releaseSelector(release), "-o", "name"])
    .split("\n")
    .filter(Boolean);
}

/**
 * What a failed wait leaves to read: the namespace's workloads, its pods' Ready conditions (`kubectl get pods`
 * shows the containers' readiness, not the condition the ReplicaSet counts), claims, recent events, volumes,
 * and the nodes' Ready conditions, leases and NotReady events.
 */
export function diagnose(cluster: KubeCluster, namespace: string): string {
  const get = (args: string[]) => {
    const r = cluster.kubectl(args);
    return (r.stdout + r.stderr).trim();
  };
  return [
    get(["-n", namespace, "get", "deployments,replicasets,pods,pvc,jobs", "-o", "wide"]),
    get([
      "-n",
      namespace,
      "get",
      "pods",
      "-o",
      'jsonpath={range .items[*]}{.metadata.name}: Ready={.status.conditions[?(@.type=="Ready")].status} since {.status.conditions[?(@.type=="Ready")].lastTransitionTime}{"\\n"}{end}',
    ]),
    get(["-n", namespace, "get", "events", "--sort-by=.lastTimestamp"]).split("\n").slice(-25).join("\n"),
    get(["get", "pv"]),
    get([
      "get",
      "nodes",
      "-o",
      'jsonpath={range .items[*]}{.metadata.name}: Ready={.status.conditions[?(@.type=="Ready")].status} taints={.spec.taints[*].key}{"\\n"}{end}',
    ]),
    get(["-n", NODE_LEASE_NAMESPACE, "get", "leases"]),
    get(["-n", "default", "get", "events", "--field-selector", "reason=NodeNotReady"]),
  ].join("\n\n");
}

/** The node-lifecycle controller's NodeNotReady events: a node whose heartbeat (its Lease) lapsed, and whose pods it marked unready. */
export function nodeNotReadyEvents(cluster: KubeCluster): string[] {
  return kube(cluster, [
    "-n",
    "default",
    "get",
    "events",
    "--field-selector",
    "reason=NodeNotReady",
    "-o",
    'jsonpath={range .items[*]}{.lastTimestamp} {.involvedObject.name}: {.message}{"\\n"}{end}',
  ])
    .split("\n")
    .filter(Boolean);
}
