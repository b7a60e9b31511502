#!/usr/bin/env bash
. "$(dirname "$0")/env.sh"
"$DFL_PYTHON" "$DFL_MAIN" view --input-dir "$DFL_WORKSPACE/data_dst/aligned_debug" "$@"
