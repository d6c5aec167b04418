#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 and print a URL the tests can use.
# Starts the Debian cluster if it is down; if TCP logins need a password (a fresh Debian
# install), gives the postgres role one and says so in the URL.
set -euo pipefail

url="${WIREWATCH_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
answers() { psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if ! answers "$url"; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    done
    for _ in $(seq 1 30); do
      pg_isready -h 127.0.0.1 -p 5432 -q && break
      sleep 1
    done
  fi
fi
if ! answers "$url" && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
  su postgres -c "psql -q -c \"ALTER ROLE postgres PASSWORD 'wirewatch'\"" >/dev/null
  url="postgresql://postgres:wirewatch@127.0.0.1:5432/postgres"
fi
if ! answers "$url"; then
  echo "ensure-postgres: no PostgreSQL server answers at $url" >&2
  exit 1
fi
echo "$url"
