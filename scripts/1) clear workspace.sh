#!/usr/bin/env bash
. "$(dirname "$0")/env.sh"
"$DFL_PYTHON" "$DFL_MAIN" workspace clear --workspace-dir "$DFL_WORKSPACE" "$@"
