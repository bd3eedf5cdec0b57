#!/bin/sh
# The Debian version of this tree: the tag's version (v1.2.3 -> 1.2.3) when
# HEAD is tagged, else 0~gitN.HASH (N commits; ~ sorts before any release),
# with +dirty for uncommitted changes; then the Debian revision -1 (the
# packaging is built from this tree, scripts/deb/).
set -eu
cd "$(dirname "$0")/.."
if ! git rev-parse HEAD >/dev/null 2>&1; then echo 0~dev-1; exit 0; fi
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null); then
	v=${tag#v}
else
	v=0~git$(git rev-list --count HEAD).$(git rev-parse --short HEAD)
fi
git diff --quiet HEAD 2>/dev/null || v=$v+dirty
echo "$v-1"
