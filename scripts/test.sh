#!/usr/bin/env bash
# Sets up everything and runs every test (the slow reliability suites excepted: scripts/test-slow.sh).
# Extra arguments go to pytest, e.g. scripts/test.sh -k lsp -x
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system
.venv/bin/ruff check server tests bench
.venv/bin/ruff format --check server tests bench
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
