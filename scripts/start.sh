#!/bin/sh
# Starts a single-node rgmd for the current user in the background, with
# no configuration: the socket and state go to the XDG directories (see
# rgmd(8)), its log to rgmd.log in the state directory. Waits until it
# answers, then says where everything is.
set -eu
cd "$(dirname "$0")/.."
bin=$(pwd)/bin
if "$bin/rgmadm" status >/dev/null 2>&1; then
	echo "rgmd is already running:"
	"$bin/rgmadm" status
	exit 0
fi
state=${RGM_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/openrgm}
if [ "$(id -u)" = 0 ]; then state=${RGM_STATE_DIR:-/var/lib/openrgm}; fi
# rgmd refuses a state directory, or a file in it, that group or others
# may write (rgmd(8)): a umask of 002 must not make them so.
umask 077
mkdir -p "$state"
nohup "$bin/rgmd" >>"$state/rgmd.log" 2>&1 </dev/null &
pid=$!
i=0
while ! "$bin/rgmadm" status >/dev/null 2>&1; do
	i=$((i + 1))
	if ! kill -0 "$pid" 2>/dev/null || [ "$i" -gt 100 ]; then
		echo "rgmd did not start; its log ($state/rgmd.log) says:" >&2
		tail -n 20 "$state/rgmd.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "rgmd is running (pid $pid); log: $state/rgmd.log"
echo "try: $bin/rgmadm status   (stop it with: make stop)"
"$bin/rgmadm" status
