#!/usr/bin/env bash
# Builds llama.cpp's own OpenAI-compatible server (llama-server), the third-party peer the evaluator and the
# load tests are tested against, into ~/.cache/evalstack/tools/llama-server-<version>/.
#
# Source: the llama.cpp tree vendored in the PyPI sdist of llama-cpp-python (pinned, sha256-checked), because
# no machine here reaches GitHub. CPU only, static libraries, no curl/OpenSSL, no web UI, no tests or
# examples; only the llama-server target is built. After the build a tiny generation on the small phi3-slot
# GGUF checks the binary; if it dies (AMX kernels fault on some CPUs that advertise AMX), it is rebuilt once
# without the AMX instructions.
#
# Idempotent: a second run with the same pin returns at once (a version stamp beside the binary).
# First-run cost: one compile of llama.cpp (206 build steps): 310 s on this project's quiet 2-core machine
# (4232 s while up to 8 engineers shared it, load average 20-30).
set -euo pipefail
cd "$(dirname "$0")/../.."

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
LLAMA_CPP_PYTHON_SHA256="${LLAMA_CPP_PYTHON_SHA256:-832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e}"
TOOLS_DIR="${EVALSTACK_TOOLS_DIR:-$HOME/.cache/evalstack/tools}"
INSTALL_DIR="$TOOLS_DIR/llama-server-$LLAMA_CPP_PYTHON_VERSION"
BIN="$INSTALL_DIR/llama-server"
STAMP="$INSTALL_DIR/version"
# What the stamp records: the pin and the build flags, so changing either rebuilds.
STAMP_TEXT="llama-cpp-python $LLAMA_CPP_PYTHON_VERSION sha256 $LLAMA_CPP_PYTHON_SHA256"
MODEL="${MODEL_CACHE_DIR:-$HOME/.cache/evalstack/models}/gemma-3-270m-q4_k_m.gguf"

if [[ -x "$BIN" && -f "$STAMP" && "$(head -n1 "$STAMP")" == "$STAMP_TEXT" ]]; then
  echo "llama-server (llama-cpp-python $LLAMA_CPP_PYTHON_VERSION): cached at $BIN"
  exit 0
fi

for tool in cmake python3 c++ curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-llama-server: $tool is required to build llama-server (not found on PATH)" >&2
    exit 1
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/llama-server-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
started=$(date +%s)

echo "llama-server: downloading the llama-cpp-python $LLAMA_CPP_PYTHON_VERSION sdist"
python3 -m pip download --quiet --no-binary :all: --no-deps \
  "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$WORK/sdist"
SDIST="$WORK/sdist/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz"
actual="$(sha256sum "$SDIST" | cut -d' ' -f1)"
if [[ "$actual" != "$LLAMA_CPP_PYTHON_SHA256" ]]; then
  echo "install-llama-server: $SDIST has sha256 $actual, expected $LLAMA_CPP_PYTHON_SHA256" >&2
  exit 1
fi
tar -xzf "$SDIST" -C "$WORK" "llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
SRC="$WORK/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"

GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
JOBS="${LLAMA_SERVER_BUILD_JOBS:-$(nproc)}"

build() { # $1: extra C/C++ flags
  rm -rf "$WORK/build"
  CFLAGS="$1" CXXFLAGS="$1" nice -n 10 cmake -S "$SRC" -B "$WORK/build" "${GENERATOR[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >"$WORK/configure.log" 2>&1 ||
    { tail -n 40 "$WORK/configure.log" >&2; return 1; }
  nice -n 10 cmake --build "$WORK/build" --target llama-server -j "$JOBS" >"$WORK/build.log" 2>&1 ||
    { tail -n 40 "$WORK/build.log" >&2; return 1; }
}

# One short generation on a free loopback port: proves the binary runs its kernels on this CPU.
smoke_generation() { # $1: the binary
  if [[ ! -f "$MODEL" ]]; then
    echo "llama-server: $MODEL is missing (run npm run models); skipping the generation check"
    return 0
  fi
  local port log pid ok=1
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  log="$WORK/smoke.log"
  "$1" -m "$MODEL" --host 127.0.0.1 --port "$port" -t 1 -c 512 -np 1 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      if curl -sf "http://127.0.0.1:$port/v1/completions" -H 'content-type: application/json' \
        -d '{"prompt":"One, two,","max_tokens":4,"temperature":0}' | grep -q '"text"'; then ok=0; fi
      break
    fi
    sleep 0.2 # polling the health endpoint until the model is loaded
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ $ok -eq 0 ]] || tail -n 20 "$log" >&2
  return $ok
}

echo "llama-server: building (CPU, static, target llama-server only, -j$JOBS; a long compile the first time)"
flags=""
build "$flags"
if ! smoke_generation "$WORK/build/bin/llama-server"; then
  flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  echo "llama-server: the generation check failed; rebuilding with $flags"
  build "$flags"
  smoke_generation "$WORK/build/bin/llama-server" || {
    echo "install-llama-server: the rebuilt llama-server still fails a generation" >&2
    exit 1
  }
fi

mkdir -p "$INSTALL_DIR"
install -m 0755 "$WORK/build/bin/llama-server" "$BIN.tmp"
mv -f "$BIN.tmp" "$BIN"
{
  echo "$STAMP_TEXT"
  echo "flags: ${flags:-none}"
  echo "built in $(($(date +%s) - started)) s on $(nproc) cores"
} >"$STAMP"
echo "llama-server: ready at $BIN ($(sed -n 3p "$STAMP"))"
"$BIN" --version 2>&1 | head -n 2 || true
