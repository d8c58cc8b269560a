#!/usr/bin/env bash
# Installs the PostgreSQL server binaries (initdb, postgres) that the evaluator's store tests need.
# Idempotent: does nothing when they are already installed. Starts nothing: each test file starts its own
# throwaway cluster on a free loopback port (test/helpers/postgres.ts) and removes it afterwards.
set -euo pipefail

find_bindir() {
  if [[ -n "${PG_BIN_DIR:-}" && -x "${PG_BIN_DIR}/initdb" && -x "${PG_BIN_DIR}/postgres" ]]; then
    echo "$PG_BIN_DIR"; return 0
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -rn); do
    if [[ -x "$dir/initdb" && -x "$dir/postgres" ]]; then echo "$dir"; return 0; fi
  done
  return 1
}

if bindir="$(find_bindir)"; then
  echo "install-postgres: found $("$bindir/postgres" --version) in $bindir"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-postgres: no PostgreSQL server binaries and no apt-get; install PostgreSQL (initdb, postgres) and set PG_BIN_DIR" >&2
  exit 1
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi

# Debian's package would create and start a default cluster; the tests start their own, so skip it.
$SUDO mkdir -p /etc/postgresql-common
if ! grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
  echo "create_main_cluster = false" | $SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null
fi

echo "install-postgres: installing the Debian postgresql server package"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null

bindir="$(find_bindir)" || { echo "install-postgres: installed, but initdb/postgres not found under /usr/lib/postgresql" >&2; exit 1; }
echo "install-postgres: installed $("$bindir/postgres" --version) in $bindir"
