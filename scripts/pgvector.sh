#!/usr/bin/env bash
# Builds and installs the pgvector extension for this machine's PostgreSQL
# from Debian's source package, so knowledge-base search can use a vector
# index (see docs/knowledge.md). Debian 12 ships no pgvector binary for
# PostgreSQL 15, but the next release's source package builds against
# postgresql-server-dev-15 in seconds.
#
# What it changes: adds a deb-src-only entry for trixie that reuses the URIs
# of the machine's existing Debian entry (a source entry never changes which
# binary packages apt installs; no binary suite of another release is ever
# added), installs postgresql-server-dev-<version> and the build tools when
# missing, then `apt-get source pgvector`, `make` and `make install`.
#
# pgvector is not a trusted extension: only a superuser may CREATE EXTENSION
# vector, and the hub's database role is not one. So, as the postgres
# superuser, the script also creates the extension in the databases named by
# BIZOS_PGVECTOR_DATABASES: the hub's database, and template1, from which
# every database created later (each test's fresh database) inherits it.
# Migration 0007 then finds it and uses a vector column with HNSW indexes.
# Idempotent: what is installed or created already is only checked.
#
# Environment (defaults in brackets):
#   PG_CONFIG [/usr/lib/postgresql/15/bin/pg_config]
#   BIZOS_PGVECTOR_DATABASES ["template1 bizos"]   empty: install only
#   BIZOS_PG_PORT [5432]
#   BIZOS_PGVECTOR_SUITE [trixie]   the release whose source package is built
#   BIZOS_PGVECTOR_BUILD_DIR [/var/cache/bizos/pgvector]
set -euo pipefail

PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
SUITE="${BIZOS_PGVECTOR_SUITE:-trixie}"
BUILD_DIR="${BIZOS_PGVECTOR_BUILD_DIR:-/var/cache/bizos/pgvector}"
DATABASES="${BIZOS_PGVECTOR_DATABASES-template1 bizos}"
PG_PORT="${BIZOS_PG_PORT:-5432}"
SRC_LIST="/etc/apt/sources.list.d/bizos-${SUITE}-src.sources"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf 'pgvector: %s\n' "$*" >&2; }

# PostgreSQL major version from the pg_config path (…/postgresql/15/bin/pg_config).
PG_MAJOR="$(basename "$(dirname "$(dirname "$PG_CONFIG")")")"

installed() {
  [ -x "$PG_CONFIG" ] || return 1
  local sharedir pkglibdir
  sharedir="$("$PG_CONFIG" --sharedir)"
  pkglibdir="$("$PG_CONFIG" --pkglibdir)"
  [ -f "$sharedir/extension/vector.control" ] && [ -f "$pkglibdir/vector.so" ]
}

# enable creates the extension in each database of DATABASES that exists,
# as the postgres superuser, when PostgreSQL runs.
enable() {
  [ -n "$DATABASES" ] || return 0
  if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
    log "PostgreSQL is not running on 127.0.0.1:$PG_PORT; not creating the extension (run scripts/services.sh, then this again)"
    return 0
  fi
  psql_admin() { $SUDO runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }
  local db
  for db in $DATABASES; do
    if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
      log "database $db does not exist; skipped"
      continue
    fi
    if [ "$(psql_admin -d "$db" -tAc "SELECT 1 FROM pg_extension WHERE extname = 'vector'")" = "1" ]; then
      continue
    fi
    log "CREATE EXTENSION vector in database $db"
    psql_admin -d "$db" -c "CREATE EXTENSION IF NOT EXISTS vector"
  done
}

if installed; then
  log "already installed for PostgreSQL $PG_MAJOR ($(grep -h default_version "$("$PG_CONFIG" --sharedir)/extension/vector.control"))"
  enable
  exit 0
fi

apt_updated=""
apt_update() {
  log "apt-get update"
  $SUDO apt-get update -qq >/dev/null
  apt_updated=1
}
apt_install() {
  [ -n "$apt_updated" ] || apt_update
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# The URIs and keyring of the machine's existing Debian entry: deb822 files
# first, then one-line sources.list entries.
debian_uris() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    [ "$f" = "$SRC_LIST" ] && continue
    # Print the URIs of stanzas whose Suites hold a plain Debian release
    # suite (not -security), one per line.
    awk '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; suites = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); uris = $i }
          if ($i ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", $i); suites = $i }
        }
        if (uris != "" && suites ~ /(^| )(bookworm|trixie|bullseye|stable|oldstable)( |$)/) {
          n = split(uris, u, /[ \t]+/)
          for (j = 1; j <= n; j++) if (u[j] ~ /debian\/?$/) print u[j]
        }
      }' "$f"
  done
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|mirror|file):/) { print $i; break } }' /etc/apt/sources.list
  fi
}

ensure_source_entry() {
  if [ -f "$SRC_LIST" ]; then
    return
  fi
  local uris
  uris="$(debian_uris | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ *$//')"
  if [ -z "$uris" ]; then
    log "no Debian entry found in /etc/apt/sources.list{,.d}; cannot add a source entry"
    exit 1
  fi
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  log "adding deb-src entry for $SUITE ($uris) in $SRC_LIST"
  $SUDO tee "$SRC_LIST" >/dev/null <<EOF
# Added by BizOS Hub scripts/pgvector.sh: source packages only (deb-src), to
# build pgvector for the installed PostgreSQL. Binary packages still come
# from this machine's own release.
Types: deb-src
URIs: $uris
Suites: $SUITE
Components: main
Signed-By: $keyring
EOF
  apt_update
}

ensure_build_deps() {
  local missing=()
  dpkg -s "postgresql-server-dev-$PG_MAJOR" >/dev/null 2>&1 || missing+=("postgresql-server-dev-$PG_MAJOR")
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc)
  command -v dpkg-source >/dev/null 2>&1 || missing+=(dpkg-dev)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

build_and_install() {
  $SUDO mkdir -p "$BUILD_DIR"
  cd "$BUILD_DIR"
  local dir
  dir="$(find . -maxdepth 1 -type d -name 'pgvector-*' | sort -V | tail -n 1)"
  if [ -z "$dir" ]; then
    log "apt-get source pgvector ($SUITE)"
    # The _apt sandbox user may not write here; fetching as root is fine.
    $SUDO apt-get source -qq -t "$SUITE" pgvector >/dev/null 2>&1 \
      || $SUDO apt-get source -qq "pgvector/$SUITE" >/dev/null
    dir="$(find . -maxdepth 1 -type d -name 'pgvector-*' | sort -V | tail -n 1)"
  fi
  [ -n "$dir" ] || { log "apt-get source produced no pgvector-* directory in $BUILD_DIR"; exit 1; }
  log "building $dir for PostgreSQL $PG_MAJOR"
  cd "$dir"
  $SUDO make -s PG_CONFIG="$PG_CONFIG" >/dev/null
  $SUDO make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

ensure_build_deps
ensure_source_entry
build_and_install
installed || { log "installation finished but vector.control or vector.so is missing"; exit 1; }
enable
log "installed for PostgreSQL $PG_MAJOR ($(grep -h default_version "$("$PG_CONFIG" --sharedir)/extension/vector.control"))"
