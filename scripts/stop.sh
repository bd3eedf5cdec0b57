#!/bin/sh
# Stops the rgmd that answers on this user's socket (SIGTERM: clean shutdown).
set -eu
cd "$(dirname "$0")/.."
pid=$(./bin/rgmadm ping -o json 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
if [ -z "$pid" ]; then
	echo "rgmd is not running"
	exit 0
fi
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
echo "rgmd (pid $pid) stopped"
