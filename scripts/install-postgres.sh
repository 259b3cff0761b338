#!/usr/bin/env bash
# Install PostgreSQL (Debian package) and start a server for the audit tests on
# 127.0.0.1:5432, with a role and database `kakunin` / `kakunin_test`. Idempotent.
# The tests read KAKUNIN_TEST_PG_URL and default to the URL this script creates:
#   postgres://kakunin:kakunin-test@127.0.0.1:5432/kakunin_test
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-postgres: need the postgresql Debian package; run as root on Debian or install it" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
cluster=main
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$version $cluster"; then
  pg_createcluster "$version" "$cluster" -p 5432 -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi
# Listen on loopback only.
conf=/etc/postgresql/$version/$cluster/postgresql.conf
if ! grep -q "^listen_addresses = '127.0.0.1'" "$conf"; then
  echo "listen_addresses = '127.0.0.1'" >>"$conf"
fi
status=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}')
if [ "$status" != "online" ]; then
  # Containers without systemd: pg_ctlcluster starts the server itself.
  mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
  pg_ctlcluster "$version" "$cluster" start
fi
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.2
done
pg_isready -q -h 127.0.0.1 -p 5432

psql_su() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -p 5432 $*"; }
if ! su postgres -c "psql -p 5432 -tAc \"SELECT 1 FROM pg_roles WHERE rolname='kakunin'\"" | grep -q 1; then
  psql_su "-c \"CREATE ROLE kakunin LOGIN PASSWORD 'kakunin-test'\""
fi
for db in kakunin kakunin_test; do
  if ! su postgres -c "psql -p 5432 -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1; then
    psql_su "-c \"CREATE DATABASE $db OWNER kakunin\""
  fi
done
echo "install-postgres: PostgreSQL $version on 127.0.0.1:5432 (postgres://kakunin:kakunin-test@127.0.0.1:5432/kakunin_test)"
