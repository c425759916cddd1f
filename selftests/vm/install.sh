#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ways to install grpsec, tried as an operator would (make check's
# host/install.* lines):
#
#   version            VERSION, dkms.conf, debian/changelog, the man page and
#                      grpsecd.h agree (modinfo and "grpsec version" take
#                      VERSION)
#   make-install       make install DESTDIR=... PREFIX=/usr/local in MODTREE
#                      (where the module was built against Debian's headers):
#                      the module under lib/modules/<ver>/extra, the tool,
#                      library, header, pkg-config file, man page and
#                      completion under DESTDIR, nothing outside it
#   make-install-lib   a program built with pkg-config against that library
#                      (the test vector generator) writes the vectors
#   deb-build          dpkg-buildpackage -us -uc -b in a fresh copy of the tree
#   lintian            no error on the packages
#   deb-install        dpkg -i of grpsec-dkms, grpsec-tools, grpsecd,
#                      libgrpsec1, libgrpsec-dev; their postinst has DKMS
#                      build and
#                      install the module for Debian's kernel (not the
#                      running one, whose headers this machine lacks)
#   deb-tool           the installed tool, man page and completion
#   deb-daemon         the installed grpsecd and grpsecctl, the units, the
#                      user they run as (made by the postinst)
#   deb-library        the vector generator against the installed library
#   dkms-build         dkms status: built and installed for the headers'
#                      kernel; the module has that kernel's vermagic and the
#                      project's version
#   dkms-kernel-update after dkms unbuild for that kernel (the module stays
#                      added), the kernel's header install hook builds and
#                      installs it again
#   deb-remove         dpkg --purge leaves no file, no DKMS entry
#
#   install.sh SRC MODTREE WORKDIR
#
# SRC is a copy of the tree, MODTREE the copy in which grpsec.ko was built
# against Debian's headers with W=1.  Prints "ok|fail|skip NAME [detail]"
# lines on stdout, the commands' output on stderr (no "grep -q" after a
# pipe: under pipefail, the writer's SIGPIPE would fail the check).  The
# package steps need root; they hold a lock so that two runs on one
# machine never run dpkg at the same time, and remove what they installed.
set -uo pipefail

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

src=$1
modtree=$2
work=$3
debs="grpsec-dkms grpsec-tools grpsecd libgrpsec1 libgrpsec-dev"

result() { echo "$*"; echo "=== install.sh: $*" >&2; }

# vectors_check NAME CC_ARGS...: build the test vector generator from
# SRC with CC_ARGS (pkg-config's), run it, compare with the tree's vectors.
vectors_check()
{
	local name=$1 out=$work/$1 srcs
	shift
	rm -rf "$out"
	mkdir -p "$out"
	# The generator's sources as the library's Makefile lists them.
	srcs=$(sed -n 's/^GEN_OBJS := //p' "$src/userspace/lib/Makefile" |
		sed "s|\([^ ]*\)\.o|$src/userspace/lib/\1.c|g")
	# The installed headers come first; the tree's library directory
	# is searched last, for internal.h's byte helpers, which the
	# enrollment vectors use.
	# shellcheck disable=SC2068,SC2086
	cc -O2 -Wall -Wextra -Werror -std=c11 -D_DEFAULT_SOURCE -o "$out/gen-vectors" \
		$srcs $@ -idirafter "$src/userspace/lib" >&2 ||
		{ result fail "$name" "does not build"; return 1; }
	"$out/gen-vectors" "$out" >&2 &&
	cmp "$out/v2.txt" "$src/Documentation/vectors/v2.txt" >&2 &&
	cmp "$out/v2_vectors.h" "$src/Documentation/vectors/v2_vectors.h" >&2 ||
		{ result fail "$name" "vectors differ from Documentation/vectors"; return 1; }
	ldd "$out/gen-vectors" | grep libgrpsec >&2
}

check_version()
{
	local v d c m g
	v=$(cat "$src/VERSION")
	d=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$src/dkms.conf")
	c=$(sed -n '1s/^grpsec (\([^)]*\)).*/\1/p' "$src/debian/changelog")
	m=$(sed -n 's/^\.TH GRPSEC 8 .*"grpsec tools \([^"]*\)".*/\1/p' "$src/userspace/man/grpsec.8")
	g=$(sed -n 's/^#define GRPSECD_VERSION[[:space:]]*"\(.*\)"$/\1/p' \
		"$src/userspace/daemon/grpsecd.h")
	d="VERSION $v, dkms.conf $d, debian/changelog $c, grpsec.8 $m, grpsecd.h $g"
	echo "$d" >&2
	if [ "$d" = "VERSION $v, dkms.conf $v, debian/changelog $v, grpsec.8 $v, grpsecd.h $v" ]; then
		result ok version "$v"
	else
		result fail version "$d"
	fi
}

# make_install: make install with DESTDIR and PREFIX.
make_install()
{
	local root=$work/root p=/usr/local f missing=
	local hdr rel
	hdr=$(distro_headers) || { result fail make-install "no headers"; return; }
	rel=$(kernel_release "$hdr")
	rm -rf "$root"
	if [ -e "/lib/modules/$rel/extra/kernel/grpsec.ko" ]; then
		result skip make-install "this machine has /lib/modules/$rel/extra/kernel/grpsec.ko already"
		return
	fi
	if ! make -C "$modtree" install DESTDIR="$root" PREFIX=$p KDIR="$hdr" W=1 >&2; then
		result fail make-install "make install failed"
		return
	fi
	for f in "/lib/modules/$rel/extra/kernel/grpsec.ko" $p/sbin/grpsec \
		$p/lib/libgrpsec.so.1 $p/lib/libgrpsec.so $p/lib/libgrpsec.a \
		$p/include/grpsec.h $p/lib/pkgconfig/libgrpsec.pc \
		$p/share/man/man8/grpsec.8 $p/share/bash-completion/completions/grpsec; do
		[ -e "$root$f" ] || missing+=" $f"
	done
	(cd "$root" && find . -type f | sort) >&2
	if [ -n "$missing" ]; then
		result fail make-install "not installed:$missing"
	elif [ -e "/lib/modules/$rel/extra/kernel/grpsec.ko" ]; then
		result fail make-install "the module went to /lib/modules, not DESTDIR"
	else
		result ok make-install "$(cd "$root" && find . -type f | wc -l) files"
	fi
	grep -qx "libdir=$p/lib" "$root$p/lib/pkgconfig/libgrpsec.pc" ||
		{ result fail make-install-lib "libgrpsec.pc: libdir is not $p/lib"; return; }
	# shellcheck disable=SC2046
	LD_LIBRARY_PATH=$root$p/lib vectors_check make-install-lib \
		$(PKG_CONFIG_PATH=$root$p/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		  pkg-config --cflags --libs libgrpsec) &&
		result ok make-install-lib "$p/lib/libgrpsec.so.1 through pkg-config"
}

deb_build()
{
	local tree=$work/deb/grpsec n
	rm -rf "$work/deb"
	mkdir -p "$tree"
	sync_tree "$tree" || { result fail deb-build "could not copy the tree"; return 1; }
	if ! (cd "$tree" && dpkg-buildpackage -us -uc -b) >&2; then
		result fail deb-build "dpkg-buildpackage failed"
		return 1
	fi
	result ok deb-build "$(cd "$work/deb" && ls ./*.deb | wc -l) packages"
	(cd "$work/deb" && lintian --fail-on none ./*.changes) > "$work/lintian.log" 2>&1
	cat "$work/lintian.log" >&2
	n=$(grep -c '^E: ' "$work/lintian.log")
	if [ "$n" = 0 ]; then
		result ok lintian "$(grep -c '^W: ' "$work/lintian.log") warnings"
	else
		result fail lintian "$n errors"
	fi
}

deb_purge()
{
	# shellcheck disable=SC2086
	dpkg --purge $debs >&2
}

deb_checks()
{
	local v rel hdr ko st units
	v=$(cat "$src/VERSION")
	hdr=$(distro_headers) || return
	rel=$(kernel_release "$hdr")
	ko=/lib/modules/$rel/updates/dkms/grpsec.ko

	# shellcheck disable=SC2046
	if ! dpkg -i $(for p in $debs; do ls "$work"/deb/"${p}"_*.deb; done) >&2; then
		result fail deb-install "dpkg -i failed"
		deb_purge
		return
	fi
	result ok deb-install "$debs"

	if /usr/sbin/grpsec version | grep "^grpsec tools $v," > /dev/null &&
	   [ -f /usr/share/man/man8/grpsec.8.gz ] &&
	   [ -f /usr/share/bash-completion/completions/grpsec ]; then
		result ok deb-tool "/usr/sbin/grpsec $v"
	else
		/usr/sbin/grpsec version >&2
		result fail deb-tool "tool, man page or completion missing or not $v"
	fi
	units=$(dpkg -L grpsecd | grep '^/lib/systemd/system/.*\.service$')
	echo "units: $units" >&2
	if [ "$(/usr/sbin/grpsecd --version)" != "grpsecd $v" ] ||
	   [ "$(/usr/sbin/grpsecctl --version)" != "grpsecctl $v" ]; then
		result fail deb-daemon "grpsecd or grpsecctl missing or not $v"
	elif [ -z "$units" ]; then
		result fail deb-daemon "no systemd unit in /lib/systemd/system"
	elif ! getent passwd grpsecd >&2; then
		result fail deb-daemon "no user grpsecd after the postinst"
	else
		result ok deb-daemon "grpsecd, grpsecctl $v, $(echo "$units" | wc -l) units"
	fi
	# shellcheck disable=SC2046
	if vectors_check deb-library $(pkg-config --cflags --libs libgrpsec); then
		if ldd "$work/deb-library/gen-vectors" |
		   grep "libgrpsec.so.1 => /\(usr/\)\{0,1\}lib/" > /dev/null; then
			result ok deb-library "$(pkg-config --modversion libgrpsec) through pkg-config"
		else
			result fail deb-library "not linked against the installed libgrpsec.so.1"
		fi
	fi

	st=$(dkms status -m grpsec -v "$v" -k "$rel" 2>&1)
	echo "$st" >&2
	if echo "$st" | grep ": installed" > /dev/null && [ -f "$ko" ] &&
	   modinfo -F vermagic "$ko" | grep "^$rel " > /dev/null &&
	   [ "$(modinfo -F version "$ko")" = "$v" ]; then
		result ok dkms-build "grpsec/$v for $rel"
	else
		result fail dkms-build "grpsec/$v not installed for $rel: $st"
	fi

	# A kernel update: the new kernel's headers come, DKMS builds for it.
	dkms unbuild -m grpsec -v "$v" -k "$rel" >&2
	if [ -f "$ko" ]; then
		result fail dkms-kernel-update "dkms unbuild left $ko"
	else
		/etc/kernel/header_postinst.d/dkms "$rel" >&2
		st=$(dkms status -m grpsec -v "$v" -k "$rel" 2>&1)
		echo "$st" >&2
		if echo "$st" | grep ": installed" > /dev/null && [ -f "$ko" ]; then
			result ok dkms-kernel-update "rebuilt for $rel by its header hook"
		else
			result fail dkms-kernel-update "not rebuilt for $rel: $st"
		fi
	fi

	deb_purge
	st=$(dkms status -m grpsec 2>&1)
	if [ -z "$st" ] && [ ! -e "$ko" ] && [ ! -e "/usr/src/grpsec-$v" ] &&
	   [ ! -e /usr/sbin/grpsec ] && [ ! -e /usr/sbin/grpsecd ] &&
	   ! dpkg -l $debs 2> /dev/null | grep '^ii' > /dev/null; then
		result ok deb-remove
	else
		result fail deb-remove "left behind: $st"
	fi
}

mkdir -p "$work"
check_version
make_install
if deb_build; then
	if [ "$(id -u)" != 0 ]; then
		for t in deb-install deb-tool deb-daemon deb-library dkms-build \
			dkms-kernel-update deb-remove; do
			result skip $t "needs root"
		done
	else
		mkdir -p "${GRPSEC_CACHE:-/var/cache/grpsec}"
		exec 8> "${GRPSEC_CACHE:-/var/cache/grpsec}/.dpkg-lock"
		flock 8
		deb_checks
		exec 8>&-
	fi
fi
