#!/usr/bin/env bash
# Installs the pinned grpcurl CLI (built from its Go module) into ~/.cache/evalstack/tools/bin: a gRPC client
# no one here wrote, used by test/grpcurl.test.ts to check that reflection serves the contract as proto/ says.
# Idempotent: a second run with the same pin returns at once.
set -euo pipefail

GRPCURL_VERSION="${GRPCURL_VERSION:-v1.9.3}"
TOOLS_DIR="${EVALSTACK_TOOLS_DIR:-$HOME/.cache/evalstack/tools}"
BIN_DIR="$TOOLS_DIR/bin"
STAMP="$TOOLS_DIR/grpcurl.version"

if [[ -x "$BIN_DIR/grpcurl" && -f "$STAMP" && "$(cat "$STAMP")" == "$GRPCURL_VERSION" ]]; then
  echo "grpcurl $GRPCURL_VERSION: cached at $BIN_DIR/grpcurl"
  exit 0
fi

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
if [[ -z "$GO" ]]; then
  echo "install-grpcurl: the go toolchain is required (not found on PATH or at /usr/local/go/bin/go)" >&2
  exit 1
fi

mkdir -p "$BIN_DIR"
echo "grpcurl $GRPCURL_VERSION: building with $("$GO" version) (a minute or two the first time)"
# -X main.version: what `grpcurl -version` prints, as in grpcurl's release builds.
GOBIN="$BIN_DIR" CGO_ENABLED=0 nice -n 10 "$GO" install -trimpath \
  -ldflags "-s -w -X main.version=$GRPCURL_VERSION" \
  "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
echo "$GRPCURL_VERSION" > "$STAMP"
"$BIN_DIR/grpcurl" -version
