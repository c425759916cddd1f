#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module and the userspace reference gateway grpsec-gw are fed the
# same good and bad frames and must count them alike, name by name
# (statistics.rst): forged tags, replays, bad versions, truncated and
# oversized frames, other frame types, unknown groups and members, stale
# epochs, a suite that is not the group's, a short downlink on the listen
# port, and one member's frames newest first (the newest and the 960
# below it pass, older ones are replays).  Every datagram is counted in
# rx-frames and ends in exactly one of verified, a drop-* or a dl-drop-*
# reason.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys grpsec-gw
module_load
setup_namespaces
keys_init

S=aes-128-gcm
N=10
UGW_PORT=5750
UBE_PORT=5751
G="1:identified:$S:1"

gw_start
gw_group 1 identified $S 1 $N
backend_start "$K/be.out" "$G" -- --timeout $((120 * TIMEOUT_SCALE))
rm -f "$K/ube.ready" "$K/ugw.ready"
spawn "$NS_BE" sh -c 'exec "$@" > '"$K/ube.out" sh grpsec-backend \
	--listen $UBE_PORT --gateway $GW_ID --up-secret "$K/up" \
	--ready-file "$K/ube.ready" --timeout $((120 * TIMEOUT_SCALE)) \
	--group "$G:$(inner_key 1 identified $S 1)"
wait_for 10 test -s "$K/ube.ready"
spawn "$NS_GW" grpsec-gw --listen $UGW_PORT --backend "$IP_BE:$UBE_PORT" \
	--gateway $GW_ID --up-secret "$K/up" --group "$G:$K/s_auth" \
	--members "1:$N" --flush-ms 2 --timeout $((120 * TIMEOUT_SCALE)) \
	--stats-file "$K/ugw.stats" --ready-file "$K/ugw.ready"
ugw_pid=$spawned
wait_for 10 test -s "$K/ugw.ready"

# to PORT GROUP FIRST COUNT MESSAGES grpsec-member options...: frames of
# group GROUP (identified, $S, epoch 1) to the gateway on PORT.
to()
{
	local port=$1 g=$2

	shift 2
	n_m grpsec-member --gateway $IP_GW_M:$port --group "$g" --mode identified \
		--suite $S --first "$1" --count "$2" --messages "$3" \
		--s-auth "$K/s_auth" --s-e2e "$(inner_key 1 identified $S 1)" \
		--epoch 1 --seq-file "$K/seq.$port" "${@:4}" > /dev/null
}

# raw PORT FILE: one datagram with FILE's bytes to the gateway on PORT.
raw()
{
	n_m bash -c "dd if='$2' bs=4096 count=1 status=none > /dev/udp/$IP_GW_M/$1"
}

# An oversized uplink (1281 bytes of payload), one of another frame type
# (a batch, 68 bytes), three bytes, and a 10-byte downlink.
{
	printf '\002\001\001\000\000\000\000\001\000\000\000\001'
	printf '\000\000\000\001\000\000\000\000\000\000\000\377'
	head -c $((12 + 1281 + 32)) /dev/zero
} > "$K/oversize"
{ printf '\002\002\001\000'; head -c 64 /dev/zero; } > "$K/type2"
printf '\002\001\001' > "$K/short"
{ printf '\002\003\001\000'; head -c 6 /dev/zero; } > "$K/dl-short"

for port in $GW_PORT $UGW_PORT; do
	to $port 1 1 $N 2
	to $port 1 1 $N 1 --tamper-tag --counter-start 100
	to $port 1 1 $N 1 --bad-version --counter-start 200
	to $port 1 1 $N 1 --truncate --counter-start 300
	to $port 1 1 $N 1 --unknown-member --counter-start 400
	to $port 1 1 $N 1 --stale-epoch --counter-start 500
	to $port 99 1 $N 1 --counter-start 600
	to $port 1 1 $N 1 --suite aes-256-gcm --counter-start 700
	to $port 1 1 $N 1 --replay --counter-start 800
	to $port 1 1 1 1000 --burst --reverse --counter-start 1000
	for f in oversize type2 short dl-short; do
		raw $port "$K/$f"
	done
done

NAMES="rx-frames rx-bytes verified drop-truncated drop-bad-version
	drop-bad-header drop-oversize drop-unknown-group drop-unknown-member
	drop-stale-epoch drop-bad-tag drop-replay drop-epoch-limit
	drop-no-upstream drop-rate-limit drop-queue-full drop-nomem downlinks
	dl-drop-malformed dl-drop-bad-tag dl-drop-replay dl-drop-unknown"
# ugw NAME: grpsec-gw's counter NAME, as of its last --stats-file.
ugw() { tr ' ' '\n' < "$K/ugw.stats" | sed -n "s/^$1=//p"; }
# settled WHO: every datagram WHO received has one outcome.
settled()
{
	local sum=0 name v

	for name in $NAMES; do
		case $name in rx-*) continue ;; esac
		v=$("$1" "$name")
		sum=$((sum + ${v:-0}))
	done
	[ "$sum" = "$("$1" rx-frames)" ] && [ "$("$1" rx-frames)" = "$total" ]
}
ugw_settled() { kill -USR1 "$ugw_pid"; sleep 0.2; settled ugw; }

total=$((11 * N + 1000 + 4))
wait_for 30 settled stat ||
	fail "module: $(stat rx-frames) datagrams, outcomes do not add up"
wait_for 30 ugw_settled ||
	fail "grpsec-gw: $(ugw rx-frames) datagrams, outcomes do not add up"
# Verified frames leave in batches: both forward every one.
wait_for 10 eval '[ "$(stat forwarded)" = "$(stat verified)" ]' ||
	fail "module: $(stat forwarded) of $(stat verified) verified frames forwarded"
wait_for 10 eval 'kill -USR1 $ugw_pid; sleep 0.2; [ "$(ugw forwarded)" = "$(ugw verified)" ]' ||
	fail "grpsec-gw: $(ugw forwarded) of $(ugw verified) verified frames forwarded"

diffs=0
for name in $NAMES forwarded; do
	k=$(stat "$name")
	u=$(ugw "$name")
	echo "# $name: module $k, grpsec-gw ${u:-none}"
	[ "$k" = "$u" ] || { echo "# ^ differs" >&2; diffs=$((diffs + 1)); }
done
[ $diffs = 0 ] || fail "$diffs counters differ between the module and grpsec-gw"

# And the numbers themselves, once.
expect_stat verified $((2 * N + N + 961))
expect_stat drop-replay $((N + 39))
expect_stat drop-oversize 1
expect_stat drop-stale-epoch $N
expect_stat drop-bad-header $((N + 1))
expect_stat drop-truncated $((N + 1))
expect_stat dl-drop-malformed 1
exit $ksft_pass
