#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) the grpsec test kernel.
#
#   build-kernel.sh normal|debug|arm64
#
# arm64 is the normal kernel cross-built for QEMU's virt machine
# (aarch64-linux-gnu-gcc): config without its x86 lines, plus arm64.config.
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

# The lines of config that only x86 has (arm64 boots an uncompressed Image).
x86_only='^CONFIG_(X86_|KERNEL_GZIP|EARLY_PRINTK|SERIAL_8250|ACPI=|CRYPTO_[A-Z0-9_]*(_NI_INTEL|_SSSE3|_X86_64)=)'
arch_args=()
cc=gcc
case $flavour in
normal) fragments=("$here/config") ;;
debug) fragments=("$here/config" "$here/debug.config") ;;
arm64)
	fragments=("$here/config" "$here/arm64.config")
	arch_args=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	cc=aarch64-linux-gnu-gcc ;;
*) echo "usage: $0 normal|debug|arm64" >&2; exit 1 ;;
esac

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
ccver=$($cc --version | head -n 1)
# fragment: the fragments' lines, for arm64 without config's x86 ones.
fragment()
{
	if [ "$flavour" = arm64 ]; then
		grep -vhE "$x86_only" "${fragments[@]}"
	else
		cat "${fragments[@]}"
	fi
}
key=$( { fragment; cat "$0"; echo "$srcver"; echo "$ccver"; } |
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
fragment > "$out/fragment.config"
start=$SECONDS
make -s -C "$src" O="$out" "${arch_args[@]}" \
	KCONFIG_ALLCONFIG="$out/fragment.config" allnoconfig >&2

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

make -s -C "$src" O="$out" "${arch_args[@]}" -j"$jobs" all >&2
touch "$out/.grpsec-complete"
log "$flavour kernel built in $((SECONDS - start)) s"
echo "$out"
