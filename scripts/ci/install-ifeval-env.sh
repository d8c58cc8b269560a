#!/usr/bin/env bash
# The IFEval reference verifier's environment (the `ifeval` check's scoring step), outside the repository in
# ~/.cache/evalstack/suites/v1/ifeval-verifier. The installer lives beside the verifier so that the
# evaluator image builds it too: services/evaluator/verifiers/ifeval/install.sh. Idempotent.
set -euo pipefail
exec bash "$(dirname "$0")/../../services/evaluator/verifiers/ifeval/install.sh" "$@"
