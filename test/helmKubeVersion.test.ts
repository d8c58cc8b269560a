// The helm that scripts/ci/install-helm.sh builds carries the Kubernetes version stamp helm's own Makefile
// sets (from the k8s.io/client-go it is built with), so `helm template` and `helm lint` work without
// --kube-version: an unstamped build assumes v1.20 and fails the chart's `kubeVersion: >=1.29`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "..");
const CHART = path.join(ROOT, "k8s/charts/evalstack");
const HELM = path.join(process.env.EVALSTACK_TOOLS_DIR ?? path.join(homedir(), ".cache/evalstack/tools"), "bin/helm");

function helm(args: string[]) {
  if (!existsSync(HELM)) throw new Error(`${HELM} not found: run scripts/ci/install-helm.sh`);
  const r = spawnSync(HELM, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

describe("helm without --kube-version", () => {
  it("assumes the Kubernetes version of the client-go it was built with, not v1.20", () => {
    // .Capabilities.KubeVersion is what the chart's kubeVersion constraint is checked against.
    const r = helm([
      "template",
      "probe",
      CHART,
      "--namespace",
      "evalstack",
      "--show-only",
      "templates/evaluator-service.yaml",
      "--set",
      "evaluator.auth.enabled=false",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const docs = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as { kind: string } | null)
      .filter(Boolean);
    expect(docs.map((d) => d!.kind)).toEqual(["Service"]);
  });

  it("helm template renders the whole chart for every ci/ profile", () => {
    for (const profile of ["gpu", "cpu", "serverless", "ha"]) {
      const r = helm([
        "template",
        "evalstack",
        CHART,
        "--namespace",
        "evalstack",
        "--values",
        path.join(CHART, "ci", `${profile}-values.yaml`),
      ]);
      expect(r.stderr, profile).toBe("");
      expect(r.status, profile).toBe(0);
      expect(r.stdout, profile).toContain("kind: Deployment");
    }
  });

  it("helm lint --strict passes, and a values mistake still fails it (the lint is not vacuous)", () => {
    const ok = helm(["lint", "--strict", CHART, "--values", path.join(CHART, "ci", "cpu-values.yaml")]);
    expect(ok.stdout + ok.stderr).not.toContain("incompatible with Kubernetes");
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const bad = helm(["lint", "--strict", CHART, "--set", "evaluator.replicas=2"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain("postgres");
  });

  it("helm version names the pinned version", () => {
    const r = helm(["version", "--short"]);
    expect(r.stdout).toMatch(/^v3\.\d+\.\d+/);
  });
});
