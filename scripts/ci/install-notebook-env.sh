#!/usr/bin/env bash
# The Python environment that executes examples/notebooks in CI and on a developer's machine: a virtual
# environment (default ~/.cache/evalstack/notebook-venv, or EVALSTACK_NOTEBOOK_VENV) with the pinned
# packages of examples/notebooks/requirements.txt (nbclient, ipykernel, pandas, matplotlib, requests and
# what they pull in). Idempotent: when the venv already holds exactly those pins it returns at once; when
# the pins change it is rebuilt. Needs Python >= 3.11 (pandas 3); EVALSTACK_NOTEBOOK_PYTHON picks one.
set -euo pipefail
cd "$(dirname "$0")/../.."

REQUIREMENTS="examples/notebooks/requirements.txt"
VENV="${EVALSTACK_NOTEBOOK_VENV:-$HOME/.cache/evalstack/notebook-venv}"
STAMP="$VENV/.evalstack-requirements.sha256"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

CHECK='import sys, nbclient, ipykernel, pandas, matplotlib, requests; print(f"Python {sys.version.split()[0]}, nbclient {nbclient.__version__}, pandas {pandas.__version__}, matplotlib {matplotlib.__version__}")'
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && versions="$("$VENV/bin/python" -c "$CHECK" 2>/dev/null)"; then
  echo "install-notebook-env: $VENV is up to date ($versions)"
  exit 0
fi

# A Python >= 3.11 with the venv module.
good_python() { "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; }
PYTHON=""
for candidate in ${EVALSTACK_NOTEBOOK_PYTHON:-} python3 python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 && good_python "$candidate"; then PYTHON="$(command -v "$candidate")"; break; fi
done
if [[ -z "$PYTHON" ]]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-notebook-env: no Python >= 3.11 with venv, and no apt-get to install one" >&2
    exit 1
  fi
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-notebook-env: installing python3 and python3-venv"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  PYTHON=/usr/bin/python3
  good_python "$PYTHON" || { echo "install-notebook-env: $($PYTHON --version) is older than 3.11" >&2; exit 1; }
fi

echo "install-notebook-env: creating $VENV with $($PYTHON --version)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQUIREMENTS"
versions="$("$VENV/bin/python" -c "$CHECK")"
echo "$want" > "$STAMP"
echo "install-notebook-env: ready in $VENV ($versions)"
