#!/bin/sh
# make bench: the Go micro-benchmarks, then the end-to-end figures of
# scripts/bench (real rgmd, real binaries), each with its baseline.
set -eu
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'Propose|Get' -benchtime 2000x ./pkg/store/ ./pkg/daemon/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'
go test -run '^$' -bench 'Reopen' -benchtime 10x ./pkg/store/ 2>&1 | grep -E '^(Benchmark|FAIL)'
# The remote API's layer alone (TLS, HTTP, JSON; a backend that answers at once).
go test -run '^$' -bench 'Call' -benchtime 2000x ./pkg/api/ 2>&1 | grep -E '^(Benchmark|FAIL)'
echo
go run ./scripts/bench -bin bin "$@"
