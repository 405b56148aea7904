#!/bin/sh
# First start of compose.yaml's PostgreSQL (docker-entrypoint-initdb.d):
# the bizos role and database, pgvector and btree_gin in it (extensions a
# role that is not a superuser cannot create), and the temporal role that
# temporal-schema uses to create Temporal's two databases.
#
# bizos is deliberately not a superuser: row-level security, which keeps
# tenants apart, does not apply to superusers.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v bizos_pw="$BIZOS_DB_PASSWORD" -v temporal_pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE bizos LOGIN PASSWORD :'bizos_pw';
CREATE DATABASE bizos OWNER bizos;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_pw';
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname bizos <<'SQL'
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS btree_gin;
SQL
