#!/bin/sh
# mkdeb.sh ROOT VERSION OUTDIR: split the tree ROOT (a `make install
# DESTDIR=ROOT PREFIX=/usr LIBDIR=/usr/lib/MULTIARCH`) into the Debian
# packages openrgm, libscha1 and libscha-dev, and build them into OUTDIR
# with dpkg's own tools, as debhelper would: the package descriptions,
# symbols file, maintainer scripts, copyright and lintian overrides are in
# scripts/deb/; dpkg-shlibdeps computes the library dependencies,
# dpkg-gensymbols checks libscha's symbols, dpkg-gencontrol writes each
# control file. Prints the paths of the three packages.
set -eu
umask 022
root=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
deb=$here/deb
for t in dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev dpkg-gensymbols:dpkg-dev dpkg-gencontrol:dpkg-dev dpkg-architecture:dpkg-dev strip:binutils readelf:binutils; do
	command -v "${t%%:*}" >/dev/null || { echo "mkdeb: ${t%%:*} is not installed (Debian package ${t#*:})" >&2; exit 1; }
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=usr/lib/$multiarch
[ -f "$root/$libdir/libscha.so.1" ] || { echo "mkdeb: $root/$libdir/libscha.so.1 is missing: stage with LIBDIR=/$libdir" >&2; exit 1; }
maintainer=${DEB_MAINTAINER:-$(sed -n 's/^Maintainer: //p' "$deb/control")}
root=$(cd "$root" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# A scratch source tree: dpkg-gencontrol and dpkg-shlibdeps work in one,
# on debian/control and debian/changelog, with each package's tree in
# debian/PACKAGE.
src=$out/src
rm -rf "$src"
mkdir -p "$src/debian"
sed "s/^Maintainer: .*/Maintainer: $maintainer/" "$deb/control" >"$src/debian/control"
# One changelog entry, dated by the commit built (reproducible), else now.
when=$(git -C "$here" log -1 --format=%aD 2>/dev/null || date -R)
commit=$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)
cat >"$src/debian/changelog" <<CHANGELOG
openrgm ($version) unstable; urgency=medium

  * Built by make deb from OpenRGM's git commit $commit; the changes are
    in the project's git history.

 -- $maintainer  $when
CHANGELOG

# take PKG PATH...: move PATHs (relative to ROOT) into PKG's tree.
take() {
	pkg=$1
	shift
	for p in "$@"; do
		[ -e "$root/$p" ] || [ -L "$root/$p" ] || { echo "mkdeb: $p is not in $root" >&2; exit 1; }
		mkdir -p "$src/debian/$pkg/$(dirname "$p")"
		mv "$root/$p" "$src/debian/$pkg/$p"
	done
}
take libscha1 "$libdir/libscha.so.1" usr/cluster/lib/libscha.so.1
take libscha-dev "$libdir/libscha.so" "$libdir/pkgconfig/libscha.pc" usr/include/scha.h \
	usr/share/man/man3 usr/cluster/lib/libscha.so usr/cluster/include/scha.h \
	usr/share/openrgm/valgrind
# openrgm: everything else.
mkdir -p "$src/debian/openrgm"
(cd "$root" && find . -mindepth 1 -maxdepth 1 -exec mv {} "$src/debian/openrgm/" \;)
find "$src/debian/openrgm" -depth -type d -empty -delete

# Every Go module compiled into the packages must have its paragraph in
# the copyright file.
missing=$(find "$src/debian/openrgm" "$src/debian/libscha1" -type f -exec go version -m {} + 2>/dev/null |
	awk '$1 == "dep" { print $2 }' | sort -u | while read -r mod; do
		grep -q "^Files:.* $mod/\*" "$deb/copyright" || echo "$mod"
	done)
[ -z "$missing" ] || { echo "mkdeb: no paragraph in scripts/deb/copyright for the Go modules: $missing" >&2; exit 1; }

cd "$src"
for pkg in openrgm libscha1 libscha-dev; do
	p=debian/$pkg
	# Manual pages compressed with gzip -9n (no name, no time stamp).
	if [ -d "$p/usr/share/man" ]; then
		find "$p/usr/share/man" -type f ! -name '*.gz' -exec gzip -9nf {} +
	fi
	install -d "$p/usr/share/doc/$pkg" "$p/usr/share/lintian/overrides" "$p/DEBIAN"
	install -m 0644 "$deb/copyright" "$p/usr/share/doc/$pkg/copyright"
	gzip -9n <debian/changelog >"$p/usr/share/doc/$pkg/changelog.Debian.gz"
	chmod 0644 "$p/usr/share/doc/$pkg/changelog.Debian.gz"
	install -m 0644 "$deb/$pkg.lintian-overrides" "$p/usr/share/lintian/overrides/$pkg"
	for s in preinst postinst prerm postrm; do
		if [ -f "$deb/$pkg.$s" ]; then install -m 0755 "$deb/$pkg.$s" "$p/DEBIAN/$s"; fi
	done
	echo "shlibs:Depends=" >"debian/$pkg.substvars"
done

# libscha1: a shared library is 0644 and stripped as dh_strip does (the
# symbol table stays in ./bin/lib for valgrind and debuggers); its
# symbols file is checked against scripts/deb/libscha1.symbols, and the
# shlibs file and the ldconfig trigger are what dh_makeshlibs writes.
lib=debian/libscha1/$libdir/libscha.so.1
chmod 0644 "$lib"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$lib"
dpkg-gensymbols -plibscha1 -Pdebian/libscha1 -v"$version" -c4 -I"$deb/libscha1.symbols" -edebian/libscha1/$libdir/libscha.so.1 >/dev/null
echo "libscha 1 libscha1 (>= ${version%-*})" >debian/libscha1/DEBIAN/shlibs
echo "activate-noawait ldconfig" >debian/libscha1/DEBIAN/triggers
chmod 0644 debian/libscha1/DEBIAN/symbols debian/libscha1/DEBIAN/shlibs debian/libscha1/DEBIAN/triggers

# Dependencies on shared libraries, computed by dpkg-shlibdeps from the
# dynamically linked ELF files (the Go programs are static: openrgm has
# none, and its shlibs:Depends stays empty).
for pkg in openrgm libscha1; do
	dyn=$(find "debian/$pkg" -type f ! -path '*/DEBIAN/*' -exec sh -c 'readelf -d "$1" 2>/dev/null | grep -q "(NEEDED)"' _ {} \; -print)
	if [ -n "$dyn" ]; then dpkg-shlibdeps -Tdebian/$pkg.substvars -Sdebian/libscha1 $dyn; fi
done

arch=$(dpkg --print-architecture)
for pkg in openrgm libscha1 libscha-dev; do
	p=debian/$pkg
	dpkg-gencontrol -p"$pkg" -P"$p" -Tdebian/$pkg.substvars
	(cd "$p" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r md5sum) >"$p/DEBIAN/md5sums"
	chmod 0644 "$p/DEBIAN/md5sums"
	dpkg-deb --root-owner-group --build "$p" "$out/${pkg}_${version}_$arch.deb" >/dev/null
	echo "$out/${pkg}_${version}_$arch.deb"
done
