#!/usr/bin/env bash
# Regenerates the committed kubeconform schemas under k8s/schemas/ from pinned, registry-served inputs:
#   - Kubernetes built-in kinds: the kubernetes-json-schema tree that the PyPI package kubernetes-validate
#     ships (v$K8S_VERSION-local-strict), fetched with `pip download` (nothing is installed);
#   - CRDs: the CustomResourceDefinition YAML inside the projects' Go modules, fetched with `go mod download`:
#     KEDA ScaledObject, Prometheus Operator ServiceMonitor, Gateway API HTTPRoute.
# Run from anywhere; idempotent; the inputs are cached under ~/.cache/evalstack/schema-inputs.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.34.0}"
KUBERNETES_VALIDATE_VERSION="1.37.0"
KEDA_MODULE="github.com/kedacore/keda/v2@v2.21.0"
PROMETHEUS_OPERATOR_MODULE="github.com/prometheus-operator/prometheus-operator@v0.85.0"
GATEWAY_API_MODULE="sigs.k8s.io/gateway-api@v1.6.3"

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/evalstack/schema-inputs"
mkdir -p "$CACHE"

GO="$(command -v go || echo /usr/local/go/bin/go)"
PYTHON="${PYTHON:-python3}"

tree="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
if [[ ! -d "$tree" ]]; then
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$CACHE/wheels" \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  "$PYTHON" -m zipfile -e "$CACHE/wheels/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl" "$tree.partial"
  mv "$tree.partial" "$tree"
fi
k8s_dir="$tree/kubernetes_validate/kubernetes-json-schema/v$K8S_VERSION-local-strict"
[[ -d "$k8s_dir" ]] || { echo "kubernetes-validate $KUBERNETES_VALIDATE_VERSION has no v$K8S_VERSION schemas" >&2; exit 1; }

module_dir() { "$GO" mod download -json "$1" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }
keda="$(module_dir "$KEDA_MODULE")"
promop="$(module_dir "$PROMETHEUS_OPERATOR_MODULE")"
gateway="$(module_dir "$GATEWAY_API_MODULE")"

cd "$ROOT"
npx --no tsx "$HERE/generate.ts" --k8s "$k8s_dir" --out "$HERE" \
  --crd "$keda/config/crd/bases/keda.sh_scaledobjects.yaml" \
  --crd "$promop/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
  --crd "$gateway/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
