// What a GPU cluster has before the chart arrives: a GPU node and a CPU node (fake, played by KWOK), a
// default StorageClass with static PersistentVolumes to bind, and the CRDs the chart's optional
// resources use (KEDA ScaledObject, Prometheus Operator ServiceMonitor, Gateway API HTTPRoute).
import { readdirSync } from "node:fs";
import path from "node:path";
import { toolFile } from "./tools.js";

export type Kubectl = (args: string[], input?: string) => { status: number | null; stdout: string; stderr: string };

export const GPU_NODE = "gpu-node-1";
export const CPU_NODE = "cpu-node-1";
export const GPU_RESOURCE = "nvidia.com/gpu";
export const GPUS_PER_NODE = 4;
export const GPU_PRODUCT = "NVIDIA-L4";
export const STORAGE_CLASS = "standard";
/** Static volumes: enough for the largest case (two releases of three claims each) with room to spare. */
export const VOLUME_COUNT = 16;
/** The Lease KWOK holds and renews for each node (a kubelet's default): the nodes' heartbeat. */
export const NODE_LEASE_SECONDS = 40;
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

function node(name: string, labels: Record<string, string>, allocatable: Record<string, string>, taints: object[]): object {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      // KWOK manages nodes carrying this annotation (--manage-nodes-with-annotation-selector).
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok", ...labels },
    },
    spec: { taints },
    // KWOK's node-initialize stage adds the conditions, addresses and nodeInfo a kubelet would report.
    status: { allocatable, capacity: allocatable },
  };
}

export function fixtureObjects(): object[] {
  const volumes = Array.from({ length: VOLUME_COUNT }, (_, i) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `pv-${String(i + 1).padStart(2, "0")}`, labels: { "evalstack.io/fixture": "volume" } },
    spec: {
      capacity: { storage: "50Gi" },
      // Both modes, so one pool serves the ReadWriteOnce (gpu, cpu) and ReadWriteMany (ha, serverless) claims.
      accessModes: ["ReadWriteOnce", "ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: STORAGE_CLASS,
      // Never mounted: no kubelet runs.
      hostPath: { path: `/var/lib/evalstack-kwok/pv-${i + 1}`, type: "DirectoryOrCreate" },
    },
  }));
  return [
    node(
      GPU_NODE,
      { "nvidia.com/gpu.present": "true", "nvidia.com/gpu.product": GPU_PRODUCT, "nvidia.com/gpu.count": String(GPUS_PER_NODE) },
      { cpu: "48", memory: "192Gi", pods: "110", "ephemeral-storage": "500Gi", [GPU_RESOURCE]: String(GPUS_PER_NODE) },
      // What the NVIDIA GPU Operator / cloud GPU node pools put on GPU nodes; the chart's model pods tolerate it.
      [{ key: GPU_RESOURCE, value: "present", effect: "NoSchedule" }],
    ),
    node(CPU_NODE, {}, { cpu: "16", memory: "64Gi", pods: "110", "ephemeral-storage": "200Gi" }, []),
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "kubernetes.io/no-provisioner",
      // Immediate: claims bind to a static volume as soon as they exist (no provisioner, no consumer needed).
      volumeBindingMode: "Immediate",
      reclaimPolicy: "Retain",
    },
    ...volumes,
  ];
}

function must(r: ReturnType<Kubectl>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export async function applyFixtures(kubectl: Kubectl, log: (line: string) => void): Promise<void> {
  const crdDir = toolFile("crds");
  const crds = readdirSync(crdDir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => path.join(crdDir, f));
  // Server-side: these CRDs exceed the client-side last-applied annotation's size limit.
  must(kubectl(["apply", "--server-side", ...crds.flatMap((f) => ["-f", f])]), "installing the CRDs");
  // Polled rather than `kubectl wait`, which fails on an object whose status has no conditions yet.
  const established = (name: string) =>
    kubectl(["get", "crd", name, "-o", 'jsonpath={.status.conditions[?(@.type=="Established")].status}']).stdout.trim() === "True";
  for (const name of ["scaledobjects.keda.sh", "servicemonitors.monitoring.coreos.com", "httproutes.gateway.networking.k8s.io"]) {
    await waitFor(() => established(name), `CRD ${name} to be established`);
  }
  log(`CRDs established: ${crds.map((f) => path.basename(f)).join(", ")}`);
  // Client-side apply creates the nodes with their status (capacity, allocatable) as a kubelet registers
  // them; server-side apply would drop status, which the node strategy resets.
  must(
    kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: fixtureObjects() })),
    "creating the nodes, StorageClass and volumes",
  );
  const ready = (name: string) =>
    kubectl(["get", "node", name, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).stdout.trim() === "True";
  await waitFor(() => ready(GPU_NODE) && ready(CPU_NODE), "the KWOK nodes to be Ready");
  // Without its lease renewed a node goes NotReady within a minute, and its pods with it (cluster.ts, kwok).
  const leaseHeld = (name: string) =>
    kubectl(["-n", NODE_LEASE_NAMESPACE, "get", "lease", name, "-o", "jsonpath={.spec.renewTime}"]).stdout.trim() !== "";
  await waitFor(() => leaseHeld(GPU_NODE) && leaseHeld(CPU_NODE), `KWOK to hold the nodes' leases in ${NODE_LEASE_NAMESPACE}`);
  // The node lifecycle controller lifts the not-ready taint once the node is Ready; schedule only after.
  await waitFor(() => {
    const taints = must(kubectl(["get", "nodes", "-o", "jsonpath={.items[*].spec.taints[*].key}"]), "reading node taints");
    return !taints.includes("node.kubernetes.io/not-ready");
  }, "the not-ready taints to be lifted");
  log(
    `nodes Ready, leases held: ${GPU_NODE} (${GPUS_PER_NODE} × ${GPU_RESOURCE}, ${GPU_PRODUCT}, tainted ${GPU_RESOURCE}:NoSchedule), ${CPU_NODE}; StorageClass ${STORAGE_CLASS} (default) with ${VOLUME_COUNT} volumes`,
  );
}

/**
 * Makes Released volumes Available again (the Recycle a real provisioner would do): the test deletes a
 * namespace, its claims go, and their Retain volumes keep a claimRef to a claim that no longer exists.
 */
export function recycleReleasedVolumes(kubectl: Kubectl): number {
  const out = must(
    kubectl([
      "get",
      "pv",
      "-l",
      "evalstack.io/fixture=volume",
      "-o",
      'jsonpath={range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\\n"}{end}',
    ]),
    "listing volumes",
  );
  const released = out.split("\n").filter(Boolean);
  for (const name of released) {
    must(kubectl(["patch", "pv", name, "--type=json", "-p", '[{"op":"remove","path":"/spec/claimRef"}]']), `recycling ${name}`);
  }
  return released.length;
}

async function waitFor(probe: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
