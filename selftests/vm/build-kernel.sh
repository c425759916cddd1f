#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) the grpsec test kernel.
#
#   build-kernel.sh normal|debug
#
# Prints the build directory on stdout.  The cache lives outside the
# repository (GRPSEC_CACHE, default /var/cache/grpsec) and is keyed by the
# config fragments, this script, the linux-source-6.1 package version and
# the compiler version, so a changed input rebuilds from scratch.
set -euo pipefail

flavour=${1:-normal}
here=$(cd "$(dirname "$0")" && pwd)
cache=${GRPSEC_CACHE:-/var/cache/grpsec}
jobs=${JOBS:-$(nproc)}

case $flavour in
normal) fragments=("$here/config") ;;
debug) fragments=("$here/config" "$here/debug.config") ;;
*) echo "usage: $0 normal|debug" >&2; exit 1 ;;
esac

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
ccver=$(gcc --version | head -n 1)
key=$( { cat "${fragments[@]}" "$0"; echo "$srcver"; echo "$ccver"; } |
	sha256sum | cut -c1-16)
src=$cache/linux-source-6.1-$srcver
out=$cache/kernel-$flavour-$key

log() { echo "build-kernel: $*" >&2; }

if [ -f "$out/.grpsec-complete" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
if [ ! -f "$src/.grpsec-unpacked" ]; then
	log "unpacking linux-source-6.1 $srcver"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.grpsec-unpacked"
	mv "$src.tmp" "$src"
fi

log "building $flavour kernel in $out (cache key $key, -j$jobs)"
rm -rf "$out"
mkdir -p "$out"
cat "${fragments[@]}" > "$out/fragment.config"
start=$SECONDS
make -s -C "$src" O="$out" KCONFIG_ALLCONFIG="$out/fragment.config" allnoconfig >&2

# allnoconfig drops a symbol whose dependencies are missing without a word;
# refuse such a config instead of booting a kernel that lacks what the
# tests need.
missing=0
while read -r line; do
	case $line in
	CONFIG_*=*) grep -qx "$line" "$out/.config" ||
		{ log "option did not stick: $line"; missing=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		! grep -q "^$sym=" "$out/.config" ||
		{ log "option should be off: $sym"; missing=1; } ;;
	esac
done < "$out/fragment.config"
[ $missing = 0 ] || exit 1

make -s -C "$src" O="$out" -j"$jobs" all >&2
touch "$out/.grpsec-complete"
log "$flavour kernel built in $((SECONDS - start)) s"
echo "$out"
