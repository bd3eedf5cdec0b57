#!/bin/sh
# test-deb.sh DEB: install DEB into an empty root with `dpkg --root`, check
# the layout, remove and purge it, and check that nothing is left. Fast
# (no chroot, no maintainer scripts) and safe: the host's dpkg database is
# not touched.
set -eu
deb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
admin=$tmp/var/lib/dpkg
mkdir -p "$admin/info" "$admin/updates" "$admin/triggers"
: >"$admin/status"
: >"$admin/available"
# libc6 is not in the empty root; the dependency is the host's business.
# A normal user may install into a root of its own (make test runs as one).
notroot=
[ "$(id -u)" -eq 0 ] || notroot=--force-not-root
dp() { dpkg --root="$tmp" --force-depends --force-script-chrootless $notroot --log=/dev/null "$@"; }
dp -i "$deb" >"$tmp.log" 2>&1 || { cat "$tmp.log" >&2; exit 1; }
rm -f "$tmp.log"
fail=0
check() { [ -e "$tmp$1" ] || [ -L "$tmp$1" ] || { echo "test-deb: missing $1" >&2; fail=1; }; }
check /usr/sbin/rgmd
check /usr/bin/rgmadm
check /usr/bin/scha_resource_get
check /usr/lib/systemd/system/rgmd.service
check /usr/lib/systemd/system/rgmd.socket
check /usr/share/man/man8/rgmd.8
check /usr/share/man/man5/rt_reg.5
check /usr/share/man/man1/rt_callbacks.1
check /usr/cluster/bin/scha_resource_get
check /usr/share/bash-completion/completions/rgmadm
check /usr/share/bash-completion/completions/scha_control
check /usr/lib/openrgm/callbacks/systemd/systemd_unit.rtr
check /usr/lib/openrgm/callbacks/systemd/orgm_systemd_unit
grep -q '^ExecStart=/usr/sbin/rgmd ' "$tmp/usr/lib/systemd/system/rgmd.service" || { echo "test-deb: ExecStart not substituted" >&2; fail=1; }
[ "$(readlink "$tmp/usr/cluster/bin/scha_resource_get")" = /usr/bin/scha_resource_get ] || { echo "test-deb: /usr/cluster/bin link is wrong" >&2; fail=1; }
for l in "$tmp"/usr/cluster/bin/* "$tmp"/usr/cluster/lib/* "$tmp"/usr/cluster/lib/sc/* "$tmp"/usr/cluster/include/*; do
	[ -L "$l" ] || continue
	[ -e "$tmp$(readlink "$l")" ] || { echo "test-deb: dangling link ${l#$tmp} -> $(readlink "$l")" >&2; fail=1; }
done
dpkg --root="$tmp" -s openrgm | grep -q '^Status: install ok installed' || { echo "test-deb: not installed" >&2; fail=1; }
dp --purge openrgm >/dev/null
left=$(cd "$tmp" && find . -path ./var/lib/dpkg -prune -o \( -type f -o -type l \) -print)
if [ -n "$left" ]; then
	echo "test-deb: files left after purge:" >&2
	echo "$left" >&2
	fail=1
fi
[ $fail -eq 0 ] && echo "test-deb: $(basename "$deb") installs and purges cleanly"
exit $fail
