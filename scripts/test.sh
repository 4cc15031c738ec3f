#!/usr/bin/env bash
# The whole test suite: lint, types, then every test on SQLite and again on PostgreSQL. On each database the tests
# run in parallel (pytest-xdist, a worker per core, each test file on one worker so its module fixtures are made
# once), then the `serial` ones (the API fuzz, PostgreSQL only) in two processes, half each. On PostgreSQL the schema
# is migrated once, into a template, and each process's test database is a copy of it (scripts/test_databases.py),
# which pytest-django finds migrated (--reuse-db); the copies and the template are dropped when the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$PWD/.venv/bin:$PATH"
PG_URL="${SHANLIAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/shanlian}"
WORKERS="${SHANLIAN_TEST_WORKERS:-auto}"
if [ "$WORKERS" = auto ]; then WORKERS="$(nproc)"; fi
PG_NAME="${PG_URL##*/}"
PARALLEL_DBS=()
for ((i = 0; i < WORKERS; i++)); do PARALLEL_DBS+=("test_${PG_NAME}_gw$i"); done
SERIAL_DBS=("test_${PG_NAME}" "test_${PG_NAME}_shard1")  # as pytest-django names them (see `serial`)

# pytest's exit code 5 (nothing collected: the arguments named no test of that pass) is not a failure.
ok() { [ "$1" -eq 0 ] || [ "$1" -eq 5 ]; }

# The serial tests (the API fuzz) in two processes at once, each with half of them (SHANLIAN_TEST_SHARD, see
# tests/conftest.py) and its own test database; their output is shown when both are done.
serial() {
  local logs rc0=0 rc1=0
  logs="$(mktemp -d)"
  SHANLIAN_TEST_SHARD=0/2 pytest -m serial "$@" >"$logs/0" 2>&1 &
  local first=$!
  if [ -n "${DATABASE_URL:-}" ]; then
    SHANLIAN_TEST_SHARD=1/2 DATABASE_URL="${DATABASE_URL}_shard1" pytest -m serial "$@" >"$logs/1" 2>&1 || rc1=$?
  else
    SHANLIAN_TEST_SHARD=1/2 pytest -m serial "$@" >"$logs/1" 2>&1 || rc1=$?
  fi
  wait "$first" || rc0=$?
  echo "--- serial tests, first half"; cat "$logs/0"
  echo "--- serial tests, second half"; cat "$logs/1"
  rm -rf "$logs"
  ok "$rc0" || return "$rc0"
  ok "$rc1" || return "$rc1"
}

# One database's passes; on PostgreSQL (DATABASE_URL set) the test databases are copies of the template.
passes() {
  local rc=0 reuse=()
  if [ -n "${DATABASE_URL:-}" ]; then
    reuse=(--reuse-db)
    python scripts/test_databases.py copy "$PG_URL" "${PARALLEL_DBS[@]}"
  fi
  pytest -n "$WORKERS" --dist loadfile -m "not serial" "${reuse[@]}" "$@" || rc=$?
  ok "$rc" || return "$rc"
  if [ -n "${DATABASE_URL:-}" ]; then python scripts/test_databases.py copy "$PG_URL" "${SERIAL_DBS[@]}"; fi
  serial "${reuse[@]}" "$@"
}

echo "==> ruff"; ruff check --quiet src tests bench
echo "==> mypy"; mypy --no-error-summary src/shanlian && echo "mypy ok"

echo "==> pytest on SQLite"
(unset DATABASE_URL; passes "$@")

echo "==> pytest on PostgreSQL ($PG_URL)"
if ! python - "$PG_URL" <<'PY'
import sys, psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
try:
    psycopg.connect(url, connect_timeout=5).close()
except Exception as exc:
    print(f"PostgreSQL 不可达 / unreachable at {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  exit 1
fi
trap 'python scripts/test_databases.py drop "$PG_URL" "${PARALLEL_DBS[@]}" "${SERIAL_DBS[@]}"' EXIT
python scripts/test_databases.py template "$PG_URL"
DATABASE_URL="$PG_URL" passes "$@"
