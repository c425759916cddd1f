#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The grpsec benchmark on one machine: members | gw | backend network
# namespaces over veth (selftests/lib.sh), the same traffic through each
# gateway in turn, then one table of ratios.  `make bench` runs it in the
# test VM; on a machine with the module installed and the programs on
# PATH it runs as it is (as root):
#
#	userspace/bench/bench-netns.sh [PHASE...]
#
# Phases (default: all of them):
#   compare   4,096 members, 128-byte payloads, as fast as the window of
#             1,024 frames in flight allows: the kernel module, the
#             userspace gateway grpsec-gw (recvmmsg/sendmmsg, OpenSSL) and
#             plain IP forwarding without crypto, each BENCH_REPEAT times
#             (default 2), interleaved.  The backend checks each batch's
#             tag but opens no entry (--backend-verify batch), so that the
#             gateway, not the backend's CPU, limits the rate
#   latency   the same three at a steady BENCH_RATE (default 1,000) frames
#             a second, well below every gateway's capacity
#   scale     the kernel module with 16 and with 65,536 members
#   flood     the kernel module: rounds of valid frames, then of frames
#             with a forged outer tag, of the valid frames replayed, and of
#             frames from members the gateway does not know; the group's
#             rate-limit is raised to BENCH_FLOOD_RATE_LIMIT (1,000,000) so
#             that the bound on bad tags a second (drop-unauth-limit, the
#             rate-limit or 1,024 a second) does not refuse the forged
#             frames before their tag check
#   modes     the module and grpsec-gw with an identified and with an
#             anonymous group, the backend opening every entry
#   memory    kernel memory per member: /proc/slabinfo before and after
#             importing BENCH_MEM_MEMBERS (default 65,536) members
#
# CPUs: the members and the backend (grpsec-bench) run on CPU 0, the
# gateway on CPU 1: RPS steers the gateway's receive processing (softirq,
# and so the module's per-CPU worker) to CPU 1, the backend's to CPU 0,
# and grpsec-gw is pinned to CPU 1.  The gateway's CPU time is what a
# SCHED_IDLE busy loop on CPU 1 lost during the run (grpsec-bench --soak);
# CPU 1's busy time in /proc/stat is reported beside it (tick sampled, it
# overstates light, bursty loads).
#
# Both gateways get large send buffers: grpsec-gw asks for 8 MiB, and the
# module gives its upstream socket 4 MiB itself (with the default 208 KiB,
# batches of 9 KB waiting in the backend's backlog filled it and whole
# batches were lost, counted as tx-errors).
#
# BENCH_PERF=/path/to/perf profiles the gateway's CPU during every run
# (perf record -e cpu-clock, the only event without a PMU) and prints the
# hottest symbols after it (without the soaker: CPU time then comes from
# /proc/stat).  BENCH_SOAK=0 measures with /proc/stat alone.
#
# BENCH_ICOUNT=TTY (make bench sets /dev/ttyS2, /dev/hvc1 on arm64) counts the guest
# instructions the gateway's vCPU executes during each run, with QEMU's
# grpsec-icount.so plugin (grpsec-bench --icount); the soaker's spin loop
# is not counted.  Every interrupt is steered to BENCH_CPU, so that the
# serial ports' interrupts (the console's among them) stay off the
# gateway's CPU.
#
# BENCH_PROFILE=1 (make bench BENCH_PROFILE=DIR sets it, with the plugin's
# profile=) writes to that port, after the last run, each counted run's
# label and count ("grpsec-run LABEL INSNS PER_MESSAGE PER_FRAME", in the order of
# the runs) and the guest's /proc/kallsyms, for icount-profile.py.
#
# Environment: BENCH_MEMBERS (4096), BENCH_MESSAGES (20 per member),
# BENCH_PAYLOAD (128), BENCH_REPEAT (2), BENCH_BATCH_MAX (64),
# BENCH_MTU (8972: a 9000-byte link between gateway and backend),
# BENCH_FLUSH_USEC (2000), BENCH_OUT (directory for the JSON and summary
# files, default a fresh one under /tmp), BENCH_GW_CPU (1), BENCH_CPU (0).
# The summary lines are in $BENCH_OUT/summary, one JSON file per run.

top=$(cd "$(dirname "$0")" && pwd)
for d in "$top/../../selftests" /selftests; do
	[ -f "$d/lib.sh" ] && break
done
# shellcheck source=../../selftests/lib.sh
source "$d/lib.sh"
# shellcheck source=../../selftests/gateway_lib.sh
source "$d/gateway_lib.sh"

MEMBERS=${BENCH_MEMBERS:-4096}
MESSAGES=${BENCH_MESSAGES:-20}
PAYLOAD=${BENCH_PAYLOAD:-128}
REPEAT=${BENCH_REPEAT:-2}
BATCH_MAX=${BENCH_BATCH_MAX:-64}
MTU=${BENCH_MTU:-8972}
FLUSH_USEC=${BENCH_FLUSH_USEC:-2000}
MEM_MEMBERS=${BENCH_MEM_MEMBERS:-65536}
BENCH_CPU=${BENCH_CPU:-0}
GW_CPU=${BENCH_GW_CPU:-1}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/grpsec-bench.XXXXXX)}
mkdir -p "$OUT"
SUMMARY=$OUT/summary
RATE=${BENCH_RATE:-1000}
# The soaker would be all perf sees on the gateway CPU.
SOAK=--soak
[ -z "${BENCH_PERF:-}" ] && [ "${BENCH_SOAK:-1}" = 1 ] || SOAK=
FLOOD_RATE_LIMIT=${BENCH_FLOOD_RATE_LIMIT:-1000000}
PHASES=${*:-compare latency scale flood modes memory}

gw_pid=

cleanup_test()
{
	userspace_gw_stop
	gw_cleanup
}

require_root
require_cmd grpsec grpsec-bench grpsec-gw grpsec-keys taskset
[ "$(nproc)" -ge 2 ] || ksft_skip "the benchmark needs two CPUs"
module_load
setup_namespaces
keys_init

# Nothing of a burst may be lost before the gateway sees it: the backlog
# of a CPU holds a whole round, the sockets' buffers too.
echo 65536 > /proc/sys/net/core/netdev_max_backlog
echo $((32 << 20)) > /proc/sys/net/core/rmem_max
echo $((32 << 20)) > /proc/sys/net/core/wmem_max
n_gw "$IP" link set gw-be mtu $((MTU + 28))
n_be "$IP" link set be0 mtu $((MTU + 28))
mask() { printf '%x' $((1 << $1)); }
n_gw sh -c "echo $(mask "$GW_CPU") > /sys/class/net/gw-m/queues/rx-0/rps_cpus"
n_be sh -c "echo $(mask "$BENCH_CPU") > /sys/class/net/be0/queues/rx-0/rps_cpus"
# Device interrupts on the benchmark's CPU; some (per-CPU ones) refuse.
for f in /proc/irq/*/smp_affinity; do
	echo "$(mask "$BENCH_CPU")" > "$f" 2> /dev/null || true
done

cat > "$K/kstats" <<EOF
#!/bin/sh
"$IP" netns exec "$NS_GW" grpsec stats |
	awk '/^total:/ { t = 1; next } /^[^ ]/ { t = 0 } t && NF == 2 { print \$1, \$2 }'
EOF
chmod +x "$K/kstats"

# bench LABEL ARGS...: one run of grpsec-bench, JSON in $OUT/LABEL.json.
bench()
{
	local label=$1 prof=
	shift
	echo "# === $label" >&2
	RUNS="${RUNS:-} $label"
	if [ -n "${BENCH_PERF:-}" ]; then
		"$BENCH_PERF" record -q -e cpu-clock -C "$GW_CPU" -g \
			-o "$OUT/$label.perf" > "$OUT/$label.perf.log" 2>&1 &
		prof=$!
		sleep 1
	fi
	run grpsec-bench --label "$label" --members-netns "$NS_M" \
		--backend-netns "$NS_BE" --listen "$IP_BE:$BE_PORT" \
		--cpus "$BENCH_CPU" --gw-cpus "$GW_CPU" \
		--udp-netns "$NS_GW" --udp-netns "$NS_BE" \
		--payload-size "$PAYLOAD" --progress 5 --window 1024 ${SOAK:+"$SOAK"} \
		${BENCH_ICOUNT:+--icount "$BENCH_ICOUNT"} \
		--json "$OUT/$label.json" --summary "$SUMMARY" "$@"
	if [ -n "$prof" ]; then
		kill -INT "$prof" 2> /dev/null || true
		wait "$prof" || true
		echo "# perf: the gateway CPU during $label, by symbol" >&2
		"$BENCH_PERF" report -i "$OUT/$label.perf" --stdio --no-children \
			--sort sym -g none --percent-limit 0.1 2> /dev/null |
			grep -v '^#' | grep -v '^$' | head -n 70
		"$BENCH_PERF" report -i "$OUT/$label.perf" --stdio --no-children \
			--sort dso -g none 2> /dev/null | grep -v '^#' | grep -v '^$' | head -n 8
	fi
}

# grpsec_args [MODE]: the members' and the backend's keys, for group 1
# in MODE (default identified).
grpsec_args()
{
	local mode=${1:-identified} inner=--s-e2e

	[ "$mode" = identified ] || inner=--k-g
	echo --s-auth "$K/s_auth" "$inner" "$(inner_key 1 "$mode" aes-128-gcm)" \
		--up-secret "$K/up" --gateway-id $GW_ID --mode "$mode" \
		--suite aes-128-gcm --epoch 1
}

# kernel_gw_start N [MODE [group add options...]]: the module listens,
# with N members in group 1.
kernel_gw_start()
{
	local n=$1 mode=${2:-identified}

	shift $(($# < 2 ? $# : 2))
	gw_start batch-max "$BATCH_MAX" mtu "$MTU" flush-usec "$FLUSH_USEC"
	gw_group 1 "$mode" aes-128-gcm 1 "$n" 1 "$@" > /dev/null
}

kernel_gw_stop()
{
	n_gw grpsec listen 0
	n_gw grpsec group del 1
}

# userspace_gw_start N [MODE]: grpsec-gw on the gateway's CPU, N members.
userspace_gw_start()
{
	local mode=${2:-identified}

	rm -f "$K/gw.ready" "$K/gw.stats"
	echo "+ [$NS_GW] taskset -c $GW_CPU grpsec-gw ... &" >&2
	taskset -c "$GW_CPU" "$IP" netns exec "$NS_GW" grpsec-gw \
		--listen $GW_PORT --backend "$IP_BE:$BE_PORT" --gateway $GW_ID \
		--up-secret "$K/up" --group "1:$mode:aes-128-gcm:1:$K/s_auth" \
		--members "1:$1" --batch-max "$BATCH_MAX" --mtu "$MTU" \
		--flush-ms "$(awk "BEGIN { print $FLUSH_USEC / 1000 }")" \
		--timeout 86400 --stats-file "$K/gw.stats" \
		--ready-file "$K/gw.ready" > "$K/gw.out" &
	gw_pid=$!
	wait_for 600 test -s "$K/gw.ready"
}

userspace_gw_stop()
{
	[ -n "$gw_pid" ] || return 0
	kill "$gw_pid" 2> /dev/null
	wait "$gw_pid" 2> /dev/null
	gw_pid=
}

ustats()
{
	echo "kill -USR1 $gw_pid; sleep 0.3; cat $K/gw.stats"
}

forward()
{
	n_gw sh -c "echo $1 > /proc/sys/net/ipv4/ip_forward"
}

# three PREFIX ARGS...: the same traffic through the module, grpsec-gw
# and plain forwarding, labelled kernel.PREFIX, userspace.PREFIX, ...
three()
{
	local p=$1 slab0
	shift
	kernel_gw_start "$MEMBERS"
	slab0=$(slab_total)
	# shellcheck disable=SC2046
	bench "kernel.$p" --target "$IP_GW_M:$GW_PORT" --members "$MEMBERS" \
		--gw-stats "$K/kstats" $(grpsec_args) "$@"
	# What traffic left allocated: the CPUs' keyed transforms (tfm_cache).
	slab_grew "kernel.$p" "$slab0"
	kernel_gw_stop

	userspace_gw_start "$MEMBERS"
	# shellcheck disable=SC2046
	bench "userspace.$p" --target "$IP_GW_M:$GW_PORT" --members "$MEMBERS" \
		--gw-stats "$(ustats)" $(grpsec_args) "$@"
	userspace_gw_stop

	forward 1
	bench "forward.$p" --proto plain --target "$IP_BE:$BE_PORT" \
		--members "$MEMBERS" "$@"
	forward 0
}

phase_compare()
{
	local r
	for r in $(seq "$REPEAT"); do
		three "$r" --messages "$MESSAGES" --backend-verify batch
	done
}

phase_latency()
{
	three latency --messages $(((RATE * 4 + MEMBERS - 1) / MEMBERS)) \
		--rate "$RATE" --backend-verify batch
}

phase_scale()
{
	local total=$((MEMBERS * MESSAGES)) n
	for n in 16 65536; do
		kernel_gw_start $n
		# shellcheck disable=SC2046
		bench "scale.$n" --target "$IP_GW_M:$GW_PORT" --members $n \
			--messages $(((total + n - 1) / n)) --backend-verify batch \
			--gw-stats "$K/kstats" $(grpsec_args)
		kernel_gw_stop
	done
}

phase_flood()
{
	local rounds=$((MESSAGES < 10 ? MESSAGES : 10))
	# The forged rounds send thousands of bad tags a second from
	# addresses that are not the members' endpoints: without a higher
	# rate-limit, all but 1,024 a second would be refused before their
	# tag check (drop-unauth-limit), and the flood would measure that.
	kernel_gw_start "$MEMBERS" identified rate-limit "$FLOOD_RATE_LIMIT"
	# shellcheck disable=SC2046
	bench flood.valid --target "$IP_GW_M:$GW_PORT" --members "$MEMBERS" \
		--messages $rounds --burst --backend-verify batch \
		--gw-stats "$K/kstats" $(grpsec_args)
	# Forged rounds have no arrivals to wait for: each waits until the
	# gateway counted its bad tags, so CPU 1 is busy, not idle, and the
	# soaker's error stays small against what it measures.
	# shellcheck disable=SC2046
	bench flood.forged --target "$IP_GW_M:$GW_PORT" --members "$MEMBERS" \
		--messages $rounds --burst --round-wait bad-tag --tamper-tag \
		--seq-start $((rounds + 1)) \
		--gw-stats "$K/kstats" $(grpsec_args)
	# The floods the gateway drops before any tag check: the valid
	# rounds' frames once more, and frames of members it does not know.
	# shellcheck disable=SC2046
	bench flood.replayed --target "$IP_GW_M:$GW_PORT" --members "$MEMBERS" \
		--messages $rounds --burst --round-wait replay --expect-dropped \
		--gw-stats "$K/kstats" $(grpsec_args)
	# shellcheck disable=SC2046
	bench flood.unknown --target "$IP_GW_M:$GW_PORT" --members "$MEMBERS" \
		--first $((MEMBERS + 1)) --messages $rounds --burst \
		--round-wait unknown-member --expect-dropped \
		--gw-stats "$K/kstats" $(grpsec_args)
	kernel_gw_stop
}

# The same traffic in an identified and in an anonymous group, through the
# module and through grpsec-gw; the backend opens every entry (it has no
# lighter check for anonymous batches), so both modes pay the same there.
phase_modes()
{
	local mode
	for mode in identified anonymous; do
		kernel_gw_start "$MEMBERS" "$mode"
		# shellcheck disable=SC2046
		bench "kernel.$mode" --target "$IP_GW_M:$GW_PORT" --members "$MEMBERS" \
			--messages "$MESSAGES" --gw-stats "$K/kstats" $(grpsec_args "$mode")
		kernel_gw_stop
		userspace_gw_start "$MEMBERS" "$mode"
		# shellcheck disable=SC2046
		bench "userspace.$mode" --target "$IP_GW_M:$GW_PORT" \
			--members "$MEMBERS" --messages "$MESSAGES" \
			--gw-stats "$(ustats)" $(grpsec_args "$mode")
		userspace_gw_stop
	done
}

# idle_background: what the gateway's vCPU executes with nothing to do
# (one datagram, dropped, then 2 s of nothing), the time-dependent part of
# every count: timer ticks and whatever else runs by the clock.
idle_background()
{
	[ -n "${BENCH_ICOUNT:-}" ] || return 0
	bench idle --proto plain --target "$IP_BE:$BE_PORT" --members 1 --messages 1 \
		--expect-dropped --drain 2000
}

# profile_symbols: what icount-profile.py needs to name the profile's
# blocks, to the plugin's port: the runs, then the symbols.
profile_symbols()
{
	local label
	stty -F "$BENCH_ICOUNT" raw -echo 2> /dev/null || true
	{
		echo "grpsec-gw-cpu $GW_CPU"
		for label in $RUNS; do
			sed -n 's/.*"instructions": {"gateway": \([0-9]*\),.*"per_message": \([0-9.]*\), "per_frame": \([0-9.]*\),.*/grpsec-run '"$label"' \1 \2 \3/p' \
				"$OUT/$label.json"
		done
		echo "grpsec-kallsyms"
		awk '$2 ~ /^[tTwW]$/' /proc/kallsyms
		echo "grpsec-end"
	} > "$BENCH_ICOUNT"
}

# slab_bytes: bytes held in slab objects, "CACHE BYTES" lines and a total.
slab_bytes()
{
	awk 'NR > 2 { b = $2 * $4; s += b; print $1, b } END { print "TOTAL", s }' \
		/proc/slabinfo
}

slab_total()
{
	[ -r /proc/slabinfo ] || { echo 0; return; }
	slab_bytes | awk '$1 == "TOTAL" { print $2 }'
}

# slab_grew LABEL BYTES: how much more the slab holds than BYTES, in all
# and per member.
slab_grew()
{
	[ -r /proc/slabinfo ] || return 0
	echo "# $1: slab objects grew by $(( $(slab_total) - $2 )) B during the run," \
		"$(( ($(slab_total) - $2) / MEMBERS )) B per member" >&2
}

phase_memory()
{
	[ -r /proc/slabinfo ] || { echo "# no /proc/slabinfo: memory skipped" >&2; return 0; }
	gw_start batch-max "$BATCH_MAX" mtu "$MTU"
	n_gw grpsec group add 1 suite aes-128-gcm mode identified
	grpsec-keys member --s-auth "$K/s_auth" --suite aes-128-gcm --group 1 \
		--epoch 1 --member 1 --count "$MEM_MEMBERS" --import "$K/import.mem"
	sync
	sleep 1
	slab_bytes > "$K/slab.0"
	n_gw grpsec member import 1 "$K/import.mem" > /dev/null
	sleep 1
	slab_bytes > "$K/slab.1"
	awk -v n="$MEM_MEMBERS" -v out="$OUT/memory.txt" '
		FNR == NR { a[$1] = $2; next }
		{ d = $2 - a[$1]
		  if ($1 == "TOTAL") total = d
		  else if (d / n >= 1) printf "memory: %-24s %+.1f B/member\n", $1, d / n > out }
		END { printf "memory: per member %.0f B in slab objects (%d members)\n",
			     total / n, n > out
		      printf "label=memory members=%d bytes_per_member=%.0f\n", n, total / n }' \
		"$K/slab.0" "$K/slab.1" >> "$SUMMARY"
	cat "$OUT/memory.txt"
	n_gw grpsec group del 1
	n_gw grpsec listen 0
}

report()
{
	awk -v members="$MEMBERS" -v payload="$PAYLOAD" '
	function f(line, k,   a, i, n) {
		n = split(line, a, " ")
		for (i = 1; i <= n; i++)
			if (index(a[i], k "=") == 1)
				return substr(a[i], length(k) + 2)
		return ""
	}
	# The median of the values of variant v, vals[v, 1..n[v]] (or of
	# insn[v, 1..n[v]] when w is "insn").
	function median(v, w,   i, j, t, a, k) {
		k = n[v]
		for (i = 1; i <= k; i++) a[i] = w == "insn" ? insn[v, i] : vals[v, i]
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	{ lab = f($0, "label"); split(lab, p, "[.]"); v = p[1]; row[lab] = $0 }
	(v == "kernel" || v == "userspace" || v == "forward") && p[2] ~ /^[0-9]+$/ {
		n[v]++; pc = f($0, "per_cpu") + 0; vals[v, n[v]] = pc
		sum[v] += pc; if (!(v in mn) || pc < mn[v]) mn[v] = pc; if (pc > mx[v]) mx[v] = pc
		mps[v] += f($0, "mps"); us[v] += f($0, "us_per_msg")
		p50[v] += f($0, "p50_us"); p99[v] += f($0, "p99_us")
		lost[v] += f($0, "lost"); tag[v] += f($0, "tag_checks_per_10000")
		util[v] += f($0, "gw_util"); batch[v] += f($0, "mean_batch")
		ic = f($0, "insns_per_msg")
		if (ic != "") {
			ni[v]++; insn[v, n[v]] = ic + 0
			if (!(v in imn) || ic + 0 < imn[v]) imn[v] = ic + 0
			if (ic + 0 > imx[v]) imx[v] = ic + 0
			isum[v] += ic
		}
	}
	# Instructions per delivered message (per frame sent, for floods that
	# the gateway drops) of one run, or "" without counts.
	function ipm(lab) { return (lab in row) ? f(row[lab], "insns_per_msg") : "" }
	function ipf(lab) { return (lab in row) ? f(row[lab], "insns_per_frame") : "" }
	END {
		# The side-by-side table, when the compare phase ran.
		shown = n["kernel"] + n["userspace"] + n["forward"]
		if (shown) {
			printf "\n%-12s %10s %10s %9s %9s %9s %8s %8s %9s %7s %7s\n", "gateway",
			       "msg/s", "msg/CPU-s", "spread", "us/msg", "gw busy", "p50 us",
			       "p99 us", "tags/10k", "batch", "lost"
			printf "%-12s %10s %10s %9s %9s %9s %8s %8s %9s %7s %7s\n", "", "mean",
			       "median", "", "mean", "mean", "mean", "mean", "mean", "mean", "sum"
		}
		split("kernel userspace forward", order, " ")
		for (i = 1; i <= 3; i++) {
			v = order[i]
			if (!n[v]) continue
			a = sum[v] / n[v]; med[v] = median(v, "")
			printf "%-12s %10.0f %10.0f %8.1f%% %9.2f %8.0f%% %8.0f %8.0f %9.1f %7.1f %7d\n",
			       v, mps[v] / n[v], med[v], a ? 100 * (mx[v] - mn[v]) / a : 0,
			       us[v] / n[v], 100 * util[v] / n[v], p50[v] / n[v],
			       p99[v] / n[v], v == "forward" ? 0 : tag[v] / n[v],
			       batch[v] / n[v], lost[v]
		}
		if (shown)
			printf "(%d members, %d-byte payloads, %d runs each; msg/CPU-s is the median, spread its (max - min) / mean)\n",
			       members, payload, n["kernel"]
		# The same runs counted in guest instructions on the gateway vCPU.
		if (ni["kernel"] + ni["userspace"] + ni["forward"]) {
			printf "\n%-12s %12s %9s %12s %12s\n", "gateway", "insn/msg", "spread",
			       "min", "max"
			for (i = 1; i <= 3; i++) {
				v = order[i]
				if (!ni[v] || ni[v] != n[v]) continue
				imed[v] = median(v, "insn"); a = isum[v] / ni[v]
				printf "%-12s %12.0f %8.2f%% %12.0f %12.0f\n", v, imed[v],
				       a ? 100 * (imx[v] - imn[v]) / a : 0, imn[v], imx[v]
			}
			printf "(instructions the gateway vCPU executed per delivered message, median of the runs)\n"
		}
		for (i = 1; i <= 3; i++) {
			v = order[i] ".latency"
			if (v in row)
				printf "%-18s at %.0f msg/s: p50 %.0f us, p99 %.0f us, %.2f us/msg, %slost %d\n",
				       v, f(row[v], "mps"), f(row[v], "p50_us"), f(row[v], "p99_us"),
				       f(row[v], "us_per_msg"),
				       ipm(v) == "" ? "" : ipm(v) " insn/msg, ", f(row[v], "lost")
		}
		if (n["kernel"] && n["forward"])
			printf "kernel gateway CPU per message vs plain forwarding: %.2fx\n",
			       (us["kernel"] / n["kernel"]) / (us["forward"] / n["forward"])
		if (imed["kernel"] && imed["forward"])
			printf "kernel gateway instructions per message vs plain forwarding: %.0f vs %.0f = %.2fx\n",
			       imed["kernel"], imed["forward"], imed["kernel"] / imed["forward"]
		if (("scale.16" in row) && ("scale.65536" in row)) {
			a = f(row["scale.16"], "per_cpu"); b = f(row["scale.65536"], "per_cpu")
			printf "65,536 members vs 16: %.0f vs %.0f msg/CPU-s = %.0f%%\n", b, a, 100 * b / a
			a = ipm("scale.16"); b = ipm("scale.65536")
			if (a != "" && b + 0)
				printf "65,536 members vs 16 (instructions): %.0f vs %.0f insn/msg = %.0f%%\n",
				       b, a, 100 * a / b
		}
		if (("flood.valid" in row) && ("flood.forged" in row)) {
			a = f(row["flood.valid"], "per_cpu"); b = f(row["flood.forged"], "bad_tag_per_cpu")
			printf "forged frames rejected %.0f/CPU-s vs valid processed %.0f/CPU-s = %.2fx\n", \
			       b, a, a ? b / a : 0
			split("replayed unknown", kind, " ")
			for (i = 1; i <= 2; i++) {
				v = "flood." kind[i]
				if (!(v in row)) continue
				b = f(row[v], "dropped_per_cpu")
				printf "%s frames rejected %.0f/CPU-s vs valid processed %.0f/CPU-s = %.2fx\n", \
				       kind[i], b, a, a ? b / a : 0
			}
			a = ipm("flood.valid")
			split("forged replayed unknown", kind, " ")
			for (i = 1; a != "" && i <= 3; i++) {
				b = ipf("flood." kind[i])
				if (b + 0)
					printf "%s frames (instructions): %.0f insn/frame vs valid %.0f insn/msg = %.2fx cheaper\n",
					       kind[i], b, a, a / b
			}
		}
		split("identified anonymous", kind, " ")
		for (i = 1; i <= 2; i++) {
			a = ipm("kernel." kind[i]); b = ipm("userspace." kind[i])
			if (a != "" && b != "")
				printf "%s group (instructions): kernel %.0f, userspace %.0f insn/msg = %.1fx\n",
				       kind[i], a, b, a ? b / a : 0
		}
		a = ipm("kernel.identified"); b = ipm("kernel.anonymous")
		if (a != "" && b != "")
			printf "kernel, anonymous vs identified (instructions): %.0f vs %.0f insn/msg = %.2fx\n",
			       b, a, a ? b / a : 0
		if ("idle" in row && f(row["idle"], "counted_s") > 0)
			printf "gateway vCPU idle: %.0f instructions/s (timer ticks and the like, in every count)\n", \
			       f(row["idle"], "gw_insns") / f(row["idle"], "counted_s")
		if ("memory" in row)
			printf "kernel memory per member: %s B (slab objects, %s members)\n", \
			       f(row["memory"], "bytes_per_member"), f(row["memory"], "members")
		if (n["kernel"] && n["userspace"] && med["userspace"])
			printf "speedup vs userspace gateway: %.1fx\n", med["kernel"] / med["userspace"]
		if (imed["kernel"] && imed["userspace"])
			printf "speedup vs userspace gateway (instructions): %.1fx\n",
			       imed["userspace"] / imed["kernel"]
	}' "$SUMMARY"
}

: > "$SUMMARY"
idle_background
for phase in $PHASES; do
	case $phase in
	compare | latency | scale | flood | modes | memory) "phase_$phase" ;;
	*) fail "unknown phase \"$phase\"" ;;
	esac
done
[ "${BENCH_PROFILE:-0}" = 1 ] && [ -n "${BENCH_ICOUNT:-}" ] && profile_symbols
echo "# results in $OUT" >&2
echo "=== summary"
cat "$SUMMARY"
report
exit $ksft_pass
