#!/usr/bin/env bash
. "$(dirname "$0")/env.sh"
"$DFL_PYTHON" "$DFL_MAIN" report --workspace-dir "$DFL_WORKSPACE" --model-dir "$DFL_WORKSPACE/model" "$@"
