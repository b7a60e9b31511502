#!/usr/bin/env bash
# The demo pipeline: installs (scripts/install.sh), then runs the numbered launchers on workspace/ in order,
# without questions (defaults or the values given here). Each stage is one `step` line.
#   bash scripts/demo.sh          quick pipeline check (a few minutes): 20 training iterations, no real swap yet
#   bash scripts/demo.sh --long   trains for DEMO_TRAIN_MINUTES (default 25) at the fastest settings: a recognisable
#                                 swap on 2 CPU cores in about half an hour
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LONG=0
case "${1:-}" in
  --long) LONG=1 ;;
  "") ;;
  *) echo "usage: bash scripts/demo.sh [--long]" >&2; exit 2 ;;
esac
bash "$ROOT/scripts/install.sh"
T0=$(date +%s)

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
if [ "$LONG" = 1 ]; then
  # Quick96 in bfloat16 where the CPU has it: the fastest to a recognisable face in bench/bench_learning.py.
  step "6) train Quick96 no preview" --time-limit "${DEMO_TRAIN_MINUTES:-25}" --mixed-precision
else
  # Bounded and unattended: Quick96 stops (and saves) at iteration 20, about 1-2 min on 2 CPU cores.
  step "6) train Quick96 no preview" --target-iter 20
fi
step "7) merge Quick96" --interactive n
step "8) merged to mp4"
step "9) quality report"
W="${DFL_WORKSPACE:-$ROOT/workspace}"
echo
echo "Demo finished in $(( ($(date +%s) - T0) / 60 )) min: $W/result.mp4, report $W/report.html; the trainer's"
echo "preview with its loss graph and the losses per iteration: $W/model/*_Quick96_preview.jpg, *_Quick96_loss.csv."
if [ "$LONG" = 1 ]; then
  echo "The report's 'faces recognised as the src person' says how much of the video already shows the src face."
else
  echo "What you will see: after only 20 training iterations the merged video shows a blurred, textured patch where"
  echo "the face is. This run checks that every step works; for a face that looks like the src person, run"
  echo "  bash scripts/demo.sh --long     (about 30 minutes on 2 CPU cores)"
fi
echo "The demo videos show real people: never publish the result."
