#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kill -9 of the manager in the middle of enrollments, ROUNDS times
# (default 12) at random moments: every enrollment a device saw answered
# is in the database with exactly the keys the device holds (so it was
# committed before the answer, and no secret changed across the
# restarts), and no member id was handed out twice.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

rounds=${ENROLL_CRASH_ROUNDS:-12}
per_round=16
{
	pki
	for ((i = 0; i < per_round; i++)); do psk_new "psk-c$i" sha256; done
} > pki.log 2>&1 || { cat pki.log; exit 1; }
enroll_conf m.conf
mkdir states
answered=0
for ((r = 0; r < rounds; r++)); do
	: > m.conf.log
	start_enroll_manager m.conf
	pids=()
	for ((i = 0; i < per_round; i++)); do
		"$member" enroll --manager "127.0.0.1:$enroll_port" --psk-identity "psk-c$i" \
			--psk "psk-c$i.psk" --state "states/$r-$i.state" --group 7,8 --timeout 5 \
			> /dev/null 2>&1 &
		pids+=($!)
	done
	sleep "$(printf '0.%03d' $((RANDOM % 120)))"
	kill -9 "$manager_pid"
	wait "$manager_pid" 2> /dev/null
	daemon_pids=()
	t0=$SECONDS
	for p in "${pids[@]}"; do
		wait "$p"
	done
	echo "round $r: killed, the devices done in $((SECONDS - t0)) s"
done
# The devices that got an answer, checked against the database.
for f in states/*.state; do
	[ -e "$f" ] || continue
	answered=$((answered + 1))
	expect 0 '^keys match' "$helper" check "$f" "sqlite:$PWD/manager.db" master.key
done
echo "$answered of $((rounds * per_round)) enrollments were answered before a kill -9"
[ "$answered" -gt 0 ] && pass || fail "no enrollment was answered in $rounds rounds"
ids=$(for f in states/*.state; do
	[ -e "$f" ] && python3 -c 'import sys; d = bytes.fromhex(open(sys.argv[1]).read().split("answer ")[1].split()[0]); print(int.from_bytes(d[8:12], "big"))' "$f"
done | sort -n)
[ -z "$(uniq -d <<< "$ids")" ] && pass || fail "member ids handed out twice: $(uniq -d <<< "$ids" | tr '\n' ' ')"
# And the manager comes up again on that database and still serves.
: > m.conf.log
start_enroll_manager m.conf
expect 0 '^member=[0-9]+ ' enroll_cert meter1 --group 7

finish
