#!/usr/bin/env bash
# Makes sure a local stripe-mock (Stripe's official API mock) runs on
# 127.0.0.1 for the hub's tests: installs it with `go install` when missing,
# starts it in the background when it does not answer, and writes the peer's
# facts to .data/peers/stripe.env (BIZOS_STRIPE_URL). Any sk_test_... key works.
# Idempotent: when stripe-mock already answers it only checks.
#
# Environment (defaults in brackets):
#   BIZOS_STRIPE_MOCK_PORT [12111]
set -euo pipefail

STRIPE_MOCK_VERSION="v0.203.0"
PORT="${BIZOS_STRIPE_MOCK_PORT:-12111}"
URL="http://127.0.0.1:${PORT}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="$ROOT/.data/peers"
ENV_FILE="$PEERS/stripe.env"
LOG_FILE="$PEERS/stripe-mock.log"
PID_FILE="$PEERS/stripe-mock-${PORT}.pid"

log() { printf 'stripe-mock: %s\n' "$*" >&2; }
die() { printf 'stripe-mock: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$PEERS"

# One run at a time on this machine: test binaries of several packages may
# call this script concurrently, and only one of them may start the server.
LOCK="${TMPDIR:-/tmp}/bizos-peer-stripe-mock-${PORT}.lock"
exec 9>>"$LOCK" || die "cannot open lock file $LOCK"
chmod a+rw "$LOCK" 2>/dev/null || true
flock -w 300 9 || die "timed out waiting for $LOCK"

answers() {
  [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 2 -u sk_test_123: "$URL/v1/customers" 2>/dev/null)" = "200" ]
}

show_log() { { tail -n 20 "$LOG_FILE" || true; echo; } >&2; }

command -v curl >/dev/null 2>&1 || die "curl is required (apt-get install curl)"

if ! answers; then
  command -v go >/dev/null 2>&1 || die "the Go toolchain is required to install stripe-mock"
  gopath="$(go env GOPATH)"
  bin_dir="${gopath%%:*}/bin"
  bin="$bin_dir/stripe-mock"
  if [ ! -x "$bin" ] || ! go version -m "$bin" 2>/dev/null | grep -q "github.com/stripe/stripe-mock[[:space:]]*${STRIPE_MOCK_VERSION}"; then
    log "installing github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION} into $bin_dir"
    GOBIN="$bin_dir" go install "github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}" \
      || die "go install github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION} failed"
  fi
  log "starting $bin on 127.0.0.1:$PORT (log: $LOG_FILE)"
  # A fresh log per start: stripe-mock logs every request it serves.
  printf -- '--- %s starting stripe-mock on 127.0.0.1:%s\n' "$(date -u +%FT%TZ)" "$PORT" >"$LOG_FILE"
  # start-stop-daemon detaches the server from this script and from the test
  # binary that ran it, and closes every inherited descriptor (our lock, a
  # caller's pipe) so nobody waits on it. stripe-mock also serves HTTPS on
  # *:12112 unless told otherwise (-http-addr does not switch that default
  # off): keep that listener on a free loopback port instead.
  start-stop-daemon --start --background --pidfile "$PID_FILE" --make-pidfile \
    --exec "$bin" --output "$LOG_FILE" -- \
    -http-addr "127.0.0.1:${PORT}" -https-addr "127.0.0.1:0" \
    || die "start-stop-daemon could not start $bin"
  pid="$(cat "$PID_FILE")"
  for _ in $(seq 1 100); do
    answers && break
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      show_log
      die "stripe-mock exited right after start (port $PORT in use?)"
    fi
    sleep 0.1
  done
  answers || { show_log; die "stripe-mock does not answer GET $URL/v1/customers"; }
fi

tmp="$(mktemp "$PEERS/.stripe.env.XXXXXX")"
printf 'BIZOS_STRIPE_URL=%s\n' "$URL" >"$tmp"
mv -f "$tmp" "$ENV_FILE"

echo "stripe-mock: ready at $URL"
