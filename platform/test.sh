#!/usr/bin/env bash
# Install everything and run the whole test suite twice:
#   lane 1: SQLite + the filesystem broker (the embedded defaults)
#   lane 2: PostgreSQL + Redis on 127.0.0.1, started here if they are down
# Fails when either lane fails (pytest's "no tests ran" exit code 5 included).
# Extra arguments go to pytest, e.g. `bash platform/test.sh -k health`.
set -uo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES="chromium postgresql redis-server" source platform/install.sh
set +e

ensure_services() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo ">> starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo ">> starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  fi
  for _ in $(seq 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "PostgreSQL or Redis did not come up on 127.0.0.1" >&2
  return 1
}

PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/curation_platform}
# The broker and the cache live in separate Redis databases: the tests clear the cache before each
# test (FLUSHDB), which must never drop queued Celery messages.
BROKER_URL=${TEST_BROKER_URL:-redis://127.0.0.1:6379/1}
CACHE_REDIS_URL=${TEST_CACHE_URL:-redis://127.0.0.1:6379/2}

echo "== lane 1: SQLite + filesystem broker"
env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL python -m pytest "$@"
lane1=$?

echo "== lane 2: PostgreSQL + Redis"
ensure_services
services=$?
lane2=1
if [ $services = 0 ]; then
  DATABASE_URL=$PG_URL CELERY_BROKER_URL=$BROKER_URL CACHE_URL=$CACHE_REDIS_URL STORAGE_ROOT=$PWD/var/test-pg \
    python -m pytest "$@"
  lane2=$?
fi

echo "== lane 1 (SQLite + filesystem broker): exit $lane1"
echo "== lane 2 (PostgreSQL + Redis):         exit $lane2"
[ $lane1 = 0 ] && [ $lane2 = 0 ]
