#!/usr/bin/env bash
# Installs what is missing (scripts/install.sh), then runs the test suite (or the test files/options given).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install.sh"
cd "$ROOT"
if [ $# -eq 0 ]; then set -- tests; fi
exec "$ROOT/.venv/bin/python" -m pytest -q "$@"
