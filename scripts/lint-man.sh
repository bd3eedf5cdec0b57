#!/bin/sh
# Every man page must pass `mandoc -T lint` (warnings count as failures).
set -eu
cd "$(dirname "$0")/.."
if ! command -v mandoc >/dev/null 2>&1; then
	echo "lint-man: mandoc is not installed (Debian package mandoc)" >&2
	exit 1
fi
pages=$(find man -type f -name '*.[0-9]' | sort)
[ -n "$pages" ] || { echo "lint-man: no man pages"; exit 0; }
# -W warning: report warnings and worse; mandoc exits non-zero on them.
# Cross references to pages that are not installed on this machine are
# not errors of ours.
out=$(mandoc -T lint -W warning $pages 2>&1 | grep -v 'referenced manual not found' || true)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "lint-man: $(echo "$pages" | wc -l) pages clean"
