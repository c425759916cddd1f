#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The arm64 guest's programs, from Debian's arm64 packages: bash,
# iproute2, kmod, coreutils, busybox and openssl, with the libraries they
# need that the :arm64 -dev packages check.sh installs do not bring.
# These cannot be installed for arm64 beside the machine's own, so they
# are downloaded (apt-get download) and unpacked (dpkg-deb -x) into the
# kernel cache, keyed by their versions.
#
#   arm64-root.sh        prints the directory (unpacking it if missing)
#
# Needs "dpkg --add-architecture arm64" and an apt-get update.
set -euo pipefail

cache=${GRPSEC_CACHE:-/var/cache/grpsec}
pkgs="bash iproute2 kmod coreutils busybox-static openssl
	libtinfo6 libbpf1 libelf1 libmnl0 libbsd0 libmd0 libcap2 libzstd1
	liblzma5 zlib1g libselinux1 libpcre2-8-0 libxtables12"

versions=$(for p in $pkgs; do
	v=$(apt-cache policy "$p:arm64" 2> /dev/null | sed -n 's/^ *Candidate: //p')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		echo "arm64-root: no arm64 package $p (dpkg --add-architecture arm64; apt-get update)" >&2
		exit 1
	fi
	echo "$p:arm64=$v"
done)
key=$( { echo "$versions"; cat "$0"; } | sha256sum | cut -c1-16)
out=$cache/arm64-root-$key

if [ -f "$out/.grpsec-complete" ]; then
	echo "$out"
	exit 0
fi
echo "arm64-root: unpacking Debian's arm64 packages into $out" >&2
rm -rf "$out" "$out.tmp"
mkdir -p "$out.tmp/debs"
# shellcheck disable=SC2086
(cd "$out.tmp/debs" &&
	apt-get download -q -o APT::Sandbox::User=root $versions) >&2
for d in "$out.tmp"/debs/*.deb; do
	dpkg-deb -x "$d" "$out.tmp"
done
rm -rf "$out.tmp/debs"
touch "$out.tmp/.grpsec-complete"
mv "$out.tmp" "$out"
echo "$out"
