#!/usr/bin/env bash
# Brings the example to its clean, working state: packages installed, Prisma Client generated,
# migrations applied to dev.db and a few users seeded. Safe to run again: each step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -d node_modules/.bin ]] || ! cmp -s package-lock.json node_modules/.package-lock.json.setup 2>/dev/null; then
  npm ci --prefer-offline --no-audit --no-fund
  cp package-lock.json node_modules/.package-lock.json.setup
fi
npx --no-install prisma generate
npx --no-install prisma migrate deploy
node --env-file=.env prisma/seed.mjs
