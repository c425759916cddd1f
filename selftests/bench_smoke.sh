#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsec-bench works: a short run through the gateway module produces
# sane JSON (every message delivered once, nothing dropped, latencies,
# batches, the gateway's counters), a forged flood is counted as dropped
# for bad tags, a replayed one as replays, one from members the gateway
# does not have as unknown members.  A functional test of the benchmark:
# it asserts no timing.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-bench grpsec-keys
module_load
setup_namespaces
keys_init

N=64
MSGS=20
gw_start batch-max 32 flush-usec 2000
gw_group 1 identified aes-128-gcm 1 $N

cat > "$K/kstats" <<EOF
#!/bin/sh
"$IP" netns exec "$NS_GW" grpsec stats |
	awk '/^total:/ { t = 1; next } /^[^ ]/ { t = 0 } t && NF == 2 { print \$1, \$2 }'
EOF
chmod +x "$K/kstats"

# bench JSON ARGS...: grpsec-bench between the members and the backend.
bench()
{
	local json=$1
	shift
	run grpsec-bench --target $IP_GW_M:$GW_PORT --listen $IP_BE:$BE_PORT \
		--members-netns "$NS_M" --backend-netns "$NS_BE" \
		--members $N --messages $MSGS --drain $((2000 * TIMEOUT_SCALE)) \
		--s-auth "$K/s_auth" --s-e2e "$K/s_e2e" --up-secret "$K/up" \
		--gateway-id $GW_ID --mode identified --suite aes-128-gcm --epoch 1 \
		--gw-stats "$K/kstats" --json "$json" -q "$@"
	cat "$json"
}

# num FILE KEY: the number after the first "KEY": in a JSON file.
num()
{
	sed -n 's/.*"'"$2"'": \([0-9.]*\).*/\1/p' "$1" | head -n 1
}

# expect FILE KEY OP VALUE: a numeric check on one JSON field.
expect()
{
	local got
	got=$(num "$1" "$2")
	[ -n "$got" ] || fail "no \"$2\" in $1"
	awk -v a="$got" -v b="$4" "BEGIN { exit !(a $3 b) }" ||
		fail "expected $2 $3 $4, got $got"
	echo "# $2 = $got" >&2
}

total=$((N * MSGS))
bench "$K/valid.json"
expect "$K/valid.json" sent == $total
expect "$K/valid.json" received == $total
expect "$K/valid.json" lost == 0
expect "$K/valid.json" duplicates == 0
expect "$K/valid.json" bad_payload == 0
expect "$K/valid.json" messages_per_s '>' 0
expect "$K/valid.json" samples == $total
expect "$K/valid.json" p50 '>' 0
expect "$K/valid.json" mean_entries '>' 1
expect "$K/valid.json" tag_checks '>' 0
expect "$K/valid.json" tag_checks_per_message '<' 1
expect "$K/valid.json" inner_opens == $total
expect "$K/valid.json" gateway == 0
expect "$K/valid.json" verified == $total
expect "$K/valid.json" forwarded == $total
expect "$K/valid.json" bad_tag == 0
grep -q '"measured": true' "$K/valid.json" || fail "no CPU times measured"

# The same with the light backend: tags only, entries matched by sequence.
# On the debug kernel the benchmark's backend thread, slowed by KASAN and
# sharing the CPUs with the other test VM, cannot always drain its socket
# (up to 3% lost in full runs, with every frame forwarded by the gateway):
# there it is paced, and only the gateway's side must be exact.
if [ "$TIMEOUT_SCALE" = 1 ]; then
	bench "$K/light.json" --backend-verify batch --burst --seq-start 1001
	expect "$K/light.json" received == $total
	expect "$K/light.json" lost == 0
else
	bench "$K/light.json" --backend-verify batch --seq-start 1001
	expect "$K/light.json" forwarded == $total
	expect "$K/light.json" received '>=' $((total * 9 / 10))
fi
expect "$K/light.json" inner_opens == 0
expect "$K/light.json" entries_refused == 0

# A forged flood: nothing arrives.  Every frame is a bad tag at the
# gateway, or, past the bound on unauthenticated work a second
# (statistics.rst, drop-unauth-limit), refused before its tag check.
bench "$K/forged.json" --tamper-tag --seq-start 2001
expect "$K/forged.json" received == 0
wait_for 20 eval '[ $(($(stat drop-bad-tag) + $(stat drop-unauth-limit))) -ge '$total' ]' ||
	fail "bad tags $(stat drop-bad-tag) + unauthenticated work refused" \
		"$(stat drop-unauth-limit) stayed below $total"
checked=$(stat drop-bad-tag)
[ $((checked + $(stat drop-unauth-limit))) = $total ] ||
	fail "forged frames counted more than once"
[ "$checked" -ge 1 ] || fail "no forged frame got a tag check"
expect "$K/forged.json" bad_tag == "$checked"

# The light run's frames again: nothing arrives, every one a replay.
bench "$K/replayed.json" --expect-dropped --seq-start 1001
expect "$K/replayed.json" received == 0
wait_stat drop-replay $total
expect "$K/replayed.json" replay == $total

# Members the gateway does not have: nothing arrives, each one counted.
bench "$K/unknown.json" --expect-dropped --first $((N + 1))
expect "$K/unknown.json" received == 0
wait_stat drop-unknown-member $total
expect "$K/unknown.json" unknown_member == $total
exit $ksft_pass
