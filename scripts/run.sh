#!/usr/bin/env bash
# The run command: set up, migrate the embedded SQLite database under ./var, load the demo
# province when the database is empty, and serve the console on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export GREENSWORD_DATA_DIR="${GREENSWORD_DATA_DIR:-var}"
.venv/bin/greensword db upgrade
if .venv/bin/greensword db is-empty; then
  echo "== database is empty: generating the demo province (GREENSWORD_DEMO_SCALE=${GREENSWORD_DEMO_SCALE:-province})"
  .venv/bin/greensword demo --scale "${GREENSWORD_DEMO_SCALE:-province}" --seed "${GREENSWORD_DEMO_SEED:-2026}"
fi
# the demo's monitoring points upload a minute record each minute through the gateway (set 0 to stop)
export GREENSWORD_DEMO_FEED="${GREENSWORD_DEMO_FEED:-1}"
echo "== console: http://127.0.0.1:${GREENSWORD_PORT:-8000}  (demo logins: see README)"
exec .venv/bin/greensword serve
