#!/usr/bin/env bash
# The whole test suite: lint, types, then every test on SQLite and again on PostgreSQL. On each database the tests
# run in parallel (pytest-xdist, a worker per core, each test file on one worker so its module fixtures are made
# once), then the `serial` ones in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$PWD/.venv/bin:$PATH"
PG_URL="${SHANLIAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/shanlian}"
WORKERS="${SHANLIAN_TEST_WORKERS:-auto}"

# pytest's exit code 5 (nothing collected: the arguments named no test of that pass) is not a failure.
passes() {
  local rc=0
  pytest -n "$WORKERS" --dist loadfile -m "not serial" "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then return "$rc"; fi
  rc=0
  pytest -m serial "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then return "$rc"; fi
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
DATABASE_URL="$PG_URL" passes "$@"
