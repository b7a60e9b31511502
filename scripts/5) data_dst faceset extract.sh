#!/usr/bin/env bash
. "$(dirname "$0")/env.sh"
"$DFL_PYTHON" "$DFL_MAIN" extract --input-dir "$DFL_WORKSPACE/data_dst" --output-dir "$DFL_WORKSPACE/data_dst/aligned" --max-faces-from-image 0 --output-debug "$@"
