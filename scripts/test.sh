#!/usr/bin/env bash
# The test command: set up (with test extras and Debian packages), lint, run the whole suite on
# SQLite, then the database tests again against a real PostgreSQL server started here.
# pytest's exit code 5 ("no tests collected") counts as failure.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test || exit 1

check() { # name, exit code
  if [ "$2" -eq 5 ]; then echo "!! $1: no tests were collected"; exit 1; fi
  if [ "$2" -ne 0 ]; then echo "!! $1 failed (exit $2)"; exit "$2"; fi
}

echo "== ruff"
.venv/bin/ruff check src tests benchmarks; check ruff $?

echo "== import contracts (layers, no cycles, domain boundaries: pyproject.toml [tool.importlinter])"
PYTHONPATH=src .venv/bin/lint-imports --no-logo; check lint-imports $?

echo "== pytest (SQLite)"
.venv/bin/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider "$@"; check "pytest (SQLite)" $?

echo "== pytest -m db (PostgreSQL)"
pgdir=$(mktemp -d /tmp/greensword-pg.XXXXXX)
url=$(scripts/pg.sh start "$pgdir") || { cat "$pgdir"/*.log; exit 1; }
trap 'scripts/pg.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
GREENSWORD_TEST_DATABASE_URL="$url" .venv/bin/python -m pytest -m db -p no:cacheprovider; check "pytest (PostgreSQL)" $?
echo "== all checks passed"
