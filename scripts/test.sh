#!/usr/bin/env bash
# Sets up everything and runs every test (the slow reliability suites excepted: scripts/test-slow.sh).
#   scripts/test.sh --fast   only the tests that need no npm package, PostgreSQL, MariaDB, browser or Neovim (and no apt)
# Other arguments go to pytest, e.g. scripts/test.sh -k lsp -x
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0
args=()
for arg in "$@"; do
  if [ "$arg" = --fast ]; then fast=1; else args+=("$arg"); fi
done
if [ "$fast" = 1 ]; then
  bash scripts/bootstrap.sh
  # A second -m replaces pyproject's, so it says "not slow" again.
  args=(-m "not slow and not node and not postgres and not mariadb and not browser and not neovim and not wine" ${args[@]+"${args[@]}"})
else
  bash scripts/bootstrap.sh --system
fi
.venv/bin/ruff check server tests bench
.venv/bin/ruff format --check server tests bench
# Types: strict on the core, basic on the adapters ([tool.pyright] in pyproject.toml).
.venv/bin/basedpyright
status=0
.venv/bin/pytest ${args[@]+"${args[@]}"} || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
