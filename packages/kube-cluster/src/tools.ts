// Where the control plane's binaries are: scripts/ci/install-kube.sh builds them into
// ~/.cache/evalstack/tools/bin (EVALSTACK_TOOLS_DIR overrides), helm comes from install-helm.sh.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export const TOOLS_DIR = process.env.EVALSTACK_TOOLS_DIR ?? path.join(homedir(), ".cache/evalstack/tools");

export type KubeTool = "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kubectl" | "kwok" | "helm";

const INSTALLER: Record<KubeTool, string> = {
  etcd: "install-kube.sh",
  "kube-apiserver": "install-kube.sh",
  "kube-controller-manager": "install-kube.sh",
  "kube-scheduler": "install-kube.sh",
  kubectl: "install-kube.sh",
  kwok: "install-kube.sh",
  helm: "install-helm.sh",
};

/** The cached binary; throws naming the installer when it is missing. */
export function toolPath(name: KubeTool): string {
  const file = path.join(TOOLS_DIR, "bin", name);
  if (!existsSync(file)) throw new Error(`${name} not found at ${file}: run scripts/ci/${INSTALLER[name]}`);
  return file;
}

/** Files install-kube.sh puts beside the binaries: KWOK's stages and the CRDs the chart uses. */
export function toolFile(name: "kwok-stages.yaml" | "crds"): string {
  const file = path.join(TOOLS_DIR, name);
  if (!existsSync(file)) throw new Error(`${file} not found: run scripts/ci/install-kube.sh`);
  return file;
}

/** Whether every binary the cluster needs is there (tests use it for a clear failure, never to skip). */
export function missingTools(): string[] {
  const names: KubeTool[] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok"];
  return names.filter((name) => !existsSync(path.join(TOOLS_DIR, "bin", name)));
}
