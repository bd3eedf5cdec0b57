#!/bin/sh
# make lint: the Go tree must be tidy, formatted and free of go vet and
# staticcheck findings. CI (.ci/run) runs it before the tests; any finding
# fails the run.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
# The staticcheck release that knows this Go; pinned so that a new release
# cannot fail CI on code that did not change.
STATICCHECK_VERSION=v0.8.2
status=0

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))
if [ -n "$unformatted" ]; then
	echo "lint-go: not gofmt-formatted (run gofmt -w):" >&2
	echo "$unformatted" >&2
	status=1
fi

if ! $GO mod tidy -diff >/tmp/lint-go-tidy.$$ 2>&1; then
	echo "lint-go: go.mod or go.sum is not tidy (run go mod tidy):" >&2
	cat /tmp/lint-go-tidy.$$ >&2
	status=1
fi
rm -f /tmp/lint-go-tidy.$$

$GO vet ./... || status=1

if command -v staticcheck >/dev/null 2>&1; then
	staticcheck ./... || status=1
else
	# go run builds it once into the build cache, outside this module.
	$GO run honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION ./... || status=1
fi

[ $status -eq 0 ] && echo "lint-go: gofmt, go mod tidy, go vet and staticcheck clean"
exit $status
