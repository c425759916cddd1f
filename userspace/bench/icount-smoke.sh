#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The instruction counts of make bench work: in the test VM under QEMU
# with grpsec-icount.so (make check boots it so, for this script alone),
# one short grpsec-bench run through the module, the gateway's work on
# CPU 1 with the soaker beside it, as make bench runs it.  The counts must
# come back for every vCPU, non-zero, with the gateway's mostly kernel
# code, and per message within what a gateway can plausibly execute: a
# plugin that counts nothing, counts the soaker's spin loop or loses the
# markers fails.  Usage: icount-smoke.sh TTY [--profile] (the plugin's
# serial port; --profile when the plugin has profile=: what
# icount-profile.py needs to name the blocks goes to TTY afterwards, as
# make bench BENCH_PROFILE=DIR writes it).

tty=${1:?usage: icount-smoke.sh TTY [--profile]}
for d in "$(dirname "$0")/../../selftests" /selftests; do
	[ -f "$d/lib.sh" ] && break
done
# shellcheck source=../../selftests/lib.sh
source "$d/lib.sh"
# shellcheck source=../../selftests/gateway_lib.sh
source "$d/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-bench grpsec-keys
[ "$(nproc)" -ge 2 ] || fail "the check needs two vCPUs"
module_load
setup_namespaces
keys_init

N=256
MSGS=10
n_gw sh -c "echo 2 > /sys/class/net/gw-m/queues/rx-0/rps_cpus"
n_be sh -c "echo 1 > /sys/class/net/be0/queues/rx-0/rps_cpus"
gw_start batch-max 32 flush-usec 2000
gw_group 1 identified aes-128-gcm 1 $N

run grpsec-bench --target $IP_GW_M:$GW_PORT --listen $IP_BE:$BE_PORT \
	--members-netns "$NS_M" --backend-netns "$NS_BE" --cpus 0 --gw-cpus 1 \
	--members $N --messages $MSGS --backend-verify batch --soak \
	--s-auth "$K/s_auth" --s-e2e "$K/s_e2e" --up-secret "$K/up" \
	--gateway-id $GW_ID --mode identified --suite aes-128-gcm --epoch 1 \
	--icount "$tty" --json "$K/icount.json" -q
cat "$K/icount.json"

# field NAME: the number after "NAME": in the instructions object.
field()
{
	sed -n 's/.*"instructions": {\(.*\)}.*/\1/p' "$K/icount.json" |
		sed -n 's/.*"'"$1"'": \([0-9.]*\).*/\1/p'
}

received=$(sed -n 's/^  "received": \([0-9]*\),/\1/p' "$K/icount.json")
[ "$received" = $((N * MSGS)) ] || fail "received $received of $((N * MSGS))"
per_msg=$(field per_message)
gw=$(field gateway)
kern=$(field gateway_kernel_mode)
vcpus=$(sed -n 's/.*"per_vcpu": \[\([0-9, ]*\)\].*/\1/p' "$K/icount.json")
[ -n "$per_msg" ] && [ -n "$gw" ] && [ -n "$kern" ] || fail "no instruction counts"
[ "$(echo "$vcpus" | tr ',' '\n' | grep -c '[1-9]')" = "$(nproc)" ] ||
	fail "not every vCPU counted: [$vcpus]"
# The module's path costs about 10,000 instructions a message (at 128
# bytes); the soaker's loop, if it were counted, would add millions.
awk -v p="$per_msg" 'BEGIN { exit !(p >= 2000 && p <= 100000) }' ||
	fail "$per_msg instructions per message: implausible"
awk -v g="$gw" -v k="$kern" 'BEGIN { exit !(k > g / 2) }' ||
	fail "only $kern of the gateway's $gw instructions in the kernel"
echo "# $per_msg gateway instructions per message, $kern of $gw in the kernel" >&2
if [ "${2:-}" = --profile ]; then
	stty -F "$tty" raw -echo 2> /dev/null || true
	{
		echo "grpsec-gw-cpu 1"
		echo "grpsec-run smoke $gw $per_msg $(field per_frame)"
		echo "grpsec-kallsyms"
		awk '$2 ~ /^[tTwW]$/' /proc/kallsyms
		echo "grpsec-end"
	} > "$tty"
fi
exit $ksft_pass
