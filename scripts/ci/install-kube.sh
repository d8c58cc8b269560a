#!/usr/bin/env bash
# Builds a local Kubernetes control plane from pinned Go modules into ~/.cache/evalstack/tools/bin:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok (fake nodes).
# test/k8sCluster.test.ts installs the chart on it. Idempotent: each binary has a version stamp and a
# second run with the same pins returns at once. No release binaries are reachable from CI, so the first
# run compiles everything (6-7 min on a quiet 2-core machine from empty Go caches, about an hour on a heavily shared one: k8s/README.md);
# Go's build cache makes a rebuild after a pin change take minutes.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
# The staging modules (k8s.io/api, client-go, ...) are published as v0.<minor>.<patch> of the same release.
KUBE_STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
TOOLS_DIR="${EVALSTACK_TOOLS_DIR:-$HOME/.cache/evalstack/tools}"
BIN_DIR="$TOOLS_DIR/bin"
BUILD_DIR="$TOOLS_DIR/build"
# Compile parallelism: the generated OpenAPI and API packages need a few GiB each; 2 keeps a
# shared 2-core machine responsive. Override with KUBE_BUILD_PARALLEL.
PARALLEL="${KUBE_BUILD_PARALLEL:-2}"

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" ]]; then
  echo "install-kube: the go toolchain is required (not found on PATH or at /usr/local/go/bin/go)" >&2
  exit 1
fi
export GOWORK=off CGO_ENABLED=0
mkdir -p "$BIN_DIR" "$BUILD_DIR"

stamp_ok() { # name version binaries...
  local name="$1" version="$2"
  shift 2
  [[ -f "$TOOLS_DIR/$name.version" && "$(cat "$TOOLS_DIR/$name.version")" == "$version" ]] || return 1
  for bin in "$@"; do [[ -x "$BIN_DIR/$bin" ]] || return 1; done
}

elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

# --- etcd: `go install go.etcd.io/etcd/v3@...` fails on the root module's relative replaces, so a
# two-line wrapper module requires the server module and calls its main.
if stamp_ok etcd "$ETCD_VERSION" etcd; then
  echo "etcd $ETCD_VERSION: cached at $BIN_DIR/etcd"
else
  start=$(date +%s)
  echo "etcd $ETCD_VERSION: building with $("$GO" version)"
  dir="$BUILD_DIR/etcd-$ETCD_VERSION"
  rm -rf "$dir" && mkdir -p "$dir"
  cat > "$dir/main.go" <<'EOF'
// Command etcd is etcd's own main, built from the published server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (
    cd "$dir"
    "$GO" mod init evalstack.local/etcd >/dev/null 2>&1
    "$GO" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
    "$GO" mod tidy >/dev/null
    nice -n 10 "$GO" build -p "$PARALLEL" -trimpath -ldflags "-s -w" -o "$BIN_DIR/etcd" .
  )
  echo "$ETCD_VERSION" > "$TOOLS_DIR/etcd.version"
  rm -rf "$dir"
  echo "etcd $ETCD_VERSION: built in $(elapsed "$start")"
fi

# --- Kubernetes: the k8s.io/kubernetes module zip lacks staging/, which its go.mod replaces the
# staging modules with; point each at its published version instead and build the commands.
KUBE_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
if stamp_ok kubernetes "$KUBE_VERSION" "${KUBE_BINS[@]}"; then
  echo "kubernetes $KUBE_VERSION: cached at $BIN_DIR (${KUBE_BINS[*]})"
else
  start=$(date +%s)
  echo "kubernetes $KUBE_VERSION: building ${KUBE_BINS[*]} with $("$GO" version) (15-25 min the first time)"
  src="$("$GO" mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$src" ]] || { echo "install-kube: go mod download k8s.io/kubernetes@$KUBE_VERSION gave no directory" >&2; exit 1; }
  dir="$BUILD_DIR/kubernetes-$KUBE_VERSION"
  rm -rf "$dir"
  cp -r "$src" "$dir"
  chmod -R u+w "$dir"
  rm -f "$dir/go.work" "$dir/go.work.sum"
  (
    cd "$dir"
    # Every `replace k8s.io/x => ./staging/src/k8s.io/x` becomes `=> k8s.io/x v0.34.N`.
    for mod in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' go.mod); do
      "$GO" mod edit -replace "$mod=$mod@$KUBE_STAGING_VERSION"
    done
    # Stamp the version like hack/lib/version.sh does; unstamped servers report v0.0.0 and the chart's
    # kubeVersion constraint refuses them.
    minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    cmds=()
    for bin in "${KUBE_BINS[@]}"; do cmds+=("./cmd/$bin"); done
    nice -n 10 "$GO" build -mod=mod -p "$PARALLEL" -trimpath -ldflags "$ldflags" -o "$BIN_DIR/" "${cmds[@]}"
  )
  echo "$KUBE_VERSION" > "$TOOLS_DIR/kubernetes.version"
  rm -rf "$dir"
  echo "kubernetes $KUBE_VERSION: built in $(elapsed "$start")"
fi
"$BIN_DIR/kube-apiserver" --version

# --- KWOK: fake kubelets that report nodes Ready and take pods through their lifecycle. The kwok binary
# has no stages built in (kwokctl adds them), so the pinned module's own default stages are copied beside
# it: node initialize and heartbeat (with leases), pod ready, pod complete (Job pods), pod delete. The
# heartbeat stage expects KWOK to renew each node's Lease, which the kwok binary does only when given
# --node-lease-duration-seconds (packages/kube-cluster/src/cluster.ts passes it).
KWOK_STAGES="$TOOLS_DIR/kwok-stages.yaml"
if stamp_ok kwok "$KWOK_VERSION" kwok && [[ -f "$KWOK_STAGES" ]]; then
  echo "kwok $KWOK_VERSION: cached at $BIN_DIR/kwok"
else
  start=$(date +%s)
  echo "kwok $KWOK_VERSION: building with $("$GO" version)"
  GOBIN="$BIN_DIR" nice -n 10 "$GO" install -p "$PARALLEL" -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  kwok_src="$("$GO" mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  stage_dir="$kwok_src/kustomize/stage"
  for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"
    cat "$stage_dir/$stage.yaml"
  done > "$KWOK_STAGES.partial"
  mv "$KWOK_STAGES.partial" "$KWOK_STAGES"
  echo "$KWOK_VERSION" > "$TOOLS_DIR/kwok.version"
  echo "kwok $KWOK_VERSION: built in $(elapsed "$start")"
fi

# --- The CRDs the chart's optional resources need (ScaledObject, ServiceMonitor, HTTPRoute), from the
# same pinned Go modules k8s/schemas/regenerate.sh converts into kubeconform schemas.
CRD_DIR="$TOOLS_DIR/crds"
eval "$(grep -E '^(KEDA|PROMETHEUS_OPERATOR|GATEWAY_API)_MODULE=' "$(dirname "$0")/../../k8s/schemas/regenerate.sh")"
CRD_PINS="$KEDA_MODULE $PROMETHEUS_OPERATOR_MODULE $GATEWAY_API_MODULE"
if [[ -f "$TOOLS_DIR/crds.version" && "$(cat "$TOOLS_DIR/crds.version")" == "$CRD_PINS" ]]; then
  echo "CRDs: cached in $CRD_DIR"
else
  module_dir() { "$GO" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
  rm -rf "$CRD_DIR.partial" && mkdir -p "$CRD_DIR.partial"
  cp "$(module_dir "$KEDA_MODULE")/config/crd/bases/keda.sh_scaledobjects.yaml" "$CRD_DIR.partial/"
  cp "$(module_dir "$PROMETHEUS_OPERATOR_MODULE")/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$CRD_DIR.partial/"
  cp "$(module_dir "$GATEWAY_API_MODULE")/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml" "$CRD_DIR.partial/"
  chmod u+w "$CRD_DIR.partial"/*
  rm -rf "$CRD_DIR" && mv "$CRD_DIR.partial" "$CRD_DIR"
  echo "$CRD_PINS" > "$TOOLS_DIR/crds.version"
  echo "CRDs: $(ls "$CRD_DIR" | tr '\n' ' ')in $CRD_DIR"
fi
