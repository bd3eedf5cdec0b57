#!/bin/sh
# make bench: the Go micro-benchmarks, then the end-to-end figures of
# scripts/bench (real rgmd, real binaries), each with its baseline.
set -eu
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'Propose|Get' -benchtime 2000x ./pkg/store/ ./pkg/daemon/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'
go test -run '^$' -bench 'Reopen' -benchtime 10x ./pkg/store/ 2>&1 | grep -E '^(Benchmark|FAIL)'
# Placement (#18): one node-down decision at 32 nodes x 2,000 resources
# against 4 x 200, in-process; then with load limits (#22).
go test -run '^$' -bench 'Place$' -benchtime 2000x ./pkg/engine/ 2>&1 | grep -E '^(Benchmark|FAIL)' | awk '
	{ print }
	/\/nodes=4,resources=200-/ { base = $3 }
	/\/nodes=32,resources=2000-/ { big = $3 }
	/loaded,nodes=4,resources=200-/ { lbase = $3 }
	/loaded,nodes=32,resources=2000-/ { lbig = $3 }
	END { if (base > 0 && big > 0) printf "place   one node-down decision at 32 nodes x 2000 resources: %.3f ms (goal <= 10 ms); ratio %.2fx of 4 x 200\n", big / 1e6, big / base
	      if (lbase > 0 && lbig > 0) printf "place   the same with Load_factors on every group and load limits on every node: %.3f ms (goal <= 10 ms); ratio %.2fx of 4 x 200\n", lbig / 1e6, lbig / lbase }'
# The remote API's layer alone (remote.Client's get: TLS, the wire protocol
# chosen by ALPN, the role and revocation checks; a backend that answers at once).
go test -run '^$' -bench 'Call' -benchtime 2000x ./pkg/api/ 2>&1 | grep -E '^(Benchmark|FAIL)'
echo
go run ./scripts/bench -bin bin "$@"
