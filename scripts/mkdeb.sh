#!/bin/sh
# mkdeb.sh ROOT VERSION OUTDIR: package the tree ROOT (a `make install
# DESTDIR=ROOT PREFIX=/usr`) as OUTDIR/openrgm_VERSION_ARCH.deb with
# dpkg-deb. No maintainer scripts: installing must not start or enable
# services (containers, image builds); the operator runs
# `systemctl enable --now rgmd.socket rgmd.service`.
set -eu
root=$1 version=$2 out=$3
command -v dpkg-deb >/dev/null || { echo "mkdeb: dpkg-deb is not installed (Debian package dpkg)" >&2; exit 1; }
arch=$(dpkg --print-architecture)
mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: openrgm
Version: $version
Architecture: $arch
Maintainer: OpenRGM developers <openrgm@localhost>
Installed-Size: $size
Depends: libc6
Recommends: systemd, dbus
Section: admin
Priority: optional
Homepage: https://github.com/openrgm/openrgm
Description: resource group manager speaking the Solaris Cluster scha API
 OpenRGM runs services as resources in resource groups on Linux nodes,
 with the scha_* commands, libscha and the callback protocol of Solaris
 Cluster, so existing agents run unchanged. This package holds rgmd and
 its systemd units, rgmadm, the scha_* commands, libscha, the man pages,
 the ORGM.systemd_unit resource type and /usr/cluster compatibility links.
CONTROL
# libscha.so.1 is in /usr/lib: have ld.so's cache refreshed, as
# dh_makeshlibs would.
echo "activate-noawait ldconfig" >"$root/DEBIAN/triggers"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 -r md5sum) >"$root/DEBIAN/md5sums"
mkdir -p "$out"
deb="$out/openrgm_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$root" "$deb" >/dev/null
echo "$deb"
