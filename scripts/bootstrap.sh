#!/usr/bin/env bash
# Installs what Prisma Doctor and its tests need on a fresh Debian machine, and nothing twice.
#   scripts/bootstrap.sh            the Python environment (.venv) with the package and its test tools
#   scripts/bootstrap.sh --system   also the Debian packages the real-parts tests use (PostgreSQL, MariaDB, Neovim,
#                                   Chromium, ripgrep, a compiler for code-server's native module)
#                                   and Wine (Debian's wine64: the Windows checks, README "Windows")
# Node.js 20 and npm come with the machine; npm packages are installed by the tests themselves, once, into
# tests/.cache/ (see tests/npm_cache.py), so that a second run is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

want_system=0
for arg in "$@"; do
  case "$arg" in
    --system) want_system=1 ;;
    *) echo "usage: $0 [--system]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ "$want_system" = 1 ]; then
  packages=(postgresql mariadb-server openssl locales neovim chromium ripgrep sqlite3 pkg-config build-essential wine wine64
            libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev procps)
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # French messages for the localized PostgreSQL tests (the incident's `«`).
  if ! locale -a 2>/dev/null | grep -qi '^fr_FR\.utf8$'; then
    say "generating the fr_FR.UTF-8 locale"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO sed -i 's/^# *fr_FR.UTF-8 UTF-8/fr_FR.UTF-8 UTF-8/' /etc/locale.gen
    $SUDO locale-gen >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  say "installing prisma-doctor and its test tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-* && touch "$stamp"
fi
