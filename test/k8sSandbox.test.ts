// The chart's pod design for the code sandbox, from the rendered manifests: the evaluator container says
// EVALSTACK_SANDBOX_ISOLATION=namespaces and gets what bubblewrap needs (a Localhost seccomp profile that
// the chart ships and installs on every node from a DaemonSet in kube-system, its own user namespace) and
// nothing Pod Security restricted refuses (no Unconfined AppArmor, no unmasked /proc, non-root, no
// capabilities, no token). test/sandboxEvaluatorPod.test.ts runs the evaluator the way this pod does;
// test/k8sCluster.test.ts installs the defaults in a restricted namespace.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHART = path.join(ROOT, "k8s/charts/evalstack");
const HELM = path.join(process.env.EVALSTACK_TOOLS_DIR ?? path.join(homedir(), ".cache/evalstack/tools"), "bin/helm");
const PROFILE = JSON.parse(readFileSync(path.join(CHART, "files/sandbox-seccomp.json"), "utf8")) as {
  defaultAction: string;
  syscalls: { names: string[]; action: string }[];
};

type K8sObject = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are walked dynamically
  spec?: any;
  data?: Record<string, string>;
};

function render(args: string[]): K8sObject[] {
  const r = spawnSync(HELM, ["template", "evalstack", CHART, "--namespace", "evalstack", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const values = (profile: string) => ["--values", path.join(CHART, "ci", `${profile}-values.yaml`)];
const evaluatorOf = (objects: K8sObject[]) => objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-evaluator"))!;
const containerOf = (d: K8sObject) => d.spec.template.spec.containers.find((c: { name: string }) => c.name === "evaluator");

describe("the evaluator pod runs generated code with full isolation by default", () => {
  it.each(["gpu", "cpu", "serverless", "ha"])("%s: namespaces stated on the container, and the pod built for bubblewrap", (profile) => {
    const objects = render(values(profile));
    const deployment = evaluatorOf(objects);
    const pod = deployment.spec.template.spec;
    const container = containerOf(deployment);
    const env = container.env as { name: string; value?: string }[];
    expect(env.filter((e) => e.name === "EVALSTACK_SANDBOX_ISOLATION")).toEqual([
      { name: "EVALSTACK_SANDBOX_ISOLATION", value: "namespaces" },
    ]);
    // What bubblewrap needs, all of it admitted by Pod Security restricted
    expect(container.securityContext.seccompProfile).toEqual({ type: "Localhost", localhostProfile: "evalstack/sandbox-v1.json" });
    expect(pod.hostUsers).toBe(false);
    // ... and nothing restricted (or baseline) refuses: the runtime's AppArmor profile, the masked /proc
    expect(container.securityContext.appArmorProfile).toBeUndefined();
    expect(pod.securityContext.appArmorProfile).toBeUndefined();
    expect(container.securityContext.procMount).toBeUndefined();
    expect(JSON.stringify(deployment)).not.toMatch(/Unconfined|Unmasked/);
    expect(pod.volumes.some((v: { hostPath?: unknown }) => v.hostPath)).toBe(false);
    // Nothing of the release in its own namespace runs as root or mounts the host.
    for (const o of objects.filter((x) => x.metadata.namespace === "evalstack" && x.spec?.template?.spec)) {
      const spec = o.spec.template.spec;
      expect(spec.securityContext.runAsNonRoot, o.metadata.name).toBe(true);
      expect(spec.hostNetwork ?? spec.hostPID ?? spec.hostIPC, o.metadata.name).toBeUndefined();
      expect(spec.volumes?.some((v: { hostPath?: unknown }) => v.hostPath) ?? false, o.metadata.name).toBe(false);
    }
    // ... and nothing more
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(10001);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.securityContext.privileged).toBeUndefined();
    expect(container.securityContext.capabilities.add).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    // The API keys: a read-only file for the pod's group only (what the sandbox test mounts the same way).
    const keys = pod.volumes.find((v: { name: string }) => v.name === "api-keys");
    expect(keys.secret.defaultMode).toBe(0o440);
    expect(container.volumeMounts.find((m: { name: string }) => m.name === "api-keys")).toMatchObject({ readOnly: true });
  });

  it("installs the profile on every node: a DaemonSet in kube-system writing the chart's profile where the kubelet reads Localhost profiles", () => {
    const objects = render(values("gpu"));
    const daemonSet = objects.find((o) => o.kind === "DaemonSet")!;
    const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.endsWith("-sandbox-seccomp"))!;
    expect(JSON.parse(configMap.data!["sandbox-v1.json"]!)).toEqual(PROFILE);
    // Outside the release's namespace (only Pod Security privileged admits a root pod with a hostPath), and
    // named and selected per release and namespace: releases sharing kube-system never clash.
    for (const o of [daemonSet, configMap]) {
      expect(o.metadata.namespace, o.kind).toBe("kube-system");
      expect(o.metadata.name, o.kind).toBe("evalstack-evalstack-sandbox-seccomp");
      expect(o.metadata.labels?.["evalstack.io/release-namespace"], o.kind).toBe("evalstack");
    }
    expect(daemonSet.spec.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": "evalstack",
      "app.kubernetes.io/instance": "evalstack",
      "app.kubernetes.io/component": "sandbox-profile",
      "evalstack.io/release-namespace": "evalstack",
    });
    expect(objects.filter((o) => o.metadata.namespace !== "evalstack").map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ConfigMap/evalstack-evalstack-sandbox-seccomp",
      "DaemonSet/evalstack-evalstack-sandbox-seccomp",
    ]);
    const pod = daemonSet.spec.template.spec;
    expect(pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap).configMap.name).toBe(configMap.metadata.name);
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.automountServiceAccountToken).toBe(false);
    const hostPath = pod.volumes.find((v: { hostPath?: unknown }) => v.hostPath).hostPath;
    expect(hostPath).toEqual({ path: "/var/lib/kubelet/seccomp", type: "DirectoryOrCreate" });
    const container = pod.containers[0];
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    // <kubeletRoot>/seccomp + localhostProfile is the file the evaluator's securityContext names
    const mountedAt = container.volumeMounts.find((m: { name: string }) => m.name === "host-seccomp").mountPath;
    expect(container.args[0]).toContain(`mv ${mountedAt}/evalstack/.sandbox-v1.json.tmp ${mountedAt}/evalstack/sandbox-v1.json`);
    const evaluatorProfile = containerOf(evaluatorOf(objects)).securityContext.seccompProfile;
    expect(`${hostPath.path}/${evaluatorProfile.localhostProfile}`).toBe("/var/lib/kubelet/seccomp/evalstack/sandbox-v1.json");
    expect(daemonSet.spec.template.metadata.annotations["checksum/profile"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the profile opens the namespaces bubblewrap needs and keeps the rest of what RuntimeDefault refuses", () => {
    expect(PROFILE.defaultAction).toBe("SCMP_ACT_ALLOW");
    const denied = new Set(PROFILE.syscalls.filter((s) => s.action === "SCMP_ACT_ERRNO").flatMap((s) => s.names));
    for (const needed of [
      "clone",
      "clone3",
      "unshare",
      "mount",
      "umount2",
      "pivot_root",
      "sethostname",
      "prctl",
      "setrlimit",
      "prlimit64",
    ]) {
      expect(denied.has(needed), needed).toBe(false);
    }
    for (const refused of [
      "ptrace",
      "process_vm_readv",
      "process_vm_writev",
      "bpf",
      "kexec_load",
      "init_module",
      "finit_module",
      "setns",
      "keyctl",
      "add_key",
      "userfaultfd",
      "open_by_handle_at",
      "perf_event_open",
      "reboot",
      "swapon",
      "io_uring_setup",
      "mount_setattr",
      "move_mount",
    ]) {
      expect(denied.has(refused), refused).toBe(true);
    }
  });

  it("the installer's names stay unique and valid for two releases, long names, and another namespace", () => {
    const names = (release: string, namespace: string, args: string[] = []) => {
      const r = spawnSync(HELM, ["template", release, CHART, "--namespace", namespace, ...args], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return parseAllDocuments(r.stdout)
        .map((d) => d.toJS() as K8sObject | null)
        .filter((o): o is K8sObject => o?.kind === "DaemonSet")
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    };
    const a = names("evalstack", "team-a");
    const b = names("evalstack", "team-b");
    expect(a).toEqual(["kube-system/evalstack-team-a-sandbox-seccomp"]);
    expect(b).not.toEqual(a);
    const long = names("evalstack", "a-namespace-with-a-very-long-name-for-the-test-of-the-chart");
    const long2 = names("evalstack", "a-namespace-with-a-very-long-name-for-the-test-of-the-chart2");
    expect(long[0]!.split("/")[1]!.length).toBeLessThanOrEqual(63);
    expect(long[0]!.split("/")[1]).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long2).not.toEqual(long);
    expect(names("evalstack", "team-a", ["--set", "evaluator.sandbox.seccompProfile.installNamespace=node-setup"])).toEqual([
      "node-setup/evalstack-team-a-sandbox-seccomp",
    ]);
  });

  it("AppArmor: the runtime's default unless a profile is named; Localhost needs its name; Unconfined only when asked for", () => {
    const container = (args: string[]) => containerOf(evaluatorOf(render(["--set", "evaluator.auth.enabled=false", ...args])));
    expect(container([]).securityContext.appArmorProfile).toBeUndefined();
    expect(
      container([
        "--set",
        "evaluator.sandbox.appArmorProfile.type=Localhost",
        "--set",
        "evaluator.sandbox.appArmorProfile.localhostProfile=evalstack-sandbox",
      ]).securityContext.appArmorProfile,
    ).toEqual({ type: "Localhost", localhostProfile: "evalstack-sandbox" });
    expect(container(["--set", "evaluator.sandbox.appArmorProfile.type=Unconfined"]).securityContext.appArmorProfile).toEqual({
      type: "Unconfined",
    });
    const noName = spawnSync(HELM, ["template", "x", CHART, "--set", "evaluator.sandbox.appArmorProfile.type=Localhost"], {
      encoding: "utf8",
    });
    expect(noName.status).not.toBe(0);
    expect(noName.stderr).toContain("/evaluator/sandbox/appArmorProfile");
  });

  it("options: the profile installed elsewhere, no pod user namespace, a RuntimeClass", () => {
    const own = render(["--set", "evaluator.sandbox.seccompProfile.install=false", "--set", "evaluator.auth.enabled=false"]);
    expect(own.some((o) => o.kind === "DaemonSet")).toBe(false);
    expect(containerOf(evaluatorOf(own)).securityContext.seccompProfile.type).toBe("Localhost");
    const hostUsers = render(["--set", "evaluator.sandbox.userNamespace=false", "--set", "evaluator.auth.enabled=false"]);
    const d = evaluatorOf(hostUsers);
    expect(d.spec.template.spec.hostUsers).toBeUndefined();
    expect(containerOf(d).securityContext.procMount).toBeUndefined();
    const gvisor = render(["--set", "evaluator.sandbox.runtimeClassName=gvisor", "--set", "evaluator.auth.enabled=false"]);
    expect(evaluatorOf(gvisor).spec.template.spec.runtimeClassName).toBe("gvisor");
    // a bad profile path is refused by the schema, naming the field
    const bad = spawnSync(HELM, ["template", "x", CHART, "--set", "evaluator.sandbox.seccompProfile.localhostProfile=../../etc/x.json"], {
      encoding: "utf8",
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("/evaluator/sandbox/seccompProfile/localhostProfile");
  });
});

describe("the evaluator's NetworkPolicy is what the docs say", () => {
  it("egress only to the models' gRPC ports, DNS, and (ha) the database port; ingress only to its HTTP port", () => {
    const objects = render(values("ha"));
    const policy = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name.endsWith("-evaluator"))!;
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: "http", protocol: "TCP" }] }]);
    const egress = policy.spec.egress as { to?: unknown[]; ports: { port: number }[] }[];
    expect(egress).toHaveLength(3);
    expect(egress[0]!.to).toBeDefined(); // the model pods
    expect(egress[1]!.ports.map((p) => p.port)).toEqual([53, 53]);
    expect(egress[2]!.ports.map((p) => p.port)).toEqual([5432]);
  });
});
