#!/usr/bin/env bash
# Installs what the evaluator's code sandbox uses: bubblewrap (namespaces), prlimit and setpriv
# (util-linux: resource limits, dropping to an unprivileged uid) and python3 (the interpreter of python code
# checks; node is already there). Idempotent: installs only what is missing. Then shows the isolation the
# sandbox will get on this machine.
set -euo pipefail

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v prlimit >/dev/null 2>&1 || missing+=(util-linux)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
[[ -x /usr/bin/python3 ]] || command -v python3 >/dev/null 2>&1 || missing+=(python3)

if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-sandbox: missing ${missing[*]} and no apt-get; install them by hand" >&2
    exit 1
  fi
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-sandbox: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "install-sandbox: $(bwrap --version), $(prlimit --version | head -n1), $(python3 --version 2>&1)"
# Can this machine create the namespaces? (Containers may forbid it; code items then end as errors: the
# sandbox never falls back on its own.) No /proc, as the sandbox mounts none (services/evaluator/src/scoring/sandbox/bwrapArgs.ts).
if bwrap --unshare-all --unshare-user --disable-userns --die-with-parent \
     --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin \
     --dev /dev --tmpfs /tmp /usr/bin/true 2>/dev/null; then
  echo "install-sandbox: bubblewrap namespaces work here"
else
  echo "install-sandbox: WARNING bubblewrap cannot create namespaces here: code items will end as errors (npx evalstack sandbox says why)" >&2
fi
