#!/usr/bin/env bash
# Runs a command (the web server) and a job worker (`manage.py jobs_worker`) side by side, as
# one unit: when either exits, or on Ctrl+C / SIGTERM, the other is stopped too and the exit
# status of the first one to end is returned. Used by `make run` and `make serve-prod`.
#   scripts/run_with_worker.sh PYTHON -- COMMAND ARGS...
set -uo pipefail
py=$1; shift; [ "${1:-}" = "--" ] && shift

"$py" manage.py jobs_worker &
worker=$!
"$@" &
server=$!

stop() { kill -TERM "$server" "$worker" 2>/dev/null; }
trap 'stop' INT TERM
trap 'stop; wait' EXIT
wait -n "$server" "$worker"
status=$?
exit "$status"
