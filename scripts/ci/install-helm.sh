#!/usr/bin/env bash
# Installs the pinned helm CLI (built from its Go module) into ~/.cache/evalstack/tools/bin.
# Idempotent: a second run with the same pin returns at once. Building from source takes a few minutes
# on 2 cores the first time (no prebuilt binary downloads are reachable from CI).
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
TOOLS_DIR="${EVALSTACK_TOOLS_DIR:-$HOME/.cache/evalstack/tools}"
BIN_DIR="$TOOLS_DIR/bin"
STAMP="$TOOLS_DIR/helm.version"

if [[ -x "$BIN_DIR/helm" && -f "$STAMP" && "$(cat "$STAMP")" == "$HELM_VERSION" ]]; then
  echo "helm $HELM_VERSION: cached at $BIN_DIR/helm"
  exit 0
fi

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" ]]; then
  echo "install-helm: the go toolchain is required (not found on PATH or at /usr/local/go/bin/go)" >&2
  exit 1
fi

mkdir -p "$BIN_DIR"
echo "helm $HELM_VERSION: building with $("$GO" version) (a few minutes the first time)"
# -ldflags: stamp the version the way helm's release builds do, so `helm version` names the pin.
GOBIN="$BIN_DIR" CGO_ENABLED=0 "$GO" install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
echo "$HELM_VERSION" > "$STAMP"
"$BIN_DIR/helm" version --short
