#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test VM with the current tree and run one command in it.
#
#   selftests/vm/boot.sh [options] SCRIPT [ARGS...]
#   selftests/vm/boot.sh [options] -c 'COMMAND'
#   selftests/vm/boot.sh [options]                 (interactive shell)
#
# Options:
#   -f FLAVOUR   normal (default), debug (KASAN, lockdep, kmemleak),
#                distro (Debian's own kernel, linux-image-amd64) or arm64
#                (the normal kernel and the programs cross-built for
#                arm64, on QEMU's virt machine)
#   -c COMMAND   run a shell command instead of a script
#   -a PATH      copy a host file or directory into the guest's /data
#                (repeatable)
#   -n           do not load the module before the command
#   -t SECONDS   kill the VM after this long (default 1800, debug 4500)
#   -B           do not build: reuse what the last run built
#
# Before booting, boot.sh builds what is missing or stale, as make check
# does: the kernel (cached; a first build takes about 10 minutes), the
# module, userspace and the selftests, all in the build directory.
#
# In the guest, SCRIPT runs under bash as root, from /selftests (lib.sh
# and the selftests are there), with grpsec loaded (modprobe grpsec),
# the project's programs in /usr/bin, iproute2's ip, kmod and busybox.
# It has no network to the outside.  Its output and the kernel's console
# messages (warnings and worse) are printed on stdout as they come.  After
# it, the module is unloaded, and on the debug kernel kmemleak is scanned.
#
# Exit status: that of the command; 1 when the command succeeded but the
# kernel logged a splat (BUG, WARNING, KASAN, lockdep, leak), the module
# did not unload, or the guest did not finish (crash, hang, timeout).
# The console log is kept in <build>/boot-<flavour>/console.log.
#
# Environment: GRPSEC_QEMU_ARGS adds QEMU arguments, GRPSEC_KERNEL_ARGS
# kernel command-line parameters (a later loglevel= wins, e.g.
# "loglevel=8" to see the boot); GRPSEC_VM_CPUS, GRPSEC_VM_MEM; and the
# others of common.sh.
set -uo pipefail

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

usage()
{
	sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

flavour=normal
command=
load=1
build=1
tmo=
adds=()
while getopts "f:c:a:nt:Bh" opt; do
	case $opt in
	f) flavour=$OPTARG ;;
	c) command=$OPTARG ;;
	a) adds+=("$OPTARG") ;;
	n) load=0 ;;
	t) tmo=$OPTARG ;;
	B) build=0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
case $flavour in normal | debug | distro | arm64) ;; *) usage ;; esac

mode=shell
if [ -n "$command" ]; then
	mode=run
elif [ $# -gt 0 ]; then
	[ -f "$1" ] || { echo "boot.sh: no such script: $1" >&2; exit 2; }
	mode=run
fi

prepare_build_dir
trap 'release_build_dir $?' EXIT
work=$B/boot-$flavour
mod=$B/mod-$flavour
mkdir -p "$work"
log=$B/log/boot-$flavour-build.log

if ! k=$(find_kernel "$flavour" 2> "$B/log/kernel-$flavour.log"); then
	echo "boot.sh: kernel build failed, see $B/log/kernel-$flavour.log" >&2
	exit 1
fi
if [ $build = 1 ]; then
	say "building (log: $log)"
	: > "$log"
	if [ "$flavour" = arm64 ]; then
		build_programs arm64 "$log" \
			"$(readlink -f "$k/source")/tools/testing/selftests" ||
			say "userspace or selftests build failed, continuing"
	else
		sync_tree "$B/src"
		if [ -f "$B/src/userspace/Makefile" ]; then
			make -C "$B/src/userspace" -j"$JOBS" >> "$log" 2>&1 ||
				say "userspace build failed, continuing without it"
		fi
		if [ -f "$B/src/selftests/Makefile" ]; then
			make -C "$B/src/selftests" >> "$log" 2>&1 ||
				say "selftests build failed, continuing"
		fi
	fi
	# shellcheck disable=SC2046
	if ! build_module "$k" "$mod" "$B/log/module-$flavour.log" \
		$(module_make_args "$flavour"); then
		tail -n 30 "$B/log/module-$flavour.log" >&2
		echo "boot.sh: module build failed" >&2
		exit 1
	fi
fi

rm -rf "$work/extra"
mkdir -p "$work/extra/data"
if [ $mode = run ]; then
	if [ -n "$command" ]; then
		printf '%s\n' "$command" > "$work/extra/cmd.sh"
	else
		script=$1
		shift
		{
			printf 'exec bash /data/%s' "$(basename "$script")"
			printf ' %q' "$@"
			echo
		} > "$work/extra/cmd.sh"
		cp "$script" "$work/extra/data/"
	fi
fi
for a in "${adds[@]}"; do
	cp -a "$a" "$work/extra/data/"
done

conf="MODE=$mode
FLAVOUR=$flavour
LOAD_MODULE=$load"
make_initrd "$work" "$k" "$mod" "$work/initrd.cpio" "$conf" || exit 1

con=$work/console.log
res=$work/results.log
[ -n "$tmo" ] || tmo=$(vm_timeout "$flavour")
if [ $mode = shell ]; then
	run_vm "$flavour" "$k" "$work/initrd.cpio" "$con" "$res" "$tmo" \
		interactive | tee "$con"
else
	run_vm "$flavour" "$k" "$work/initrd.cpio" "$con" "$res" "$tmo" |
		tee "$con"
fi

rc=$(tr -d '\r' < "$res" | sed -n 's/^GRPSEC-RC //p')
status=${rc:-1}
if [ -z "$rc" ] || ! grep -q '^GRPSEC-END' <(tr -d '\r' < "$res"); then
	echo "boot.sh: the guest did not finish (crash, hang or timeout)" >&2
	status=1
fi
if grep -q '^GRPSEC-RESULT fail' <(tr -d '\r' < "$res"); then
	tr -d '\r' < "$res" | sed -n 's/^GRPSEC-RESULT fail /boot.sh: failed: /p' >&2
	[ "$status" != 0 ] || status=1
fi
splats=$(find_splats "$con")
if [ -n "$splats" ]; then
	echo "boot.sh: kernel splat in $con:" >&2
	echo "$splats" | head -n 20 >&2
	[ "$status" != 0 ] || status=1
fi
exit "$status"
