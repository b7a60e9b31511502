#!/usr/bin/env bash
. "$(dirname "$0")/env.sh"
"$DFL_PYTHON" "$DFL_MAIN" train --training-data-src-dir "$DFL_WORKSPACE/data_src/aligned" --training-data-dst-dir "$DFL_WORKSPACE/data_src/aligned" --model-dir "$DFL_WORKSPACE/model" --model AMP "$@"
