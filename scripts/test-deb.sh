#!/bin/sh
# test-deb.sh DEB...: the package test of `make test`, on the openrgm,
# libscha1 and libscha-dev packages of `make deb`.
#  1. lintian: no error, no warning, no override that no longer applies.
#  2. Installs the three into an empty root with `dpkg --root`, their
#     maintainer scripts included (they run with DPKG_ROOT set, so
#     deb-systemd-helper makes the enable links inside the root and
#     nothing is started), and checks what went where.
#  3. Uses them: the installed rgmd, on a socket and state directory in
#     the root, answers the installed scha_cluster_get called through its
#     /usr/cluster/bin link, and a C program built against the installed
#     scha.h and libscha through /usr/cluster/include and /usr/cluster/lib.
#  4. Removes them (the state directory stays), purges them while that
#     rgmd still runs (it still stays), stops rgmd, installs and purges
#     openrgm again (now it goes), and checks that nothing is left.
# The host's dpkg database, units and /var/lib/openrgm are not touched;
# runs as root or as any user.
set -eu
for t in lintian dpkg cc; do
	command -v $t >/dev/null || { echo "test-deb: $t is not installed (see .ci/run)" >&2; exit 1; }
done
openrgm= libscha1= libschadev=
for d in "$@"; do
	case $(dpkg-deb -f "$d" Package) in
	openrgm) openrgm=$d ;;
	libscha1) libscha1=$d ;;
	libscha-dev) libschadev=$d ;;
	esac
done
[ -n "$openrgm" ] && [ -n "$libscha1" ] && [ -n "$libschadev" ] || { echo "usage: test-deb.sh OPENRGM.deb LIBSCHA1.deb LIBSCHA-DEV.deb" >&2; exit 2; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
work=$(mktemp -d)
rgmd_pid=
cleanup() {
	if [ -n "$rgmd_pid" ]; then kill -TERM "$rgmd_pid" 2>/dev/null || true; wait "$rgmd_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
fail=0
bad() { echo "test-deb: $*" >&2; fail=1; }

# 1. lintian, whose overrides are in scripts/deb/*.lintian-overrides.
if ! lintian -I --fail-on error,warning --tag-display-limit 0 "$openrgm" "$libscha1" "$libschadev" >"$work/lintian" 2>&1; then
	grep -E '^[EW]:' "$work/lintian" >&2 || cat "$work/lintian" >&2
	bad "lintian reports errors or warnings (above)"
fi
if grep -E 'unused-override|mismatched-override' "$work/lintian" >&2; then
	bad "lintian overrides that no longer apply (above)"
fi

# 2. Install into an empty root.
root=$work/root
admin=$root/var/lib/dpkg
mkdir -p "$admin/info" "$admin/updates" "$admin/triggers"
: >"$admin/status"
: >"$admin/available"
hostlink=/etc/systemd/system/multi-user.target.wants/rgmd.service
[ -e "$hostlink" ] || [ -L "$hostlink" ] && hadhostlink=1 || hadhostlink=0
# libc6 and init-system-helpers are not in the empty root; the
# dependencies are the host's business.
dp() { dpkg --root="$root" --force-depends --force-not-root --force-script-chrootless --log=/dev/null "$@"; }
dp -i "$openrgm" "$libscha1" "$libschadev" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
for p in openrgm libscha1 libscha-dev; do
	dpkg --root="$root" -s $p | grep -q '^Status: install ok installed' || bad "$p is not installed"
	for f in copyright changelog.Debian.gz; do
		[ -f "$root/usr/share/doc/$p/$f" ] || bad "$p has no /usr/share/doc/$p/$f"
	done
done
grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' "$root/usr/share/doc/openrgm/copyright" || bad "copyright is not machine-readable"
# owner PACKAGE PATH: PATH is in the root and belongs to PACKAGE.
owner() {
	[ -e "$root$2" ] || [ -L "$root$2" ] || { bad "missing $2"; return; }
	o=$(dpkg --root="$root" -S "$2" 2>/dev/null | cut -d: -f1)
	[ "$o" = "$1" ] || bad "$2 is in ${o:-no package}, not $1"
}
owner openrgm /usr/sbin/rgmd
owner openrgm /usr/bin/rgmadm
owner openrgm /usr/bin/scha_resource_get
owner openrgm /usr/bin/pmfadm
owner openrgm /usr/lib/systemd/system/rgmd.service
owner openrgm /usr/lib/systemd/system/rgmd.socket
owner openrgm /usr/share/man/man8/rgmd.8.gz
owner openrgm /usr/share/man/man5/rt_reg.5.gz
owner openrgm /usr/share/man/man1/rt_callbacks.1.gz
owner openrgm /usr/cluster/bin/scha_resource_get
owner openrgm /usr/cluster/lib/sc/scds_syslog
owner openrgm /usr/lib/openrgm/callbacks/systemd/systemd_unit.rtr
owner openrgm /usr/lib/openrgm/callbacks/systemd/orgm_systemd_unit
owner openrgm /usr/lib/openrgm/callbacks/orgm_agent
for t in gds/gds logicalhostname/logicalhostname hastorageplus/hastorageplus; do
	owner openrgm /usr/lib/openrgm/callbacks/$t.rtr
done
owner openrgm /usr/lib/openrgm/callbacks/ocf/ocf_start
owner openrgm /usr/share/man/man5/ORGM.gds.5.gz
owner openrgm /usr/share/man/man5/ORGM.ocf.5.gz
[ "$(readlink "$root/usr/lib/openrgm/callbacks/logicalhostname/hostname_prenet_start")" = ../orgm_agent ] || bad "hostname_prenet_start -> $(readlink "$root/usr/lib/openrgm/callbacks/logicalhostname/hostname_prenet_start")"
owner libscha1 /usr/lib/$multiarch/libscha.so.1
owner libscha1 /usr/cluster/lib/libscha.so.1
owner libscha-dev /usr/lib/$multiarch/libscha.so
owner libscha-dev /usr/lib/$multiarch/pkgconfig/libscha.pc
owner libscha-dev /usr/include/scha.h
owner libscha-dev /usr/share/man/man3/scha_resource_get.3.gz
owner libscha-dev /usr/cluster/lib/libscha.so
owner libscha-dev /usr/cluster/include/scha.h
owner libscha-dev /usr/share/openrgm/valgrind/libscha.supp
owner openrgm /usr/share/bash-completion/completions/rgmadm
owner openrgm /usr/share/bash-completion/completions/scha_control
if find "$root/usr/share/man" -type f ! -name '*.gz' | grep .; then bad "uncompressed manual pages (above)"; fi
grep -q '^ExecStart=/usr/sbin/rgmd ' "$root/usr/lib/systemd/system/rgmd.service" || bad "ExecStart not substituted"
grep -q "^libdir=/usr/lib/$multiarch\$" "$root/usr/lib/$multiarch/pkgconfig/libscha.pc" || bad "libscha.pc has the wrong libdir"
dpkg-deb -f "$libscha1" Depends | grep -q '^libc6 (>= ' || bad "libscha1's Depends is not computed: $(dpkg-deb -f "$libscha1" Depends)"
[ "$(dpkg-deb -f "$libschadev" Depends)" = "libscha1 (= $(dpkg-deb -f "$libscha1" Version))" ] || bad "libscha-dev does not depend on its libscha1"
[ -f "$root/var/lib/dpkg/info/libscha1.symbols" ] || bad "libscha1 has no symbols file"
for l in $(find "$root/usr/cluster" -type l); do
	case $(readlink "$l") in
	/*) bad "absolute link ${l#"$root"} -> $(readlink "$l")" ;;
	esac
	[ -e "$l" ] || bad "dangling link ${l#"$root"} -> $(readlink "$l")"
done
[ "$(readlink "$root/usr/cluster/bin/scha_resource_get")" = ../../bin/scha_resource_get ] || bad "/usr/cluster/bin/scha_resource_get -> $(readlink "$root/usr/cluster/bin/scha_resource_get")"
# The postinst enabled the units (in the root: DPKG_ROOT) and started
# nothing.
for l in /etc/systemd/system/sockets.target.wants/rgmd.socket /etc/systemd/system/multi-user.target.wants/rgmd.service; do
	[ -L "$root$l" ] || bad "the postinst did not enable: no $l"
done

# 3. Use them.
sock=$root/run/openrgm/rgmd.sock
state=$root/var/lib/openrgm
mkdir -p "$(dirname "$sock")"
export RGM_SOCKET="$sock" RGM_STATE_DIR="$state"
"$root/usr/sbin/rgmd" --log text --node-name pkgtest >"$work/rgmd.log" 2>&1 &
rgmd_pid=$!
# Until it answers or dies: no time limit, a loaded machine is slow.
until name=$("$root/usr/cluster/bin/scha_cluster_get" -O CLUSTERNAME 2>/dev/null); do
	kill -0 "$rgmd_pid" 2>/dev/null || { cat "$work/rgmd.log" >&2; bad "the installed rgmd did not start"; exit 1; }
	sleep 0.1
done
[ "$name" = openrgm ] || bad "scha_cluster_get -O CLUSTERNAME said '$name'"
# The installed rgmadm registers the installed types by name.
for t in ORGM.gds ORGM.LogicalHostname ORGM.HAStoragePlus; do
	got=$(RGM_TYPES_PATH= "$root/usr/bin/rgmadm" rt register $t) || bad "the installed rgmadm cannot register $t"
	[ "$got" = "$t:1.0" ] || bad "rgmadm rt register $t said '$got'"
done
cat >"$work/prog.c" <<'PROG'
#include <stdio.h>
#include <scha.h>

int main(void)
{
	scha_cluster_t h;
	char *name = NULL;
	scha_err_t e = scha_cluster_open(&h);
	if (e != SCHA_ERR_NOERR)
		return e;
	e = scha_cluster_get(h, SCHA_NODENAME_LOCAL, &name);
	if (e == SCHA_ERR_NOERR)
		printf("%s\n", name);
	scha_cluster_close(h);
	return e;
}
PROG
if cc -I"$root/usr/cluster/include" -o "$work/prog" "$work/prog.c" -L"$root/usr/cluster/lib" -lscha; then
	node=$(LD_LIBRARY_PATH=$root/usr/cluster/lib "$work/prog") || bad "a program linked with the installed libscha failed ($?)"
	[ "${node:-}" = pkgtest ] || bad "a program linked with the installed libscha said '${node:-}'"
else
	bad "no C program builds against the installed scha.h and libscha"
fi

# 4. Remove: the state directory stays, so do the enable links (as with
# debhelper's scripts).
dp -r libscha-dev libscha1 openrgm >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
[ -d "$state" ] || bad "remove took the state directory"
[ -L "$root/etc/systemd/system/multi-user.target.wants/rgmd.service" ] || bad "remove took the enable links"
# Purge while rgmd runs on the state directory: it stays, with a word.
dp -P libscha-dev libscha1 openrgm >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
[ -d "$state" ] || bad "purge took the state directory of a running rgmd"
grep -q 'an rgmd still runs on' "$work/dpkg.log" || bad "purge did not say why it kept the state directory"
kill -TERM "$rgmd_pid"
wait "$rgmd_pid" || bad "rgmd did not stop cleanly: $(tail -n 5 "$work/rgmd.log")"
rgmd_pid=
# Install and purge again, rgmd stopped: now everything goes.
dp -i "$openrgm" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
dp -P openrgm >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
left=$(cd "$root" && find . -path ./var/lib/dpkg -prune -o \( -type f -o -type l \) -print)
if [ -n "$left" ]; then
	bad "files left after purge: $left"
fi
[ ! -e "$state" ] || bad "purge left $state"
if [ $hadhostlink = 0 ] && { [ -e "$hostlink" ] || [ -L "$hostlink" ]; }; then bad "the host got $hostlink"; fi
[ $fail -eq 0 ] && echo "test-deb: $(basename "$openrgm"), $(basename "$libscha1") and $(basename "$libschadev") pass lintian, install, work, remove and purge cleanly"
exit $fail
