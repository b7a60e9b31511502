#!/usr/bin/env bash
# The long demo (a recognisable swap in about half an hour on 2 CPU cores): scripts/demo.sh --long.
exec bash "$(dirname "$0")/demo.sh" --long
