#!/usr/bin/env bash
. "$(dirname "$0")/env.sh"
"$DFL_PYTHON" "$DFL_MAIN" exportdfm --model-dir "$DFL_WORKSPACE/model" --model AMP "$@"
