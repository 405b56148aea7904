#!/usr/bin/env bash
# Installs Debian's Chromium for the portal's browser tests when it is missing.
# Test tools never download a browser of their own: playwright-core drives
# /usr/bin/chromium. Idempotent.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "chromium: installing Debian's chromium package" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
