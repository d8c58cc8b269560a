#!/usr/bin/env bash
# The instruction-following reference verifiers' environments (the `ifeval` and `ifbench` checks' scoring
# step), outside the repository in ~/.cache/evalstack/suites/v1/{ifeval,ifbench}-verifier. The installers live
# beside the verifiers so that the evaluator image builds them too: services/evaluator/verifiers/*/install.sh.
# Idempotent: each returns at once when its environment is up to date.
set -euo pipefail
here="$(dirname "$0")/../../services/evaluator/verifiers"
bash "$here/ifeval/install.sh"
bash "$here/ifbench/install.sh"
