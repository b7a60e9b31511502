#!/usr/bin/env bash
# The demo pipeline: installs (scripts/install.sh), then runs the numbered launchers on workspace/ in order,
# without questions (defaults or the values given here). Each stage is one `step` line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install.sh"

step() {
  local name="$1"
  shift
  echo "=== $name"
  bash "$ROOT/scripts/$name.sh" --non-interactive "$@"
}

step "1) clear workspace" --yes
step "2) extract images from video data_src" --fps 0 --output-ext png
step "3) extract images from video data_dst FULL FPS" --output-ext png
step "4) data_src faceset extract" --detector centerface --face-type wf
step "5) data_dst faceset extract" --detector centerface --face-type wf
# Bounded and unattended: Quick96 stops (and saves) at iteration 20, about 1-2 min on 2 CPU cores.
step "6) train Quick96 no preview" --target-iter 20
step "7) merge Quick96" --interactive n
step "8) merged to mp4"
step "9) quality report"
