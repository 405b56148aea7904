#!/usr/bin/env bash
# Makes sure the services BizOS Hub needs are installed and running on this
# Debian machine: PostgreSQL and Redis. Installs them with apt when missing,
# starts them when stopped, and creates the `bizos` role and database.
# Idempotent: on a machine where everything already runs it only checks.
#
# Environment (defaults in brackets):
#   BIZOS_PG_PORT [5432]   BIZOS_REDIS_PORT [6379]
set -euo pipefail

PG_PORT="${BIZOS_PG_PORT:-5432}"
REDIS_PORT="${BIZOS_REDIS_PORT:-6379}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf 'services: %s\n' "$*" >&2; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-contrib
  fi
  if ! pg_ready; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    log "starting PostgreSQL $version"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || $SUDO pg_ctlcluster "$version" main start
    for _ in $(seq 1 60); do pg_ready && break; sleep 0.5; done
  fi
  pg_ready || { log "PostgreSQL does not answer on 127.0.0.1:$PG_PORT"; exit 1; }

  psql_admin() { $SUDO runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }
  if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'bizos'")" != "1" ]; then
    log "creating role bizos"
    psql_admin -c "CREATE ROLE bizos LOGIN CREATEDB PASSWORD 'bizos'"
  fi
  if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'bizos'")" != "1" ]; then
    log "creating database bizos"
    psql_admin -c "CREATE DATABASE bizos OWNER bizos"
  fi
}

redis_ready() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
  fi
  if ! redis_ready; then
    log "starting Redis"
    $SUDO mkdir -p /var/lib/redis /var/log/redis
    $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
      --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/bizos.log
    for _ in $(seq 1 40); do redis_ready && break; sleep 0.25; done
  fi
  redis_ready || { log "Redis does not answer on 127.0.0.1:$REDIS_PORT"; exit 1; }
}

ensure_postgres
ensure_redis
log "PostgreSQL 127.0.0.1:$PG_PORT (database bizos) and Redis 127.0.0.1:$REDIS_PORT are ready"
