#!/bin/sh
# make bench: the Go micro-benchmarks, then the end-to-end figures of
# scripts/bench (real rgmd, real binaries), each with its baseline.
set -eu
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'Propose|Get' -benchtime 2000x ./pkg/store/ ./pkg/daemon/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'
go test -run '^$' -bench 'Reopen' -benchtime 10x ./pkg/store/ 2>&1 | grep -E '^(Benchmark|FAIL)'
# Placement (#18): one node-down decision at 32 nodes x 2,000 resources
# against 4 x 200, in-process.
go test -run '^$' -bench 'Place$' -benchtime 2000x ./pkg/engine/ 2>&1 | grep -E '^(Benchmark|FAIL)' | awk '
	{ print }
	/resources=200-/ { base = $3 }
	/resources=2000-/ { big = $3 }
	END { if (base > 0 && big > 0) printf "place   one node-down decision at 32 nodes x 2000 resources: %.3f ms (goal <= 10 ms); ratio %.2fx of 4 x 200\n", big / 1e6, big / base }'
echo
go run ./scripts/bench -bin bin "$@"
