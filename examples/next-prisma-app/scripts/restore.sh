#!/usr/bin/env bash
# Undoes scripts/break.sh: puts back the files it changed (from scripts/.clean/), removes the
# add_user_nickname migration and deletes dev.db, then runs scripts/setup.sh, which regenerates
# Prisma Client and recreates dev.db from the committed migrations with the seed users.
# Does not need git. Safe to run on a clean example.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -d scripts/.clean ]]; then
  cp -pR scripts/.clean/. .
  rm -rf scripts/.clean
fi
rm -rf prisma/migrations/*_add_user_nickname
rm -f dev.db dev.db-journal
exec scripts/setup.sh
