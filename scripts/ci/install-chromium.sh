#!/usr/bin/env bash
# Installs Debian's chromium, which the report test drives headless (through playwright-core, with
# executablePath /usr/bin/chromium) to check that the HTML report opens with no console errors.
# Idempotent: does nothing when a working chromium is already there. Override the binary with CHROMIUM_PATH.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [[ -x "$CHROMIUM" ]] && "$CHROMIUM" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1; then
  echo "install-chromium: found $("$CHROMIUM" --version 2>/dev/null) at $CHROMIUM"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: $CHROMIUM is missing and there is no apt-get; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi

echo "install-chromium: installing the Debian chromium package"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null

"$CHROMIUM" --version
