#!/usr/bin/env bash
# Installs the pinned helm CLI (built from its Go module) into ~/.cache/evalstack/tools/bin.
# Idempotent: a second run with the same pin and build recipe returns at once. Building from source takes a
# few minutes on 2 cores the first time (no prebuilt binary downloads are reachable from CI).
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
# Bumped whenever the build flags change, so that a helm cached by an older recipe is rebuilt.
BUILD_RECIPE=2
TOOLS_DIR="${EVALSTACK_TOOLS_DIR:-$HOME/.cache/evalstack/tools}"
BIN_DIR="$TOOLS_DIR/bin"
STAMP="$TOOLS_DIR/helm.version"
WANT_STAMP="$HELM_VERSION recipe-$BUILD_RECIPE"

if [[ -x "$BIN_DIR/helm" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT_STAMP" ]]; then
  echo "helm $HELM_VERSION: cached at $BIN_DIR/helm"
  exit 0
fi

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" ]]; then
  echo "install-helm: the go toolchain is required (not found on PATH or at /usr/local/go/bin/go)" >&2
  exit 1
fi

# The Kubernetes version helm assumes without --kube-version (and that `helm lint` checks deprecations
# against). helm's Makefile derives it from the k8s.io/client-go it is built with: v0.X.Y -> 1.X. Without
# these flags the binary keeps its source default, v1.20, and a chart with `kubeVersion: >=1.29` fails.
MOD_DIR="$(GOFLAGS=-mod=mod "$GO" mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
CLIENT_GO="$(sed -n 's/^\s*k8s.io\/client-go v\([0-9]*\)\.\([0-9]*\)\..*/\1 \2/p' "$MOD_DIR/go.mod" | head -n 1)"
if [[ -z "$CLIENT_GO" ]]; then
  echo "install-helm: cannot find k8s.io/client-go in $MOD_DIR/go.mod" >&2
  exit 1
fi
read -r CG_MAJOR CG_MINOR <<<"$CLIENT_GO"
K8S_MAJOR=$((CG_MAJOR + 1))
K8S_MINOR="$CG_MINOR"

mkdir -p "$BIN_DIR"
echo "helm $HELM_VERSION: building with $("$GO" version), default Kubernetes v$K8S_MAJOR.$K8S_MINOR (a few minutes the first time)"
# -ldflags as helm's own Makefile sets them: the version (so `helm version` names the pin) and the
# Kubernetes version of its capabilities and lint rules.
LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
LDFLAGS+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$K8S_MAJOR -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR"
LDFLAGS+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$K8S_MAJOR -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR"
GOBIN="$BIN_DIR" CGO_ENABLED=0 nice -n 10 "$GO" install -trimpath -ldflags "$LDFLAGS" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
echo "$WANT_STAMP" > "$STAMP"
"$BIN_DIR/helm" version --short
