#!/usr/bin/env bash
# Installs the pinned kubeconform CLI (built from its Go module) into ~/.cache/evalstack/tools/bin.
# Idempotent: a second run with the same pin returns at once. Schemas are not downloaded: the chart's
# tests point kubeconform at the offline schemas committed under k8s/schemas/.
set -euo pipefail

KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
TOOLS_DIR="${EVALSTACK_TOOLS_DIR:-$HOME/.cache/evalstack/tools}"
BIN_DIR="$TOOLS_DIR/bin"
STAMP="$TOOLS_DIR/kubeconform.version"

if [[ -x "$BIN_DIR/kubeconform" && -f "$STAMP" && "$(cat "$STAMP")" == "$KUBECONFORM_VERSION" ]]; then
  echo "kubeconform $KUBECONFORM_VERSION: cached at $BIN_DIR/kubeconform"
  exit 0
fi

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" ]]; then
  echo "install-kubeconform: the go toolchain is required (not found on PATH or at /usr/local/go/bin/go)" >&2
  exit 1
fi

mkdir -p "$BIN_DIR"
echo "kubeconform $KUBECONFORM_VERSION: building with $("$GO" version)"
GOBIN="$BIN_DIR" CGO_ENABLED=0 "$GO" install -trimpath -ldflags "-s -w" \
  "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
echo "$KUBECONFORM_VERSION" > "$STAMP"
"$BIN_DIR/kubeconform" -v
