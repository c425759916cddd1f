# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers of the VM test harness, sourced by check.sh and boot.sh.
#
# Layout of the build directory (GRPSEC_BUILD, default build/vm in the
# source tree; it ignores itself for git):
#
#   src/                 copy of the source tree; userspace and C selftests
#                        are built here, so the work tree stays clean
#   src-arm64/           the same for the arm64 flavour: userspace and the
#                        C selftests cross-built (aarch64-linux-gnu-gcc)
#   mod-<flavour>/       copy of the tree the module is built in, one per
#                        kernel (normal, debug, distro, arm64)
#   <flavour>/          initrd.cpio, console.log, results.log of check.sh
#   boot-<flavour>/     the same for boot.sh
#   log/                 build logs
#
# Environment:
#   GRPSEC_BUILD         build directory (default <tree>/build/vm)
#   GRPSEC_CACHE         kernel cache (default /var/cache/grpsec)
#   GRPSEC_VM_TIMEOUT    seconds before a VM is killed (default 1800 normal
#                        and distro, 4500 debug)
#   GRPSEC_VM_CPUS, GRPSEC_VM_MEM  guest size (default 2, 2G)
#   GRPSEC_QEMU_ARGS     more QEMU arguments
#   GRPSEC_KERNEL_ARGS   more kernel command-line parameters

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$vm_dir/../.." && pwd)
B=${GRPSEC_BUILD:-$top/build/vm}
JOBS=${JOBS:-$(nproc)}

# Tools and libraries copied into the guest when the host has them.  The
# required ones are installed by check.sh; the optional ones help a test
# or a debugging session when present.
guest_tools_required="/usr/bin/bash /usr/sbin/ip /usr/sbin/genl /usr/bin/kmod
	/usr/bin/timeout"
guest_tools_optional="/usr/sbin/ss /usr/sbin/tc /usr/sbin/bridge
	/usr/bin/socat /usr/bin/tcpdump /usr/sbin/tcpdump /usr/bin/strace
	/usr/sbin/ethtool /usr/bin/jq /usr/bin/openssl"

# Kernel messages that mean a bug even when every test passed.  Only
# console lines carrying a printk timestamp are matched, so test output
# that happens to contain these words does not count.  arm64 says "Call
# trace", "Internal error" and "Unable to handle kernel" where x86 says
# "Call Trace", "invalid opcode" and "general protection fault".
splat_re='^.*\[ *[0-9]+\.[0-9]+\] .*(BUG:|Kernel BUG|WARNING:|Oops|invalid opcode|KASAN|possible circular locking|lockdep|unreferenced object|Call [Tt]race|Kernel panic|general protection fault|Internal error:|Unable to handle kernel|hung_task|INFO: task .* blocked|RCU stall|rcu_sched self-detected)'

say() { echo "vm: $*" >&2; }

# prepare_build_dir: create the build directory and take it for this
# run.  When another run (make check, boot.sh) holds it, this one works
# in a private directory beside it instead, removed at exit when the run
# passed: two runs must never share a build or a console log.  A '*'
# .gitignore keeps every artifact out of git without touching the
# tree's own ignore rules.
prepare_build_dir()
{
	local rel first
	mkdir -p "$B"
	exec 9> "$B/.lock"
	if ! flock -n 9; then
		B=$B.$$
		private_build=$B
		say "another run holds the build directory; using $B"
		mkdir -p "$B"
	fi
	mkdir -p "$B/log"
	rel=${B#"$top"/}
	[ "$rel" != "$B" ] || return 0
	first=${rel%%/*}
	[ -f "$top/$first/.gitignore" ] || echo '*' > "$top/$first/.gitignore"
}

# release_build_dir STATUS: at exit, remove a private build directory if
# the run passed.
release_build_dir()
{
	if [ -n "${private_build:-}" ] && [ "$1" = 0 ]; then
		rm -rf "$private_build"
	fi
}

# git_files: the files git has or would add (tracked, and untracked
# but not ignored), as rsync patterns anchored at the top.  Fails outside
# a git checkout.
git_files()
{
	local list
	list=$(git -C "$top" ls-files --cached --others --exclude-standard) ||
		return
	printf '%s\n' "$list" | sed -n 's|^.|/&|p'
}

# sync_tree DEST: copy the source tree to DEST, leaving out .git, the
# build directory and whatever .gitignore ignores (build products of an
# in-tree build), keeping timestamps so that make stays incremental.
# Files vanishing while they are copied (another build running in the
# tree) are not an error.
sync_tree()
{
	local err rc=0 inc
	mkdir -p "$1"
	# rsync's ".gitignore" filter does not know git's "!" exceptions
	# ("/tests/test-*" but "!/tests/test-*.sh"): in a git checkout,
	# every file git has is included by name before it.  The filter
	# still keeps DEST's own build products from --delete.
	inc=$(mktemp)
	git_files > "$inc" 2> /dev/null || : > "$inc"
	err=$(rsync -aL --delete --exclude=/.git --exclude=/build \
		--exclude='.tmp_*' --include-from="$inc" --filter=':- .gitignore' \
		"$top/" "$1/" 2>&1) || rc=$?
	rm -f "$inc"
	case $rc in
	0 | 24) return 0 ;;
	*) echo "$err" >&2; return "$rc" ;;
	esac
}

# find_kernel FLAVOUR: build-kernel.sh under a lock, so that two runs
# never build the same cache entry at once (the second waits and then
# finds the kernel built).  Prints the kernel's build directory; for the
# distro flavour, that of Debian's headers (see distro_kernel).
find_kernel()
{
	local cache=${GRPSEC_CACHE:-/var/cache/grpsec}
	[ "$1" != distro ] || { distro_kernel; return; }
	mkdir -p "$cache"
	flock "$cache/.build-lock" "$vm_dir/build-kernel.sh" "$1"
}

# distro_headers: the newest of Debian's kernel headers trees (those of
# linux-headers-amd64).
distro_headers()
{
	local hdr
	hdr=$(ls -d /usr/src/linux-headers-*-amd64 2> /dev/null | sort -V | tail -n 1)
	[ -n "$hdr" ] || { echo "no /usr/src/linux-headers-*-amd64" >&2; return 1; }
	echo "$hdr"
}

# distro_kernel: Debian's own kernel, the one linux-headers-amd64 is for.
# Prints its headers directory, after checking that the kernel image of
# the same package version is installed (linux-image-amd64) with its
# modules, so that the module the tests build is for the kernel they boot.
distro_kernel()
{
	local hdr rel hv iv
	hdr=$(distro_headers) || return 1
	rel=$(kernel_release "$hdr")
	hv=$(dpkg-query -W -f='${Version}' "linux-headers-$rel" 2> /dev/null)
	iv=$(dpkg-query -W -f='${Version}' "linux-image-$rel" 2> /dev/null)
	if [ -z "$iv" ] || [ ! -f "/boot/vmlinuz-$rel" ] ||
	   [ ! -f "/lib/modules/$rel/modules.dep" ]; then
		echo "linux-image-$rel is not installed (apt-get install linux-image-amd64)" >&2
		return 1
	fi
	if [ "$hv" != "$iv" ]; then
		echo "linux-headers-$rel is $hv but linux-image-$rel is $iv" >&2
		return 1
	fi
	echo "$hdr"
}

# kernel_release KDIR: the release the kernel reports (uname -r).  Debian's
# headers have the upstream version in include/config/kernel.release, so
# it is read where the kernel itself takes it from.
kernel_release()
{
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h"
}

# kernel_file KDIR NAME: the kernel's image (NAME bzImage) or System.map:
# in the build tree for the project's kernels, in /boot for Debian's,
# whose headers tree has neither.
kernel_file()
{
	local kdir=$1
	case $2 in
	bzImage) [ -f "$kdir/arch/x86/boot/bzImage" ] &&
			{ echo "$kdir/arch/x86/boot/bzImage"; return; }
		echo "/boot/vmlinuz-$(kernel_release "$kdir")" ;;
	System.map) [ -f "$kdir/System.map" ] &&
			{ echo "$kdir/System.map"; return; }
		echo "/boot/System.map-$(kernel_release "$kdir")" ;;
	esac
}

# The kernel modules the tests need where the kernel has them as modules
# (Debian's; the project's kernels have them built in): the crypto API's
# algorithms and drivers, whole, so that the kernel finds gcm(aes) or
# rfc7539(chacha20,poly1305) through its aliases as on a gateway, and
# the network modules with what they depend on.
guest_module_trees="kernel/crypto kernel/arch/x86/crypto kernel/lib/crypto"
guest_modules="udp_tunnel ip6_udp_tunnel veth"

# copy_system_modules ROOT KVER: copy those modules from this machine's
# /lib/modules/KVER, when it has that kernel installed.
copy_system_modules()
{
	local root=$1 kver=$2 sys=/lib/modules/$2 t m
	[ -f "$sys/modules.dep" ] || return 0
	for t in $guest_module_trees; do
		[ -d "$sys/$t" ] || continue
		mkdir -p "$root/lib/modules/$kver/$(dirname "$t")"
		cp -a "$sys/$t" "$root/lib/modules/$kver/$(dirname "$t")/"
	done
	for m in $guest_modules; do
		modprobe -S "$kver" --show-depends "$m" || return 1
	done | sed -n 's/^insmod \([^ ]*\).*/\1/p' | sort -u | while read -r m; do
		mkdir -p "$root$(dirname "$m")"
		cp "$m" "$root$m"
	done
}

# build_module KDIR DEST LOG [make args...]: build kernel/ against KDIR in
# DEST, a fresh copy of the tree.  Returns make's status.
build_module()
{
	local kdir=$1 dest=$2 log=$3
	shift 3
	sync_tree "$dest"
	make -C "$kdir" M="$dest" -j"$JOBS" "$@" modules > "$log" 2>&1
}

# module_files DEST: the modules the last M= build in DEST produced.  A
# module that is no longer built may still lie there (the copy keeps
# objects to stay incremental): modules.order lists only current ones.
module_files()
{
	local m
	[ -f "$1/modules.order" ] || return 0
	while read -r m; do
		m=${m%.o}
		m=${m%.ko}.ko
		case $m in /*) ;; *) m=$1/$m ;; esac
		[ -f "$m" ] && echo "$m"
	done < "$1/modules.order"
}

# copy_bin ROOT FILE [DESTDIR]: copy an executable and the libraries and
# loader it needs (as ldd reports them) into ROOT.
copy_bin()
{
	local root=$1 f=$2 dir=${3:-$(dirname "$2")} lib
	mkdir -p "$root$dir"
	cp -L "$f" "$root$dir/"
	ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# The arm64 guest: where its libraries are found on this machine (Debian's
# arm64 packages unpacked by arm64-root.sh first, then the :arm64
# libraries installed with the -dev packages).
arm64_triplet=aarch64-linux-gnu

# cross_libs ROOT FILE LIBDIRS...: copy the shared libraries an arm64
# FILE needs (readelf's NEEDED: ldd cannot run it), and theirs, from the
# first of LIBDIRS that has each, into ROOT.  A library found nowhere is
# an error that names it.
cross_libs()
{
	local root=$1 f=$2 lib d found
	shift 2
	for lib in $(readelf -d "$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		[ -e "$root/usr/lib/$arm64_triplet/$lib" ] && continue
		found=
		for d in "$@"; do
			[ -e "$d/$lib" ] && { found=$d/$lib; break; }
		done
		[ -n "$found" ] ||
			{ echo "$f needs $lib, which none of $* has" >&2; return 1; }
		mkdir -p "$root/usr/lib/$arm64_triplet"
		cp -L "$found" "$root/usr/lib/$arm64_triplet/"
		cross_libs "$root" "$found" "$@" || return
	done
}

# copy_bin_cross ROOT FILE DESTDIR SYSROOT: copy_bin for an arm64
# program: the file, its loader and its libraries (cross_libs).
copy_bin_cross()
{
	local root=$1 f=$2 dir=$3 sys=$4 interp
	mkdir -p "$root$dir"
	cp -L "$f" "$root$dir/"
	interp=$(readelf -l "$f" | sed -n 's/.*program interpreter: \(.*\)]$/\1/p')
	if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
		mkdir -p "$root$(dirname "$interp")"
		cp -L "$interp" "$root$interp" || return
	fi
	cross_libs "$root" "$f" "$sys/usr/lib/$arm64_triplet" "$sys/lib/$arm64_triplet" \
		"/usr/lib/$arm64_triplet" "/lib/$arm64_triplet"
}

# sysroot_prog SYSROOT PATH: where the unpacked packages have the program
# this machine has at PATH.  Before usrmerge Debian's packages put some
# in /bin or /sbin, with absolute symlinks (to this machine's programs,
# here) beside them: only a regular file counts.
sysroot_prog()
{
	local d n=${2##*/}
	for d in usr/bin usr/sbin bin sbin; do
		[ -f "$1/$d/$n" ] && [ ! -L "$1/$d/$n" ] &&
			{ echo "$1/$d/$n"; return 0; }
	done
	return 1
}

# kernel_arch KDIR: arm64 for a kernel cross-built for arm64, else x86_64.
kernel_arch()
{
	if [ -f "$1/arch/arm64/boot/Image" ]; then echo arm64; else echo x86_64; fi
}

# flavour_src FLAVOUR: the copy of the tree userspace and the C selftests
# are built in for FLAVOUR's architecture.
flavour_src()
{
	if [ "$1" = arm64 ]; then echo "$B/src-arm64"; else echo "$B/src"; fi
}

# cross_make_args: make's arguments for the arm64 programs (the compiler,
# the archiver, no fuzz targets); run with cross_pkg_config's environment.
cross_make_args=("CC=$arm64_triplet-gcc" "AR=$arm64_triplet-ar" FUZZ=)
cross_pkg_config="PKG_CONFIG_LIBDIR=/usr/lib/$arm64_triplet/pkgconfig:/usr/share/pkgconfig:$vm_dir/arm64-pkgconfig"

# module_make_args FLAVOUR: the module build's arguments for FLAVOUR.
module_make_args()
{
	[ "$1" != arm64 ] || echo "ARCH=arm64 CROSS_COMPILE=$arm64_triplet-"
}

# build_programs FLAVOUR LOG [KSFT_DIR]: sync the tree to flavour_src and
# build userspace and the C selftests there, for FLAVOUR's architecture
# (with the same -Werror flags on both).
build_programs()
{
	local f=$1 log=$2 ksft=${3:-} dest
	local -a args=()
	dest=$(flavour_src "$f")
	[ "$f" != arm64 ] || args=("${cross_make_args[@]}")
	sync_tree "$dest" || return
	(
		[ "$f" != arm64 ] || export "${cross_pkg_config?}"
		make -C "$dest/userspace" -j"$JOBS" "${args[@]}" &&
		make -C "$dest/selftests" "${args[@]}" ${ksft:+KSFT_DIR="$ksft"}
	) > "$log" 2>&1
}

# make_initrd WORKDIR KDIR MODDIR OUT CONF: build the guest's initramfs
# in WORKDIR/root.  CONF is the text of /etc/grpsec-vm.conf (read by
# init); files placed in WORKDIR/extra beforehand are copied to /.  For an
# arm64 kernel the programs are arm64's: Debian's from arm64-root.sh, the
# project's from src-arm64.
make_initrd()
{
	local work=$1 kdir=$2 moddir=$3 out=$4 conf=$5
	local root=$work/root kver f t arch src=$B/src sys=
	kver=$(kernel_release "$kdir")
	arch=$(kernel_arch "$kdir")
	rm -rf "$root"
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc,proc,sys,dev,run,tmp,var,root}
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	ln -s ../run "$root/var/run"
	# The kernel opens the console before init could mount devtmpfs.
	mknod -m 600 "$root/dev/console" c 5 1 2> /dev/null || true

	if [ "$arch" = arm64 ]; then
		sys=$("$vm_dir/arm64-root.sh") || return 1
		src=$(flavour_src arm64)
		# The results channel: the virtio console (run_vm).
		conf+=$'\nRESULTS_TTY=hvc0'
		for f in $guest_tools_required; do
			t=$(sysroot_prog "$sys" "$f") ||
				{ echo "no arm64 $f in $sys" >&2; return 1; }
			copy_bin_cross "$root" "$t" "$(dirname "$f")" "$sys" || return 1
		done
		for f in $guest_tools_optional; do
			t=$(sysroot_prog "$sys" "$f") || continue
			copy_bin_cross "$root" "$t" "$(dirname "$f")" "$sys" || return 1
		done
		cp "$sys/bin/busybox" "$root/usr/bin/busybox"
	else
		for f in $guest_tools_required; do
			copy_bin "$root" "$f"
		done
		for f in $guest_tools_optional; do
			[ -x "$f" ] && copy_bin "$root" "$f"
		done
		cp /bin/busybox "$root/usr/bin/busybox"
	fi
	# Where the kernel looks for modprobe (/sbin/modprobe) to load
	# what a module asks for, such as a crypto algorithm.
	for t in modprobe insmod rmmod lsmod modinfo depmod; do
		ln -s ../bin/kmod "$root/usr/sbin/$t"
	done
	# The applets of this machine's busybox: the arm64 one is the same
	# Debian version and configuration, and cannot run here.
	for t in $(/bin/busybox --list); do
		[ -e "$root/usr/bin/$t" ] || [ -e "$root/usr/sbin/$t" ] ||
			ln -s busybox "$root/usr/bin/$t"
	done

	# The project's programs, where they were built.
	for f in "$src/userspace/tool/grpsec" \
		"$src"/userspace/sim/grpsec-* \
		"$src/userspace/daemon/grpsecd" \
		"$src/userspace/daemon/grpsecctl" \
		"$src/userspace/daemon/tests/helper-kernel" \
		"$src/userspace/bench/grpsec-bench"; do
		[ -x "$f" ] || continue
		if [ "$arch" = arm64 ]; then
			copy_bin_cross "$root" "$f" /usr/bin "$sys" || return 1
		else
			copy_bin "$root" "$f" /usr/bin
		fi
	done

	# Modules, with the kernel's lists of built-in modules so that
	# "modprobe veth" succeeds for a built-in driver.
	local mdir=$root/lib/modules/$kver
	mkdir -p "$mdir/extra"
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		if [ -f "$kdir/$f" ]; then
			cp "$kdir/$f" "$mdir/"
		elif [ -f "/lib/modules/$kver/$f" ]; then
			cp "/lib/modules/$kver/$f" "$mdir/"
		fi
	done
	copy_system_modules "$root" "$kver" || return 1
	[ -n "$moddir" ] && module_files "$moddir" | while read -r f; do
		cp "$f" "$mdir/extra/"
	done
	depmod -b "$root" -F "$(kernel_file "$kdir" System.map)" "$kver"

	# The selftests, as listed by tests.list.
	mkdir -p "$root/selftests"
	rsync -a --exclude=/vm --exclude='*.o' "$src/selftests/" \
		"$root/selftests/"
	list_selftests "$src" > "$root/selftests/tests.list" || return 1

	cp "$vm_dir/init" "$root/init"
	chmod 755 "$root/init"
	printf '%s\n' "$conf" > "$root/etc/grpsec-vm.conf"
	echo "root:x:0:0:root:/root:/bin/bash" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$root/etc/hosts"
	[ -d "$work/extra" ] && cp -a "$work/extra/." "$root/"

	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out"
}

# list_selftests [SRC]: the selftests to run, one a line: every executable *.sh
# but lib.sh and *_lib.sh (helpers), and every program built from a *.c,
# filtered by GRPSEC_TESTS (names, with or without .sh, or globs, separated
# by commas or spaces).  A filter that matches nothing is an error, not an
# empty run that passes.
list_selftests()
{
	local f n p found=0
	local -a pats=()

	IFS=', ' read -r -a pats <<< "${GRPSEC_TESTS:-}"
	cd "${1:-$B/src}/selftests" || return 1
	for f in *.sh *.c; do
		[ -e "$f" ] || continue
		case $f in
		lib.sh | *_lib.sh) continue ;;
		*.c) f=${f%.c} ;;
		esac
		{ [ -f "$f" ] && [ -x "$f" ]; } || continue
		n=${f%.sh}
		if [ ${#pats[@]} -gt 0 ]; then
			for p in "${pats[@]}"; do
				# shellcheck disable=SC2254
				case $f in $p) break ;; esac
				# shellcheck disable=SC2254
				case $n in $p) break ;; esac
			done
			# shellcheck disable=SC2254
			case $f in $p) ;; *) case $n in $p) ;; *) continue ;; esac ;; esac
		fi
		echo "$f"
		found=1
	done
	cd - > /dev/null || return 1
	if [ ${#pats[@]} -gt 0 ] && [ $found = 0 ]; then
		echo "no selftest matches GRPSEC_TESTS=$GRPSEC_TESTS" >&2
		return 1
	fi
}

# run_vm FLAVOUR KDIR INITRD CONSOLE RESULTS TIMEOUT [interactive]: boot.
# The kernel console (ttyS0; ttyAMA0 on arm64) goes to stdout; the guest
# writes its machine-readable results to ttyS1 (a virtio console, hvc0,
# on arm64: QEMU's virt machine has one UART), which lands in RESULTS.
# arm64 boots QEMU's virt machine with -cpu max, whose AES, PMULL and
# NEON instructions the Crypto Extensions drivers use.
# shellcheck disable=SC2086
run_vm()
{
	local kdir=$2 initrd=$3 results=$5 tmo=$6 interactive=${7:-}
	local -a qemu
	# loglevel=5 puts warnings (WARN_ON, lockdep) on the console too: with
	# loglevel=4 only errors and worse would show.
	local append="panic=-1 oops=panic loglevel=5 ${GRPSEC_KERNEL_ARGS:-}"
	local con=stdio
	[ -z "$interactive" ] || con=mon:stdio
	: > "$results"
	if [ "$(kernel_arch "$kdir")" = arm64 ]; then
		# shellcheck disable=SC2054
		qemu=(qemu-system-aarch64 -M virt -cpu max
			-kernel "$kdir/arch/arm64/boot/Image" -serial "$con"
			-device virtio-serial-device
			-chardev "file,id=results,path=$results"
			-device virtconsole,chardev=results)
		append="console=ttyAMA0 $append"
	else
		qemu=(qemu-system-x86_64 -cpu max
			-kernel "$(kernel_file "$kdir" bzImage)"
			-serial "$con" -serial "file:$results")
		append="console=ttyS0 $append"
	fi
	qemu+=(-accel tcg -smp "${GRPSEC_VM_CPUS:-2}" -m "${GRPSEC_VM_MEM:-2G}"
		-no-reboot -nic none -initrd "$initrd" -append "$append")
	if [ -n "$interactive" ]; then
		timeout --foreground "$tmo" "${qemu[@]}" -nographic ${GRPSEC_QEMU_ARGS:-}
	else
		timeout "$tmo" "${qemu[@]}" -display none -monitor none \
			${GRPSEC_QEMU_ARGS:-} < /dev/null
	fi
}

vm_timeout()
{
	if [ -n "${GRPSEC_VM_TIMEOUT:-}" ]; then
		echo "$GRPSEC_VM_TIMEOUT"
	elif [ "$1" = debug ]; then
		echo 4500
	elif [ "$1" = distro ]; then
		echo 1800
	else
		echo 1800
	fi
}

# find_splats CONSOLE: print the kernel splat lines of a console log.
find_splats()
{
	tr -d '\r' < "$1" | grep -E "$splat_re" | grep -v 'grpsec-vm:' || true
}
