#!/usr/bin/env bash
# Puts Debian's promtool in .tools/prometheus so the tests can check the
# Prometheus configuration and run the alert rules' unit tests
# (deploy/prometheus/alerts_test.yml). The package is unpacked, not
# installed: installing it would start a Prometheus server on :9090, the
# worker's metrics port. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.tools/prometheus
if [ -x "$dest/usr/bin/promtool" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "promtool: unpacking Debian's prometheus package into $dest" >&2
if ! (cd "$work" && apt-get download -qq prometheus 2>/dev/null); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  (cd "$work" && apt-get download -qq prometheus)
fi
mkdir -p "$dest"
dpkg-deb -x "$work"/prometheus_*.deb "$dest"
"$dest/usr/bin/promtool" --version >/dev/null
