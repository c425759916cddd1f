#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Teardown races with rollovers.  A rollover makes the receive workers
# arm a delayed work that wakes every keyed CPU a second later; that work
# must never outlive its namespace or the module.  Each round, one
# namespace ("roll") has its members' frames end a rollover every half
# second, while other namespaces, each a gateway with traffic of its own,
# are created and deleted one after the other; then the module is
# unloaded (or, in the last round, the rolling namespace deleted) while
# rollovers go on, and the test waits past the delayed work's second.
# A work left armed runs on freed memory or freed module text: KASAN,
# an oops or a lockdep report fails the run (debug kernel), and the
# module must really go away.
#
# GRPSEC_STRESS_ROUNDS sets the number of rounds (default 3).

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-keys
[ -n "$IP" ] || ksft_skip "iproute2's ip not found"
keys_init

S=aes-128-gcm
N=24		# members of the rolling namespace
ROUNDS=${GRPSEC_STRESS_ROUNDS:-3}
LO=127.0.0.1

# gateway NS COUNT: listen in NS, group 1 with members 1..COUNT,
# their epoch-1 key current and their epoch-2 key next.
gateway()
{
	local ns=$1 count=$2 imp=$K/import.$1

	run_in "$ns" grpsec listen $GW_PORT
	run_in "$ns" grpsec group add 1 suite $S mode anonymous
	grpsec-keys member --s-auth "$K/s_auth" --suite $S --group 1 \
		--epoch 1 --member 1 --count "$count" --import "$imp.1"
	grpsec-keys member --s-auth "$K/s_auth" --suite $S --group 1 \
		--epoch 2 --member 1 --count "$count" --import "$imp.2"
	# "ID KEY epoch 1" and "ID KEY2 epoch 2" make one line per member.
	(umask 077
	 awk 'NR == FNR { next_key[$1] = $2; next }
	      { print $1, $2, "epoch 1 next-epoch 2 next-key", next_key[$1] }' \
		"$imp.2" "$imp.1" > "$imp")
	run_in "$ns" grpsec member import 1 "$imp"
}

# send NS EPOCH COUNT MESSAGES [grpsec-member options]: members 1..COUNT
# of NS's gateway, from inside NS.
send()
{
	local ns=$1 e=$2 count=$3 msgs=$4

	shift 4
	run_in "$ns" grpsec-member --gateway $LO:$GW_PORT --group 1 \
		--mode anonymous --suite $S --epoch "$e" --first 1 \
		--count "$count" --messages "$msgs" --s-auth "$K/s_auth" \
		--k-g "$(inner_key 1 anonymous $S "$e")" \
		--seq-file "$K/seq.$ns" "$@"
}

# rolled: how many of the rolling namespace's members finished a rollover.
rolled()
{
	run_in roll grpsec member show 1 epoch 2> /dev/null | awk '$2 == 2' |
		wc -l
}

# churn SECONDS: namespaces with a gateway and traffic, made and deleted
# one after the other; the last frames are still queued when each goes.
churn()
{
	local end=$((SECONDS + $1)) ns

	while [ $SECONDS -lt $end ]; do
		churned=$((churned + 1))
		ns=churn$churned
		ns_create "$ns"
		gateway "$ns" 4
		send "$ns" 1 4 20 > /dev/null
		send "$ns" 1 4 200 --burst > /dev/null &
		run "$IP" netns del "$ns"
		wait $! || true
		rm -f "$K/seq.$ns"
	done
}

churned=0
for round in $(seq 1 "$ROUNDS"); do
	log "round $round of $ROUNDS"
	module_load
	ns_create roll
	gateway roll $N
	rm -f "$K/seq.roll"
	# One epoch-1 frame each, then epoch 2 at two frames a second: each
	# member's second epoch-2 frame comes 12 s after its first, past
	# the grace period, and ends its rollover; one every half second.
	send roll 1 $N 1 > /dev/null
	spawn roll grpsec-member --gateway $LO:$GW_PORT --group 1 \
		--mode anonymous --suite $S --epoch 2 --first 1 --count $N \
		--messages 3 --rate 2 --s-auth "$K/s_auth" \
		--k-g "$(inner_key 1 anonymous $S 2)" --seq-file "$K/seq.roll" \
		--timeout 600
	roller=$spawned

	churn 14
	wait_for 30 eval '[ "$(rolled)" -ge 4 ]' ||
		fail "round $round: no rollover in the rolling namespace"
	churn 3
	log "round $round: $(rolled) of $N members rolled over, $churned namespaces so far"
	[ "$(rolled)" -lt $N ] ||
		log "round $round: every rollover ended before the teardown"

	if [ "$round" -lt "$ROUNDS" ]; then
		module_unload
		! module_loaded || fail "module still loaded"
	fi
	# The last round deletes the rolling namespace itself: it goes once
	# its sender's socket closes.
	kill "$roller" 2> /dev/null || true
	wait "$roller" 2> /dev/null || true
	run "$IP" netns del roll
	_ns_created=()
	# Past the delayed work's second, twice over.
	sleep 3
done
module_unload
! module_loaded || fail "module still loaded"
log "$churned namespaces deleted, $ROUNDS rounds"
exit $ksft_pass
