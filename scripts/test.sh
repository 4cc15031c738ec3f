#!/usr/bin/env bash
# The whole test suite: lint, types, then every test on SQLite and again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$PWD/.venv/bin:$PATH"
PG_URL="${SHANLIAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/shanlian}"

echo "==> ruff"; ruff check --quiet src tests bench
echo "==> mypy"; mypy --no-error-summary src/shanlian && echo "mypy ok"

echo "==> pytest on SQLite"
env -u DATABASE_URL pytest "$@"

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
DATABASE_URL="$PG_URL" pytest "$@"
