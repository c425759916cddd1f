#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Events: "grpsec monitor" in the gateway's namespace hears every event
# type the module raises, each with its fields: an unknown member, a burst
# of bad tags, a burst of replays, an epoch nearing its message limit, an
# upstream that cannot be reached (port unreachable, then no route).  A
# flood of 1,000 unknown-member frames is held to 10 events a second, and
# the event after it counts what was suppressed.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init

MON=$K/monitor.out
UNKNOWN=$((0x80000000))		# grpsec-member --unknown-member flips this bit
EP_M="~^${IP_M//./[.]}:[0-9]+\$"	# any port of the members' address

# events TYPE [NAME VALUE]...: the monitor's lines of TYPE events whose
# NAME is VALUE; a VALUE "~RE" matches the extended regular expression RE.
events()
{
	local type=$1
	shift
	awk -v type="$type" -v want="$*" '
	BEGIN { n = split(want, w, " ") }
	$2 == type {
		split("", f)
		for (i = 3; i < NF; i += 2)
			f[$i] = $(i + 1)
		for (i = 1; i < n; i += 2) {
			if (!(w[i] in f))
				next
			v = w[i + 1]
			if (substr(v, 1, 1) == "~") {
				if (f[w[i]] !~ substr(v, 2))
					next
			} else if (f[w[i]] != v) {
				next
			}
		}
		print
	}' "$MON"
}

n_events() { events "$@" | wc -l; }
has_event() { [ "$(n_events "$@")" -gt 0 ]; }

# wait_event TYPE [NAME VALUE]...: wait for such an event and print it.
wait_event()
{
	wait_for 20 has_event "$@" ||
		fail "no event $*; the monitor printed:
$(cat "$MON")"
	events "$@" | head -n 1
	log "event: $(events "$@" | head -n 1)"
}

# field LINE NAME: the value of NAME in a monitor line.
ev_field()
{
	awk -v k="$2" '{ for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1) }' \
		<<< "$1"
}

# no_fields LINE NAME...: the event carries none of these.
no_fields()
{
	local line=$1 name
	shift
	for name in "$@"; do
		[ -z "$(ev_field "$line" "$name")" ] ||
			fail "unexpected $name in: $line"
	done
}

gw_start batch-max 1
gw_group 1 identified aes-128-gcm 1 8
gw_group 2 anonymous aes-128-gcm 1 1 1 msg-limit 20
backend_start "$K/be.out" 1:identified:aes-128-gcm:1 \
	2:anonymous:aes-128-gcm:1 -- --timeout $((900 * TIMEOUT_SCALE))

# One monitor for the whole test; it has joined once it says so.
# shellcheck disable=SC2016
spawn "$NS_GW" sh -c 'exec grpsec monitor > "$1" 2> "$2"' sh "$MON" \
	"$K/monitor.err"
monitor_pid=$spawned
wait_for 10 grep -qx 'grpsec: listening for events' "$K/monitor.err" ||
	fail "the monitor did not start: $(cat "$K/monitor.err")"

# Epoch limit: group 2 allows 20 messages an epoch, and the 18th (90%)
# raises the event, once.  A second monitor, in JSON, ends by itself after
# one event.
# shellcheck disable=SC2016
spawn "$NS_GW" sh -c 'exec grpsec -j monitor count 1 timeout "$3" > "$1" 2> "$2"' \
	sh "$K/limit.json" "$K/limit.err" $((60 * TIMEOUT_SCALE))
json_pid=$spawned
wait_for 10 grep -q listening "$K/limit.err"
members 2 anonymous aes-128-gcm 1 1 20 > /dev/null
rc=0
wait "$json_pid" || rc=$?
[ $rc = 0 ] || fail "monitor count 1: exit $rc, printed: $(cat "$K/limit.json")"
cat "$K/limit.json" >&2
[ "$(wc -l < "$K/limit.json")" = 1 ] || fail "monitor count 1 printed more than one event"
grep -Eqx '\{"time":"[^"]+","event":"epoch-limit-near","group":2,"epoch":1,"count":18,"limit":20,"suppressed":0\}' \
	"$K/limit.json" || fail "JSON epoch-limit-near event: $(cat "$K/limit.json")"
line=$(wait_event epoch-limit-near group 2 epoch 1 count 18 limit 20)
no_fields "$line" member endpoint error suppressed
wait_stat verified 20 2
members 2 anonymous aes-128-gcm 1 1 1 > /dev/null
wait_stat drop-epoch-limit 1 2
expect_stat verified 20 2
[ "$(n_events epoch-limit-near)" = 1 ] || fail "more than one epoch-limit-near event"

# An unknown member: one event per frame, with its source.
members 1 identified aes-128-gcm 1 1 1 --unknown-member > /dev/null
line=$(wait_event unknown-member group 1 member $((1 ^ UNKNOWN)) endpoint "$EP_M" count 1)
no_fields "$line" epoch limit error suppressed

# Bad tags: 7 frames of member 5 stay under the threshold of 8 a second;
# 10 of member 2 cross it, once.  Member 5's drops are counted before
# member 2 sends, so an event for it would come first.
members 1 identified aes-128-gcm 5 1 7 --tamper-tag > /dev/null
wait_stat drop-bad-tag 7 1
members 1 identified aes-128-gcm 2 1 10 --tamper-tag > /dev/null
line=$(wait_event bad-tag-burst group 1 member 2 endpoint "$EP_M" count 8)
no_fields "$line" epoch limit error suppressed
wait_stat drop-bad-tag 17 1
[ "$(n_events bad-tag-burst member 5)" = 0 ] ||
	fail "7 bad tags raised a bad-tag-burst event"

# Replays: member 3 sends each of its 20 frames twice.  Copies are
# counted towards a burst wherever they are caught: before the tag check
# (the original was accepted already) or after it.
members 1 identified aes-128-gcm 3 1 20 --replay > /dev/null
wait_stat drop-replay 20 1
line=$(wait_event replay-burst group 1 member 3 endpoint "$EP_M" count 8)
no_fields "$line" epoch limit error suppressed

# A flood of 1,000 unknown-member frames: at most 10 events a second.
# Then single frames until the window has passed: the next event reports
# how many were suppressed.
members 1 identified aes-128-gcm 100 1000 1 --unknown-member --burst \
	> /dev/null
probe()
{
	members 1 identified aes-128-gcm 2000 1 1 --unknown-member
	has_event unknown-member suppressed '~^[1-9]'
}
wait_for 30 probe || fail "no event reported suppressed ones"
line=$(wait_event unknown-member suppressed '~^[1-9]')
events unknown-member | awk -v lo=$((100 ^ UNKNOWN)) -v hi=$((1099 ^ UNKNOWN)) '
	function sec(t) {
		split(substr(t, 12, 15), p, ":")
		return p[1] * 3600 + p[2] * 60 + p[3]
	}
	$6 >= lo && $6 <= hi {
		n++
		t = sec($1)
		if (n == 1)
			first = t
		last = t
	}
	END { print n + 0, last - first }' > "$K/flood"
read -r flood span < "$K/flood"
# 10 events per window; windows open more than a second apart, so the
# events of k windows span more than k - 2 seconds.
windows=$(awk -v s="$span" 'BEGIN { k = int(s + 0.2); if (k < s + 0.2) k++; print k + 1 }')
log "flood: $flood events over ${span}s, $(ev_field "$line" suppressed) suppressed"
[ "$flood" -ge 1 ] && [ "$flood" -le $((10 * windows)) ] ||
	fail "the flood raised $flood events in ${span}s"
# Events and suppressed counts never claim more than the drops.  They add
# up exactly unless the listener fell behind: netlink multicast drops
# what a full receive buffer cannot take (seen on the debug kernel), so
# only the bound is a test.
unknown_sum()
{
	events unknown-member | awk '
		{ n++; for (i = 3; i < NF; i += 2) if ($i == "suppressed") s += $(i + 1) }
		END { print n + s }'
}
[ "$(unknown_sum)" -le "$(stat drop-unknown-member)" ] ||
	fail "unknown-member events and suppressed counts exceed drop-unknown-member"
if wait_for 5 eval '[ "$(unknown_sum)" = "$(stat drop-unknown-member)" ]'; then
	log "unknown-member events + suppressed = $(stat drop-unknown-member) drops"
else
	log "unknown-member events + suppressed = $(unknown_sum) of $(stat drop-unknown-member) drops (listener overrun)"
fi

# Upstream down, 1: nobody listens on the backend's port any more.  The
# first batch after that comes back ICMP port unreachable, which the
# connected socket reports on the next send.
kill "$backend_pid"
wait "$backend_pid" 2> /dev/null || true
wait_for 10 eval '! udp_listening "$NS_BE" $BE_PORT'
tx=$(stat tx-errors)
send_until()
{
	members 1 identified aes-128-gcm 4 1 1
	has_event "$@"
}
wait_for 30 send_until upstream-down error ECONNREFUSED ||
	fail "no upstream-down event for a closed port: $(cat "$MON")"
line=$(wait_event upstream-down endpoint "$IP_BE:$BE_PORT" count 1 error ECONNREFUSED)
no_fields "$line" group member epoch limit
down=$(n_events upstream-down)
[ "$(stat tx-errors)" -ge $((tx + down)) ] ||
	fail "tx-errors $(stat tx-errors) after $down upstream-down events (was $tx)"

# Upstream down, 2: the route to the backend goes away.  Every send fails
# then, and every failure is a tx error.
n_gw "$IP" route add 10.30.0.0/24 via $IP_BE
n_gw grpsec upstream set endpoint 10.30.0.9:$BE_PORT gateway-id $GW_ID \
	key "$K/k_up" batch-max 1
n_gw "$IP" route del 10.30.0.0/24
tx=$(stat tx-errors)
members 1 identified aes-128-gcm 4 1 3 > /dev/null
line=$(wait_event upstream-down endpoint 10.30.0.9:$BE_PORT count 1 error ENETUNREACH)
no_fields "$line" group member epoch limit
wait_stat tx-errors $((tx + 3))
expect_stat tx-errors $((tx + 3))

# The monitor ends cleanly on SIGINT, and every line it printed starts
# with the time and a known type.
kill -INT "$monitor_pid"
rc=0
wait "$monitor_pid" || rc=$?
[ $rc = 0 ] || fail "monitor exited $rc on SIGINT"
[ "$(cat "$K/monitor.err")" = "grpsec: listening for events" ] ||
	fail "the monitor complained: $(cat "$K/monitor.err")"
! grep -Evx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}[+-][0-9]{2}:[0-9]{2} (unknown-member|bad-tag-burst|replay-burst|epoch-limit-near|upstream-down)( [a-z]+ [^ ]+)*' \
	"$MON" || fail "malformed monitor lines"
log "$(wc -l < "$MON") events"
exit $ksft_pass
