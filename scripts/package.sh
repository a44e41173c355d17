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
  # vsce runs vscode:prepublish (build.mjs --production), which reads the target from the environment.
  PRISMA_DOCTOR_TARGET="$target" node_modules/.bin/vsce package --no-dependencies --target "$target" \
    --readme-path client-extension/README.md --changelog-path client-extension/CHANGELOG.md \
    --out "dist/prisma-doctor-$target.vsix"
done
