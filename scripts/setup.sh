#!/usr/bin/env bash
# Set-up shared by `make run` and `make test`: a virtual environment with the pinned Python
# dependencies, the console's front-end libraries from the npm registry, and (for tests) the
# Debian packages the suite needs: PostgreSQL server, Java for Spark, chromium for browser tests.
# Usage: scripts/setup.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "== creating virtual environment .venv"
  "$PY" -m venv .venv
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# A C compiler and the Python headers build the HJ 212 codec's C extensions (setup.py) at install;
# without them the install still succeeds and the pure-Python codec runs, several times slower.
need_build=()
command -v gcc >/dev/null 2>&1 || need_build+=(gcc)
.venv/bin/python -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  || need_build+=(python3-dev)
if [ "${#need_build[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${need_build[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_build[@]}" >/dev/null
fi

stamp=".venv/.installed-$mode"
built() { ls src/greensword/hj212/_crc.*.so src/greensword/hj212/_scan.*.so >/dev/null 2>&1; }
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] \
   || { ! built && command -v gcc >/dev/null 2>&1; }; then
  echo "== installing Python dependencies ($mode)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$mode" = test ]; then
    .venv/bin/python -m pip install --quiet -e '.[test]'
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  touch "$stamp"
fi

if [ ! -f var/vendor/node_modules/htmx.org/dist/htmx.min.js ] || [ ! -f var/vendor/node_modules/echarts/dist/echarts.min.js ] \
   || [ package.json -nt var/vendor/.installed ]; then
  echo "== installing front-end libraries (htmx, ECharts) from the npm registry"
  mkdir -p var/vendor
  cp package.json var/vendor/package.json
  (cd var/vendor && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
  touch var/vendor/.installed
fi

need_apt=()
if [ "$mode" = test ]; then
  command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need_apt+=(postgresql)
  fi
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
