#!/bin/sh
# Stops the rgmd of this user's state directory (SIGTERM: clean shutdown).
# rgmd writes its pid into the state directory's lock file.
set -eu
state=${RGM_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/openrgm}
if [ "$(id -u)" = 0 ]; then state=${RGM_STATE_DIR:-/var/lib/openrgm}; fi
pid=$(tr -cd '0-9' <"$state/lock" 2>/dev/null || true)
# The lock file outlives rgmd: make sure the pid is still an rgmd.
if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != rgmd ]; then
	echo "rgmd is not running"
	exit 0
fi
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -gt 300 ] && { echo "rgmd (pid $pid) did not stop within 30s" >&2; exit 1; }
	sleep 0.1
done
echo "rgmd (pid $pid) stopped"
