#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's test command (make check).  Builds and runs everything:
#
#   1. installs the Debian packages it needs (apt-get, only when missing)
#   2. builds or finds the test kernels (build-kernel.sh normal|debug)
#   3. builds userspace and runs the host unit tests
#   4. checkpatch --strict on the kernel sources and the UAPI header
#   5. builds the module against Debian's kernel headers with W=1, then
#      installs it (install.sh): make install, the Debian packages with
#      lintian and dpkg -i, DKMS
#   6. per kernel flavour: builds the module, boots the VM, runs the KUnit
#      suites and the selftests, checks the kernel log for splats; the
#      flavours are the project's kernels (normal, debug) and Debian's
#      own (distro: linux-image-amd64, the module loaded with modprobe
#      from /lib/modules/<ver>/extra; no KUnit) and arm64 (the normal
#      kernel, the module, userspace and the C selftests cross-built for
#      arm64, booted on QEMU's virt machine; the KUnit suites and the
#      selftests of arm64_tests)
#
# Prints one line per test (ok/FAIL/skip <flavour>/<suite>.<case>) and
# ends with the line "N passed, N failed"; exits non-zero on any failure.
#
# Environment:
#   GRPSEC_FLAVOURS   kernels to boot (default "normal debug distro arm64";
#                     distro is Debian's own kernel)
#   GRPSEC_TESTS      selftest name or glob to run (default: all; on
#                     arm64, those of arm64_tests below)
#   GRPSEC_NO_INSTALL set to 1 to never call apt-get
#   GRPSEC_INSTALL_CHECKS 0 to leave out install.sh (make install, the
#                     packages, DKMS)
#   GRPSEC_PARALLEL   0 to boot the kernels one after the other instead of
#                     at the same time as each other and the host checks
#   GRPSEC_VMS        how many VMs run at once (default 2): the others
#                     boot, in the order of GRPSEC_FLAVOURS, as earlier
#                     ones finish
#   and those of common.sh (GRPSEC_BUILD, GRPSEC_CACHE, GRPSEC_VM_TIMEOUT)
set -uo pipefail

# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

flavours=${GRPSEC_FLAVOURS:-normal debug distro arm64}

# The selftests of the arm64 flavour, when GRPSEC_TESTS names none: every
# path through the crypto API and the wire format (uplink, downlink,
# terminate, multicast, batches, rollover, replay across a restart, the
# forgeries and malformed frames), the tool, the netlink policy and fuzz
# tests, the benchmark's smoke run and the gateway daemon.  The others
# (scale, teardown races, the daemon's rekey and crash tests) test no
# architecture-dependent code beyond these and would double the run's
# length under emulation; testing.rst gives the times.
arm64_tests="module_load module_info uplink downlink tamper drops addressing
	terminate multicast rollover rollover_command restart_replay
	restart_clock tool_basic tool_errors teardown nl_policy nl_fuzz
	bench_smoke grpsecd_gateway"

packages="build-essential pkg-config rsync perl cpio kmod bc flex bison procps xz-utils
	libelf-dev qemu-system-x86 busybox-static iproute2 linux-source-6.1
	linux-headers-amd64 libnl-3-dev libnl-genl-3-dev libssl-dev
	libsqlite3-dev clang-14 libclang-rt-14-dev python3-docutils"
packages+=" python3-prometheus-client systemd valgrind curl bash-completion"
packages+=" libpq-dev postgresql util-linux"
packages+=" openssl gnutls-bin"
packages+=" linux-image-amd64"
packages+=" dkms dh-dkms debhelper lintian"
packages+=" python3-cryptography"
# The arm64 flavour: the cross compiler, QEMU's arm64 machine and the
# libraries the programs link, from Debian's arm64 archive (multiarch).
# libpq-dev is amd64's only (arm64-pkgconfig/libpq.pc says why).
arm64_packages="gcc-aarch64-linux-gnu qemu-system-arm libc6-dev:arm64
	libssl-dev:arm64 libnl-3-dev:arm64 libnl-genl-3-dev:arm64
	libsqlite3-dev:arm64 libpq5:arm64"
case " $flavours " in *" arm64 "*) packages+=" $arm64_packages" ;; esac

passed=0
failed=0
skipped=0
failures=()
t0=$SECONDS

report()
{
	local st=$1 name=$2
	shift 2
	case $st in
	ok)
		passed=$((passed + 1))
		echo "ok   $name${*:+ ($*)}" ;;
	skip)
		skipped=$((skipped + 1))
		echo "skip $name${*:+ ($*)}" ;;
	*)
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name${*:+ ($*)}" ;;
	esac
}

note() { echo "# $*"; }

# excerpt [N]: indent stdin, keep the last N lines (default 40).
excerpt() { tr -d '\r' | tail -n "${1:-40}" | sed 's/^/    | /'; }

install_packages()
{
	local p missing=
	[ "${GRPSEC_NO_INSTALL:-0}" = 1 ] && return 0
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2> /dev/null |
			grep -q 'install ok installed' || missing+=" $p"
	done
	[ -n "$missing" ] || return 0
	note "installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing (run as root or install them)" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	{ case $missing in *:arm64*)
		dpkg --print-foreign-architectures | grep -qx arm64 ||
			dpkg --add-architecture arm64 ;;
	  esac &&
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends \
		$missing; } > "$B/log/apt.log" 2>&1 ||
		{ excerpt < "$B/log/apt.log"; return 1; }
}

declare -A kdir

build_kernels()
{
	local f start
	for f in $flavours; do
		start=$SECONDS
		if [ "$f" = distro ]; then
			note "distro kernel (Debian's linux-image-amd64)"
		elif [ "$f" = arm64 ]; then
			note "arm64 kernel (cross-built; a first build takes about 6 minutes)"
		else
			note "$f kernel (a first build takes about 10 minutes)"
		fi
		if kdir[$f]=$(find_kernel "$f" 2> "$B/log/kernel-$f.log"); then
			report ok "$f/kernel-build" "$((SECONDS - start)) s"
		else
			kdir[$f]=
			report FAIL "$f/kernel-build" "log: $B/log/kernel-$f.log"
			excerpt < "$B/log/kernel-$f.log"
		fi
	done
}

build_userspace()
{
	local log=$B/log/userspace.log
	if [ ! -f "$B/src/userspace/Makefile" ]; then
		report skip host/userspace-build "no userspace/Makefile"
		return
	fi
	if make -C "$B/src/userspace" -j"$JOBS" > "$log" 2>&1; then
		report ok host/userspace-build
	else
		report FAIL host/userspace-build "log: $log"
		excerpt < "$log"
	fi
}

# report_tap PREFIX LOG RC [LOGDIR]: one report per TAP line of LOG
# ("ok N - name", "not ok N - name", "# SKIP" for skips) as PREFIX.name;
# a failure shows the end of LOGDIR/name.log, or the lines above it in
# LOG.  No result at all, or exit status RC non-zero without a "not ok",
# fails too.
report_tap()
{
	local prefix=$1 log=$2 rc=$3 logdir=${4:-} n=0 line name
	while read -r line; do
		case $line in
		"ok "[0-9]*" - "*)
			name=${line#* - }
			case $name in
			*"# SKIP"*) report skip "$prefix.${name%% # SKIP*}" \
					"${name#*# SKIP }" ;;
			*) report ok "$prefix.$name" ;;
			esac
			n=$((n + 1)) ;;
		"not ok "[0-9]*" - "*)
			name=${line#* - }
			report FAIL "$prefix.$name"
			if [ -n "$logdir" ]; then
				tail -n 20 "$logdir/$name.log" | excerpt 20
			else
				grep -F -B5 "$line" "$log" | excerpt 10
			fi
			n=$((n + 1)) ;;
		esac
	done < <(tr -d '\r' < "$log")
	if [ $n = 0 ]; then
		report FAIL "$prefix.results" "no test results (exit $rc)"
		excerpt < "$log"
	elif [ "$rc" != 0 ] && ! grep -q '^not ok' "$log"; then
		report FAIL "$prefix.exit-status" "exit $rc"
		excerpt < "$log"
	fi
}

# run_host_unit_tests: the library's own tests, TAP-like output.
run_host_unit_tests()
{
	local t=$B/src/userspace/lib/tests/grpsec-lib-test
	local log=$B/log/lib-test.log rc
	if [ ! -x "$t" ]; then
		report skip host/libgrpsec "no $(basename "$t") built"
		return
	fi
	local args=()
	[ -d "$B/src/Documentation/vectors" ] &&
		args=(--vectors "$B/src/Documentation/vectors")
	(cd "$B/src/userspace/lib" && timeout 600 "$t" "${args[@]}") > "$log" 2>&1
	rc=$?
	report_tap host/libgrpsec "$log" $rc
}

# run_daemon_tests: grpsecd's host tests (userspace/daemon/tests/run.sh,
# every tests/test-*), one line each as host/grpsecd.NAME.
run_daemon_tests()
{
	local d=$B/src/userspace/daemon log=$B/log/grpsecd-tests.log rc
	if [ ! -x "$d/tests/run.sh" ]; then
		report FAIL host/grpsecd "no userspace/daemon/tests/run.sh"
		return
	fi
	"$d/tests/run.sh" -l "$B/log/grpsecd" > "$log" 2>&1
	rc=$?
	report_tap host/grpsecd "$log" $rc "$B/log/grpsecd"
}

build_selftests()
{
	local log=$B/log/selftests.log ksrc=$1
	[ -f "$B/src/selftests/Makefile" ] || return 0
	if make -C "$B/src/selftests" ${ksrc:+KSFT_DIR="$ksrc/tools/testing/selftests"} \
		> "$log" 2>&1; then
		report ok host/selftests-build
	else
		report FAIL host/selftests-build "log: $log"
		excerpt < "$log"
	fi
}

# kernel_source: the unpacked linux-source-6.1 tree of the kernel cache.
kernel_source()
{
	local f d
	for f in $flavours; do
		[ -n "${kdir[$f]:-}" ] && [ -d "${kdir[$f]}/source" ] &&
			{ readlink -f "${kdir[$f]}/source"; return; }
	done
	d=${GRPSEC_CACHE:-/var/cache/grpsec}/linux-source-6.1-$(dpkg-query -W -f='${Version}' linux-source-6.1)
	if [ ! -f "$d/scripts/checkpatch.pl" ]; then
		d=$B/checkpatch
		if [ ! -f "$d/scripts/checkpatch.pl" ]; then
			mkdir -p "$d"
			tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$d" \
				--strip-components=1 --wildcards \
				'linux-source-6.1/scripts/checkpatch.pl' \
				'linux-source-6.1/scripts/spelling.txt' \
				'linux-source-6.1/scripts/const_structs.checkpatch' ||
				return 1
		fi
	fi
	echo "$d"
}

run_checkpatch()
{
	local ksrc=$1 log=$B/log/checkpatch.log files n
	files=$(cd "$B/src" && ls kernel/*.[ch] kernel/tests/*.c uapi/linux/*.h 2> /dev/null)
	if [ -z "$files" ]; then
		report skip host/checkpatch "no kernel sources"
		return
	fi
	# compat.h exists to hold the kernel version checks (STYLE.md rule
	# 18): only there is LINUX_VERSION_CODE allowed.
	# shellcheck disable=SC2086
	(cd "$B/src" &&
	 for f in $files; do
		ignore=
		[ "$f" = kernel/compat.h ] && ignore="--ignore LINUX_VERSION_CODE"
		perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree \
			--show-types --color=never $ignore -f "$f"
	 done) > "$log" 2>&1
	n=$(grep -cE '^(ERROR|WARNING|CHECK):' "$log")
	if [ "$n" = 0 ]; then
		report ok host/checkpatch "$(echo "$files" | wc -l) files"
	else
		report FAIL host/checkpatch "$n findings, log: $log"
		grep -E -A3 '^(ERROR|WARNING|CHECK):' "$log" | excerpt 60
	fi
}

# distro_build: the module against Debian's headers with W=1, in the
# directory the distro flavour boots it from (its build there, with the
# same arguments, then has nothing left to do).
distro_build()
{
	local hdr log=$B/log/module-distro.log
	if ! hdr=$(distro_headers 2>&1); then
		report FAIL host/distro-build "$hdr"
		return
	fi
	if ! build_module "$hdr" "$B/mod-distro" "$log" W=1; then
		report FAIL host/distro-build "$(basename "$hdr"), log: $log"
		excerpt < "$log"
	elif grep -qiE 'warning:' "$log"; then
		report FAIL host/distro-build "warnings with W=1, log: $log"
		grep -iE -A3 'warning:' "$log" | excerpt
	else
		report ok host/distro-build "$(basename "$hdr") W=1"
	fi
}

# check_docs: every page of Documentation/ is valid reStructuredText (a
# malformed table or a broken reference is an error, as in a docs build).
check_docs()
{
	local f log=$B/log/docs.log pages=0 bad=0
	: > "$log"
	for f in "$B"/src/Documentation/*.rst; do
		pages=$((pages + 1))
		/usr/bin/python3 -m docutils --halt=warning --report=warning \
			"$f" /dev/null >> "$log" 2>&1 || bad=$((bad + 1))
	done
	if [ $bad = 0 ]; then
		report ok host/docs "$pages pages"
	else
		sed "s|$B/src/||" "$log" | excerpt 10
		report FAIL host/docs "$bad of $pages pages with errors, log: $log"
	fi
}

# section FILE START END: the lines of FILE between two marker lines.
section()
{
	tr -d '\r' < "$1" | awk -v a="$2" -v b="$3" \
		'index($0, a) { on = 1; next } index($0, b) { on = 0 } on'
}

declare -A vm_pid vm_start

# stop_vms: on an interrupted run, stop the VMs still running (their
# timeout wrappers kill QEMU).
stop_vms()
{
	local p
	for p in "${vm_pid[@]}"; do
		pkill -TERM -P "$p" 2> /dev/null
	done
}
trap 'rc=$?; stop_vms; release_build_dir $rc' EXIT
trap 'exit 130' INT TERM

# prepare_flavour F: build the module against kernel F and the initramfs.
prepare_flavour()
{
	local f=$1 k=${kdir[$1]:-} dir=$B/$1 mod=$B/mod-$1 conf args=()
	local tests=${GRPSEC_TESTS:-}
	[ -n "$k" ] || return 1
	mkdir -p "$dir"
	[ "$f" = distro ] && args=(W=1)
	if [ "$f" = arm64 ]; then
		# shellcheck disable=SC2207
		args=($(module_make_args arm64))
		build_cross_programs || return 1
		# shellcheck disable=SC2086
		tests=${tests:-$(echo $arm64_tests)}
	fi
	if ! build_module "$k" "$mod" "$B/log/module-$f.log" "${args[@]}" ||
	   [ ! -f "$mod/kernel/grpsec.ko" ]; then
		report FAIL "$f/module-build" "log: $B/log/module-$f.log"
		excerpt < "$B/log/module-$f.log"
		return 1
	fi
	report ok "$f/module-build"

	conf="MODE=check
FLAVOUR=$f
TIMEOUT_SCALE=$(case $f in debug) echo 4 ;; distro | arm64) echo 2 ;; *) echo 1 ;; esac)"
	GRPSEC_TESTS=$tests make_initrd "$dir" "$k" "$mod" "$dir/initrd.cpio" "$conf" ||
		{ report FAIL "$f/initrd" "could not build the initramfs"; return 1; }
}

# build_cross_programs: userspace and the C selftests for arm64, in
# src-arm64 (the cross-compiler's warnings, like the native ones, are
# errors for userspace; the selftests' log may have none either).
build_cross_programs()
{
	local log=$B/log/userspace-arm64.log ksrc
	ksrc=$(readlink -f "${kdir[arm64]}/source")
	if ! build_programs arm64 "$log" "$ksrc/tools/testing/selftests"; then
		report FAIL arm64/userspace-build "log: $log"
		excerpt < "$log"
		return 1
	fi
	if grep -v '/kselftest_harness.h:' "$log" | grep -q 'warning:'; then
		report FAIL arm64/userspace-build "warnings, log: $log"
		grep -A3 'warning:' "$log" | excerpt
		return 1
	fi
	report ok arm64/userspace-build "aarch64-linux-gnu-gcc"
}

# start_vm F: boot kernel F in the background.
start_vm()
{
	local f=$1 dir=$B/$1
	note "$f: booting (console: $dir/console.log)"
	rm -f "$dir/qemu.rc"
	(
		run_vm "$f" "${kdir[$f]}" "$dir/initrd.cpio" "$dir/console.log" \
			"$dir/results.log" "$(vm_timeout "$f")" > "$dir/console.log" 2>&1
		echo "$? $SECONDS" > "$dir/qemu.rc"
	) &
	vm_pid[$f]=$!
	vm_start[$f]=$SECONDS
}

vm_queue=()
vm_running=()

# start_queued_vms: boot the flavours of vm_queue, in order, while fewer
# than GRPSEC_VMS run.
start_queued_vms()
{
	local f
	while [ ${#vm_queue[@]} -gt 0 ] &&
	      [ ${#vm_running[@]} -lt "${GRPSEC_VMS:-2}" ]; do
		f=${vm_queue[0]}
		vm_queue=("${vm_queue[@]:1}")
		prepare_flavour "$f" && start_vm "$f" && vm_running+=("$f")
	done
}

# first_done: set done_vm to the first running VM to have ended (its
# qemu.rc written), and take it off vm_running: the next queued one boots
# in the slot it leaves, whichever of the running ones it is.
first_done()
{
	local i
	while :; do
		for i in "${!vm_running[@]}"; do
			done_vm=${vm_running[$i]}
			if [ -f "$B/$done_vm/qemu.rc" ]; then
				unset "vm_running[$i]"
				vm_running=("${vm_running[@]}")
				return
			fi
		done
		sleep 2
	done
}

# collect_flavour F: wait for VM F, then report its results.
collect_flavour()
{
	local f=$1 dir=$B/$1 rc end
	local con=$B/$1/console.log res=$B/$1/results.log
	local n_kunit=0 st name detail case_ splats out failed0=$failed
	[ -n "${vm_pid[$f]:-}" ] || return
	wait "${vm_pid[$f]}"
	read -r rc end < "$dir/qemu.rc" || rc=255 end=$SECONDS
	note "$f: VM ran $((end - vm_start[$f])) s"

	while read -r st name detail; do
		case $name in
		selftests.* | vm.* | kunit.*) ;;
		*) n_kunit=$((n_kunit + 1)) ;;
		esac
		report "$st" "$f/$name" $detail
		[ "$st" = fail ] || continue
		case $name in
		selftests.*)
			# The reason first (a FAIL: line can sit above a long
			# state dump), then the end of the test's output.
			out=$(section "$con" "grpsec-vm: === selftest ${name#selftests.}" \
				"grpsec-vm: === end of selftest")
			grep -E 'FAIL:|^not ok|timed out' <<< "$out" | excerpt 10
			excerpt 30 <<< "$out" ;;
		vm.kmemleak)
			section "$con" "grpsec-vm: === kmemleak report" \
				"grpsec-vm: === end of kmemleak report" | excerpt 60 ;;
		kunit.* | vm.*) ;;
		*)
			case_=${name#*.}
			section "$con" "grpsec-vm: === KUnit log" \
				"grpsec-vm: === end of KUnit log" |
				awk -v c="$case_" '
				index($0, "    # " c ":") { on = 1 }
				on { print }
				$0 ~ "^    not ok [0-9]+ " c "$" { on = 0 }' |
				excerpt 30 ;;
		esac
	done < <(tr -d '\r' < "$res" | sed -n 's/^GRPSEC-RESULT //p')

	# Debian's kernel has no KUnit: its guest reports a skip instead.
	if [ $n_kunit = 0 ] && [ "$f" != distro ]; then
		report FAIL "$f/kunit-results" "no KUnit results: grpsec_kunit.ko missing or KUnit off"
	fi
	if ! tr -d '\r' < "$res" | grep -q '^GRPSEC-END'; then
		if [ $rc = 124 ]; then
			report FAIL "$f/vm-complete" "VM killed after $(vm_timeout "$f") s"
		else
			report FAIL "$f/vm-complete" "guest stopped early (qemu exit $rc): crash or boot failure"
		fi
		excerpt 50 < "$con"
	fi
	splats=$(find_splats "$con")
	if [ -n "$splats" ]; then
		report FAIL "$f/kernel-log-clean" "$(echo "$splats" | wc -l) splat lines"
		# From the first splat on, what the kernel said.
		tr -d '\r' < "$con" | grep -v 'grpsec-vm:' |
			re=$splat_re awk '$0 ~ ENVIRON["re"] { on = 1 } on' |
			head -n 60 | excerpt 60
	else
		report ok "$f/kernel-log-clean"
	fi
	[ $failed = "$failed0" ] || note "$f console log: $con"
}

# icount_check: make bench's instruction counts work.  The QEMU plugin
# (userspace/bench/icount-plugin.c) is built for this machine's QEMU, and
# the normal kernel boots once more with it, for a short benchmark run
# through the module alone (userspace/bench/icount-smoke.sh): the plugin
# loads, sees the markers and answers with plausible counts.  Its own VM,
# so that no selftest runs slower for the plugin; about 20 s.  The plugin
# also profiles that run (profile=, as make bench BENCH_PROFILE=DIR does),
# and icount-profile.py must name blocks holding the whole count, the
# module's among them (normal/bench.icount-profile).
icount_check()
{
	local dir=$B/icount k=${kdir[normal]:-} rc
	local log=$B/log/icount.log so=$B/icount/grpsec-icount.so
	case " $flavours " in *" normal "*) ;; *) return 0 ;; esac
	[ -n "$k" ] && [ -f "$B/mod-normal/kernel/grpsec.ko" ] || return 0
	mkdir -p "$dir"
	if ! make -C "$B/src" icount-plugin ICOUNT_PLUGIN="$so" > "$log" 2>&1; then
		report FAIL normal/bench.icount "plugin build failed, log: $log"
		excerpt < "$log"
		return
	fi
	rm -rf "$dir/extra" "$dir/serial.in" "$dir/profile"
	mkdir -p "$dir/extra/data" "$dir/profile"
	mkfifo "$dir/serial.in"
	: > "$dir/serial.out"
	cp "$B/src/userspace/bench/icount-smoke.sh" "$dir/extra/data/"
	echo 'exec bash /data/icount-smoke.sh /dev/ttyS2 --profile' > "$dir/extra/cmd.sh"
	make_initrd "$dir" "$k" "$B/mod-normal" "$dir/initrd.cpio" "MODE=run
FLAVOUR=normal
LOAD_MODULE=1" ||
		{ report FAIL normal/bench.icount "could not build the initramfs"; return; }
	GRPSEC_QEMU_ARGS="${GRPSEC_QEMU_ARGS:-} -serial pipe:$dir/serial -plugin $so,out=$dir/serial.in,profile=$dir/profile/blocks" \
		run_vm normal "$k" "$dir/initrd.cpio" "$dir/console.log" "$dir/results.log" \
		600 > "$dir/console.log" 2>&1
	rc=$(tr -d '\r' < "$dir/results.log" | sed -n 's/^GRPSEC-RC //p')
	if [ "$rc" = 0 ] && [ -z "$(find_splats "$dir/console.log")" ]; then
		report ok normal/bench.icount \
			"$(tr -d '\r' < "$dir/console.log" | sed -n 's/^# \([0-9.]* gateway instructions per message\).*/\1/p')"
	else
		report FAIL normal/bench.icount "exit ${rc:-none}, console: $dir/console.log"
		excerpt 30 < "$dir/console.log"
		return
	fi
	icount_profile_check "$dir"
}

# icount_profile_check DIR: the smoke run's profile, named by
# icount-profile.py, holds the run's whole count (the blocks that ran
# between the markers, to within the few a vCPU is in as they pass), and
# the module's functions are in it.
icount_profile_check()
{
	local dir=$1 out=$1/profile.txt held mod
	tr -d '\r' < "$dir/serial.out" > "$dir/profile/guest"
	if ! python3 "$B/src/userspace/bench/icount-profile.py" --top 15 "$dir/profile" \
		> "$out" 2>&1; then
		report FAIL normal/bench.icount-profile "icount-profile.py failed: $out"
		excerpt < "$out"
		return
	fi
	held=$(sed -n 's/^=== smoke: .* the profile holds \([0-9.]*\)% of the count$/\1/p' "$out")
	mod=$(sed -n 's/^  by module: .*\[grpsec\] \([0-9]*\).*/\1/p' "$out")
	if [ -n "$held" ] && [ -n "$mod" ] && [ "$mod" -gt 0 ] &&
		awk -v h="$held" 'BEGIN { exit !(h >= 99 && h <= 101) }'; then
		report ok normal/bench.icount-profile \
			"$held% of the count named; grpsec.ko's own functions $mod instructions a message"
	else
		report FAIL normal/bench.icount-profile \
			"held ${held:-nothing}%, grpsec.ko ${mod:-absent}: $out"
		excerpt < "$out"
	fi
}

# fuzz_smoke: a short libFuzzer run of every fuzz target (the frame
# parsers of the kernel and libgrpsec, the backend's batch opener).
fuzz_smoke()
{
	local log=$B/log/fuzz-smoke.log

	[ -f "$B/src/userspace/fuzz/Makefile" ] || return 0
	if make -C "$B/src/userspace" fuzz-smoke \
		FUZZ_SMOKE_TIME="${GRPSEC_FUZZ_TIME:-10}" > "$log" 2>&1; then
		report ok host/fuzz-smoke "${GRPSEC_FUZZ_TIME:-10} s per target"
	else
		report FAIL host/fuzz-smoke "log: $log"
		excerpt < "$log"
	fi
}

# install_checks: make install, the Debian packages and DKMS, tried on
# this machine (install.sh, which removes what it installed).
install_checks()
{
	local log=$B/log/install.log st name detail bad=0
	if [ "${GRPSEC_INSTALL_CHECKS:-1}" = 0 ]; then
		report skip host/install "GRPSEC_INSTALL_CHECKS=0"
		return
	fi
	while read -r st name detail; do
		report "$st" "host/install.$name" $detail
		[ "$st" != fail ] || bad=1
	done < <("$vm_dir/install.sh" "$B/src" "$B/mod-distro" "$B/install" 2> "$log")
	if [ $bad = 1 ]; then
		note "install.sh log: $log"
		grep -B3 -A12 '^=== install.sh: fail' "$log" | excerpt 40
	fi
}

# bench_options_check: make bench refuses a profile without the counts
# it profiles, up front, and takes it with them (make -n: nothing runs).
bench_options_check()
{
	local log=$B/log/bench-options.log

	if make -C "$B/src" -n bench BENCH_PROFILE="$B/profile" BENCH_ICOUNT=0 \
		> "$log" 2>&1; then
		report FAIL host/bench.options "BENCH_PROFILE with BENCH_ICOUNT=0 accepted: $log"
	elif ! grep -q "not with BENCH_ICOUNT=0" "$log"; then
		report FAIL host/bench.options "refused without saying why: $log"
	elif ! make -C "$B/src" -n bench BENCH_PROFILE="$B/profile" > "$log" 2>&1 ||
		! grep -q "icount-profile.py" "$log"; then
		report FAIL host/bench.options "BENCH_PROFILE with the counts not taken: $log"
	else
		report ok host/bench.options "BENCH_PROFILE refused with BENCH_ICOUNT=0, taken with the counts"
	fi
}

host_checks()
{
	run_host_unit_tests
	bench_options_check
	run_daemon_tests
	check_docs
	fuzz_smoke
	if [ -n "$1" ]; then
		run_checkpatch "$1"
	else
		report FAIL host/checkpatch "no kernel source for checkpatch.pl"
	fi
	distro_build
	install_checks
}

main()
{
	local f ksrc
	prepare_build_dir
	install_packages || { report FAIL host/install "apt-get failed"; }
	build_kernels
	sync_tree "$B/src"
	ksrc=$(kernel_source) || ksrc=
	build_userspace
	build_selftests "$ksrc"
	if [ "${GRPSEC_PARALLEL:-1}" = 1 ]; then
		# The VMs boot while the host checks run: emulation is slow,
		# and the debug kernel's run is the longest step.  With two
		# cores, two VMs at a time: the distro VM boots when the
		# normal one is done, and the two end about when the debug
		# one does.
		read -r -a vm_queue <<< "$flavours"
		start_queued_vms
		host_checks "$ksrc"
		while [ ${#vm_running[@]} -gt 0 ]; do
			first_done
			collect_flavour "$done_vm"
			start_queued_vms
		done
	else
		host_checks "$ksrc"
		for f in $flavours; do
			prepare_flavour "$f" && start_vm "$f" && collect_flavour "$f"
		done
	fi
	icount_check

	note "took $((SECONDS - t0)) s; logs in $B"
	if [ $failed != 0 ]; then
		note "failed: ${failures[*]}"
	fi
	[ $skipped = 0 ] || note "$skipped skipped"
	echo "$passed passed, $failed failed"
	[ $failed = 0 ]
}

main "$@"; exit
