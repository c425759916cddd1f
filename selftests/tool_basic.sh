#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The grpsec tool against the real module: every command, its readable,
# tab-separated and JSON output, keys never shown, bulk import.

source "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
cleanup_test() { rm -rf "$tmp"; }

# expect WANT CMD...: CMD succeeds and prints exactly WANT.
expect()
{
	local want=$1 got
	shift
	got=$("$@") || fail "$* failed"
	if [ "$got" != "$want" ]; then
		printf 'want:\n%s\ngot:\n%s\n' "$want" "$got" >&2
		fail "unexpected output from: $*"
	fi
}

require_root
require_cmd grpsec od
[ -n "$IP" ] || ksft_skip "iproute2's ip not found"
module_load
setup_namespaces

hexkey() { od -An -tx1 -v -N"$1" /dev/urandom | tr -d ' \n'; }
head -c 16 /dev/urandom > "$tmp/k16"
head -c 32 /dev/urandom > "$tmp/k32"
hexkey 16 > "$tmp/hex16"
echo >> "$tmp/hex16"
head -c 16 /dev/urandom > "$tmp/k16b"
T=$'\t'

# An empty gateway.
expect 0 n_gw grpsec show listen-port
expect 0 n_gw grpsec show groups
expect "(none)" n_gw grpsec upstream show dump
n_gw grpsec | grep -q '^upstream: (none)$' || fail "show: no upstream line"
n_gw grpsec version | grep -q '^kernel module: netlink version 1$' ||
	fail "version: no kernel module line"

n_gw grpsec listen 7000
expect 7000 n_gw grpsec show listen-port
wait_udp "$NS_GW" 7000

# Groups.
n_gw grpsec group add 7
n_gw grpsec group add 8 suite chacha20-poly1305 mode identified msg-limit 1000
n_gw grpsec group add 9 suite aes-256-gcm
expect "7${T}aes-128-gcm
8${T}chacha20-poly1305
9${T}aes-256-gcm" n_gw grpsec group show suite
expect "8${T}identified" n_gw grpsec group show 8 mode
expect "8${T}1000" n_gw grpsec group show 8 msg-limit
n_gw grpsec group set 8 msg-limit 2000
expect "8${T}2000" n_gw grpsec group show 8 msg-limit
expect "8${T}chacha20-poly1305${T}identified${T}0x0${T}2000${T}0${T}0${T}(none)" \
	eval "n_gw grpsec group show 8 dump | cut -f1-8"

# Members: raw and hex key files, standard input, both slots, endpoints.
n_gw grpsec member add 7 1 key "$tmp/k16"
n_gw grpsec member add 7 2 epoch 3 key "$tmp/hex16" next-epoch 4 \
	next-key "$tmp/k16b" endpoint 192.0.2.7:5000
n_gw grpsec member add 8 1 key - endpoint '[2001:db8::1]:6000' < "$tmp/k32"
expect "1${T}0
2${T}3" n_gw grpsec member show 7 epoch
expect "1${T}(none)
2${T}4" n_gw grpsec member show 7 next-epoch
expect "1${T}(none)
2${T}192.0.2.7:5000" n_gw grpsec member show 7 endpoint
expect "1${T}0
2${T}0" n_gw grpsec member show 7 last-seq
expect "7${T}1${T}(none)
7${T}2${T}192.0.2.7:5000
8${T}1${T}[2001:db8::1]:6000" n_gw grpsec member show endpoint
expect "8${T}1${T}0${T}(none)${T}0${T}[2001:db8::1]:6000" \
	n_gw grpsec member show 8 dump
expect 3 n_gw grpsec show members

n_gw grpsec member set 7 1 epoch 5 key "$tmp/k16b"
n_gw grpsec member set 7 1 next-epoch 6 next-key "$tmp/k16"
n_gw grpsec member set 7 2 endpoint 192.0.2.8:5001
expect "7${T}1${T}5${T}6${T}0${T}(none)
7${T}2${T}3${T}4${T}0${T}192.0.2.8:5001" n_gw grpsec member show 7 dump
n_gw grpsec member del 8 1
expect "" n_gw grpsec member show 8
expect 2 n_gw grpsec show members

# The upstream.
n_gw grpsec upstream set endpoint "$IP_BE:7001" gateway-id 5 key "$tmp/k16" \
	batch-max 64 flush-usec 2000 mtu 1400 seq 1000
expect "$IP_BE:7001${T}5${T}aes-128-gcm${T}64${T}2000${T}1400" \
	eval "n_gw grpsec upstream show dump | cut -f1-6"
seq=$(n_gw grpsec upstream show seq)
[ "$seq" -ge 1000 ] || fail "upstream seq $seq is below its floor"
# The same K_up again never goes back to batch sequences it may have
# used: here a floor ahead of the clock, as after the clock went back.
ahead=$((seq + 1000000000000000))
n_gw grpsec upstream set endpoint "$IP_BE:7001" gateway-id 5 key "$tmp/k16" \
	seq $ahead
n_gw grpsec upstream set endpoint "$IP_BE:7001" gateway-id 5 key "$tmp/k16"
[ "$(n_gw grpsec upstream show seq)" -ge $ahead ] ||
	fail "the same K_up went back to sequence $(n_gw grpsec upstream show seq)"
expect 5 n_gw grpsec upstream show gateway-id
# A new K_up for the same gateway continues above the old one's batch
# sequence (the backend's window per gateway outlives its keys).
head -c 16 /dev/urandom > "$tmp/k16b"
n_gw grpsec upstream set endpoint "$IP_BE:7001" gateway-id 5 key "$tmp/k16b"
[ "$(n_gw grpsec upstream show seq)" -ge $ahead ] ||
	fail "a new K_up of gateway 5 went back to sequence $(n_gw grpsec upstream show seq)"
n_gw grpsec upstream set endpoint "[$IP6_BE]:7001" gateway-id 6 \
	key "$tmp/k32" suite chacha20-poly1305
expect "[$IP6_BE]:7001${T}6${T}chacha20-poly1305" \
	eval "n_gw grpsec upstream show dump | cut -f1-3"

# The whole view: readable, keys hidden, the same facts as the fields.
n_gw grpsec show > "$tmp/show"
n_gw grpsec > "$tmp/show-default"
cmp "$tmp/show" "$tmp/show-default" || fail "no arguments is not show"
grep -q '^  listening port: 7000$' "$tmp/show" || fail "show: port"
grep -q '^upstream: \[fd00:20::2\]:7001$' "$tmp/show" || fail "show: upstream"
grep -q '^  key: (hidden)$' "$tmp/show" || fail "show: upstream key"
grep -q '^group: 9$' "$tmp/show" || fail "show: group 9"
grep -q '^  member: 2$' "$tmp/show" || fail "show: member 2"
[ "$(grep -c '^    keys: (hidden)$' "$tmp/show")" = 2 ] || fail "show: keys"
! grep -qi "$(tr -d '\n' < "$tmp/hex16")" "$tmp/show" || fail "a key was printed"
n_gw grpsec show dump > "$tmp/dump"
expect "gateway${T}1${T}7000${T}3${T}2" head -n 1 "$tmp/dump"
grep -q "^member${T}7${T}2${T}3${T}4${T}0${T}192.0.2.8:5001\$" "$tmp/dump" ||
	fail "show dump: member 7/2"
expect 3 grep -c "^group${T}" "$tmp/dump"

# JSON, parsed with jq where the VM has it.
n_gw grpsec -j show > "$tmp/json"
n_gw grpsec -j -p show > "$tmp/json-pretty"
if command -v jq > /dev/null; then
	expect 7000 jq -r .listen_port "$tmp/json"
	expect "7 8 9" jq -r '[.groups[].id] | join(" ")' "$tmp/json"
	expect 4 jq -r '.groups[0].member_list[1].next_epoch' "$tmp/json"
	expect "(hidden)" jq -r '.upstream.key' "$tmp/json"
	expect null jq -r '.groups[0].member_list[0].endpoint' "$tmp/json"
	cmp <(jq -S . "$tmp/json") <(jq -S . "$tmp/json-pretty") ||
		fail "-j and -j -p differ"
	n_gw grpsec -j member show 7 | jq -e 'length == 2' > /dev/null ||
		fail "member show -j"
	n_gw grpsec -j group show 8 | jq -e '.msg_limit == 2000' > /dev/null ||
		fail "group show -j"
	n_gw grpsec -j stats -s | jq -e '.total.drop_replay == 0 and
		(.members | length) == 2 and (.groups | length) == 3' > /dev/null ||
		fail "stats -j -s"
else
	log "no jq: checking JSON by its text"
	grep -q '"listen_port":7000' "$tmp/json" || fail "JSON: listen_port"
	grep -q '"next_epoch":4' "$tmp/json" || fail "JSON: next_epoch"
	[ "$(head -c 1 "$tmp/json")" = "{" ] || fail "JSON: not an object"
fi

# Counters: every drop reason by name.
n_gw grpsec stats > "$tmp/stats"
for c in rx-frames rx-bytes verified forwarded batches batch-bytes \
	drop-truncated drop-bad-version drop-bad-header drop-oversize \
	drop-unknown-group drop-unknown-member drop-stale-epoch drop-bad-tag \
	drop-replay drop-epoch-limit drop-no-upstream drop-queue-full \
	drop-nomem tx-errors; do
	grep -q "^  $c  *0\$" "$tmp/stats" || fail "stats: no $c"
done
expect "total${T}0
upstream${T}0
group${T}7${T}0
group${T}8${T}0
group${T}9${T}0" n_gw grpsec stats drop-bad-tag
expect "member${T}7${T}1${T}0
member${T}7${T}2${T}0" eval "n_gw grpsec stats -s verified | grep ^member"

# Bulk import: 1000 members, hex keys inline and a key file.
od -An -tx1 -v -w16 -N16000 /dev/urandom | tr -d ' ' |
	awk '{ print NR, $1, "epoch", NR % 7 }' > "$tmp/members"
expect 1000 wc -l < "$tmp/members"
echo "1001 k16 epoch 2 endpoint 192.0.2.9:4000  # a key file beside the list" \
	>> "$tmp/members"
# Group 9 is aes-256-gcm: 16-byte keys are refused before anything is sent.
! n_gw grpsec member import 9 "$tmp/members" 2> "$tmp/import.err" || false
grep -q 'members:1: a key of 32 hex digits, the suite needs 64 (value not shown)' \
	"$tmp/import.err" || fail "import: no message for line 1"
# Not a digit of any key, not even of these wrong-length ones.
! grep -qiF "$(awk 'NR == 1 { print substr($2, 1, 8) }' "$tmp/members")" \
	"$tmp/import.err" || fail "import: a message shows part of a key"
grep -q '1001 unusable keys, nothing imported' "$tmp/import.err" ||
	fail "import: no summary"
expect "9${T}0" n_gw grpsec group show 9 members
n_gw grpsec group del 9
n_gw grpsec group add 9 suite aes-128-gcm
n_gw grpsec member import 9 "$tmp/members"
expect "9${T}1001" n_gw grpsec group show 9 members
expect "1000${T}6" eval "n_gw grpsec member show 9 epoch | sed -n 1000p"
expect "1001${T}192.0.2.9:4000" eval "n_gw grpsec member show 9 endpoint | tail -n 1"
expect 1001 eval "n_gw grpsec member show 9 | grep -c '^member: 9/'"
expect 1003 n_gw grpsec show members

# Deleting a group takes its members along.
n_gw grpsec group del 9
expect "" n_gw grpsec member show 9
expect 2 n_gw grpsec show members
expect "7
8" eval "n_gw grpsec group show suite | cut -f1"

# monitor says when it has joined the events group, and ends cleanly on
# its timeout (exit 3 if fewer events than its count came) or a signal.
n_gw grpsec monitor timeout 1 > "$tmp/mon" 2> "$tmp/mon.err" ||
	fail "monitor timeout 1 failed"
grep -qx 'grpsec: listening for events' "$tmp/mon.err" ||
	fail "monitor: no listening line"
[ ! -s "$tmp/mon" ] || fail "monitor printed events of an idle gateway"
rc=0
n_gw grpsec monitor count 1 timeout 1 2> /dev/null || rc=$?
[ $rc = 3 ] || fail "monitor count 1 timeout 1: exit $rc, want 3"
for sig in TERM INT; do
	rm -f "$tmp/mon.err"
	# shellcheck disable=SC2016
	spawn "$NS_GW" sh -c 'exec grpsec -j monitor 2> "$1"' sh "$tmp/mon.err"
	mon=$spawned
	wait_for 10 grep -q listening "$tmp/mon.err"
	kill -s $sig "$mon"
	rc=0
	wait "$mon" || rc=$?
	[ $rc = 0 ] || fail "monitor exited $rc on SIG$sig"
done

# upstream del ends the association; without one it is refused.
n_gw grpsec upstream del
expect "(none)" n_gw grpsec upstream show dump
! n_gw grpsec upstream del 2> "$tmp/err" || false
grep -q 'kernel reports: .*no upstream configured$' "$tmp/err" ||
	fail "upstream del without an upstream: $(cat "$tmp/err")"

n_gw grpsec listen 0
expect 0 n_gw grpsec show listen-port
exit $ksft_pass
