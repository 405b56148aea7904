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

command -v node >/dev/null 2>&1 || fail "Node.js 20.19 or newer is needed to build the portal (none found)"
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  fail "Node.js 20.19 or newer is needed to build the portal (found $(node --version))"
fi

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
