#!/bin/sh
# A cluster of several rgmd on this machine, for trying it: node n1
# opens the cluster on 127.0.0.1:7601, n2, n3, ... join it with a token
# n1 issues, each on the next port. Every node has its own socket, state
# directory and log under DIR (default /tmp/openrgm-cluster-$USER).
#
#   scripts/cluster.sh start [N]   start N nodes (default 3); nodes whose
#                                  rgmd runs already are left alone, so
#                                  this also brings back a node that died
#   scripts/cluster.sh stop        stop them, and what they run (their state stays in DIR)
#   scripts/cluster.sh env NODE    print the RGM_SOCKET=... line for NODE
#
# Then, for instance:
#   eval $(scripts/cluster.sh env n2); bin/rgmadm node list
set -eu
cd "$(dirname "$0")/.."
bin=$(pwd)/bin
dir=${RGM_CLUSTER_DIR:-/tmp/openrgm-cluster-$(id -un)}
base=${RGM_CLUSTER_PORT:-7601}

# running NODE: NODE's rgmd runs: its pid file names a live rgmd serving
# NODE's socket (not a pid that died and was reused since).
running() {
	pid=$(cat "$dir/$1/rgmd.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = rgmd ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--socket $dir/$1/rgmd.sock "
}

wait_ready() { # node pid
	tries=0
	while ! RGM_SOCKET="$dir/$1/rgmd.sock" "$bin/rgmadm" cluster status >/dev/null 2>&1; do
		tries=$((tries + 1))
		if ! kill -0 "$2" 2>/dev/null || [ "$tries" -gt 300 ]; then
			echo "rgmd $1 did not start; its log ($dir/$1/rgmd.log) says:" >&2
			tail -n 20 "$dir/$1/rgmd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

spawn_node() { # index [join-args...]
	n=n$1
	shift
	mkdir -p "$dir/$n"
	nohup "$bin/rgmd" --node-name "$n" --socket "$dir/$n/rgmd.sock" --state-dir "$dir/$n/state" \
		--cluster-addr "127.0.0.1:$((base + ${n#n} - 1))" "$@" >>"$dir/$n/rgmd.log" 2>&1 </dev/null &
	echo $! >"$dir/$n/rgmd.pid"
	started="$started $n"
}

start_node() { # index [join-args...]
	spawn_node "$@"
	wait_ready "n$1" "$(cat "$dir/n$1/rgmd.pid")"
}

# already NODE: NODE's rgmd runs; say so, and leave it alone.
already() {
	running "$1" || return 1
	echo "$1: rgmd runs already (pid $pid): left alone"
	kept="$kept $1"
}

case ${1:-} in
start)
	count=${2:-3}
	mkdir -p "$dir"
	# Nodes that are members already start together: each needs the
	# others for a quorum.
	# Nodes whose rgmd runs already are left alone: a second rgmd of a
	# node would find its port taken.
	started=
	kept=
	k=1
	members=
	while [ "$k" -le "$count" ] && [ -d "$dir/n$k/state/trust" ]; do
		if ! already "n$k"; then
			spawn_node "$k"
			members="$members $k"
		fi
		k=$((k + 1))
	done
	for m in $members; do
		wait_ready "n$m" "$(cat "$dir/n$m/rgmd.pid")"
	done
	if [ "$k" = 1 ]; then
		start_node 1
		k=2
	fi
	while [ "$k" -le "$count" ]; do
		if [ -d "$dir/n$k/state/trust" ]; then
			already "n$k" || start_node "$k" # a member already: no token needed
		else
			tok=$(RGM_SOCKET="$dir/n1/rgmd.sock" "$bin/rgmadm" cluster token 2>/dev/null)
			start_node "$k" --join "127.0.0.1:$base" --token "$tok"
		fi
		k=$((k + 1))
	done
	if [ -z "$started" ]; then
		echo "all $count nodes run already"
	elif [ -n "$kept" ]; then
		echo "started:$started"
	fi
	RGM_SOCKET="$dir/n1/rgmd.sock" "$bin/rgmadm" -o table node list
	echo
	echo "each node's socket, state and log are under $dir/NODE/"
	echo "try: eval \$($0 env n2); $bin/rgmadm cluster status"
	;;
stop)
	pids=
	for p in "$dir"/n*/rgmd.pid; do
		[ -f "$p" ] || continue
		n=$(basename "$(dirname "$p")")
		# Only a live rgmd of that node: a dead one's pid may be
		# another process's now.
		running "$n" && pids="$pids $pid"
		rm -f "$p"
	done
	[ -n "$pids" ] && kill $pids 2>/dev/null || true
	i=0
	while [ -n "$pids" ] && kill -0 $pids 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# Each node's guard, and what its resources run: the harness's fence
	# agent "powers the node off".
	for s in "$dir"/n*/state; do
		[ -d "$s" ] || continue
		printf 'action=off\nplug=%s\n' "$s" | pkg/rgmtest/testdata/fence_rgmtest >/dev/null 2>&1 || true
	done
	;;
env)
	echo "RGM_SOCKET=$dir/${2:?node name}/rgmd.sock; export RGM_SOCKET"
	;;
*)
	echo "usage: $0 start [N] | stop | env NODE" >&2
	exit 2
	;;
esac
