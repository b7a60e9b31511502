#!/usr/bin/env bash
# Shared settings sourced by every launcher: repository root, workspace folder and the Python to run.
DFL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DFL_WORKSPACE="${DFL_WORKSPACE:-$DFL_ROOT/workspace}"
if [ -z "${DFL_PYTHON:-}" ]; then
  if [ -x "$DFL_ROOT/.venv/bin/python" ]; then DFL_PYTHON="$DFL_ROOT/.venv/bin/python"; else DFL_PYTHON=python3; fi
fi
DFL_MAIN="$DFL_ROOT/main.py"
export DFL_ROOT DFL_WORKSPACE DFL_PYTHON DFL_MAIN
