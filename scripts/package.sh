#!/usr/bin/env bash
# Builds the extension's .vsix for every platform it is published for, as the ruff and Python tool extensions do:
# one `vsce package --target T` each, carrying the psutil wheel of that platform (client-extension/targets.json).
#   scripts/package.sh              every target, into dist/prisma-doctor-<target>.vsix
#   scripts/package.sh win32-x64 …  only those
# A target's Python libraries are downloaded once into build/python-libs/<target> (see client-extension/build.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vsce ] || npm ci --no-audit --no-fund --loglevel=error
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(node -p "Object.keys(require('./client-extension/targets.json').targets).join('\n')")
fi
mkdir -p dist
for target in "${targets[@]}"; do
  echo "==> $target"
  # Built, staged and packaged with only what goes into it (client-extension/package.mjs).
  node client-extension/package.mjs "$target"
done
