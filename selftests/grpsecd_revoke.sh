#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Revocation under traffic, devices | gateway | manager (grpsecd_lib.sh).
#
# DEVICES devices (default 100, GRPSECD_DEVICES) enroll in groups 7
# (anonymous) and 8 (identified); the first half then reports in group 8,
# the second half in group 7, every EVERY_MS ms for DURATION s.  One
# device of each half is revoked (grpsecctl revoke) while they all send:
# the manager sends MEMBER_DEL for its rows to the gateway, which removes
# them from the module, so its frames are dropped as from an unknown
# member; group 7, anonymous, also moves to a new epoch without it.
# Checked and printed: the time from each revoke to the member's removal
# from the module and to the first of its frames dropped (bound: 2 s);
# no message of a revoked device sent after that bound reaches the
# application; every message of the others arrives exactly once, none of
# their frames is dropped, and the senders of group 7 apply the rekeys.

source "$(dirname "$0")/grpsecd_lib.sh"

DEVICES=${GRPSECD_DEVICES:-100}
N_CERT=2
DURATION=30
EVERY_MS=250
BOUND_MS=2000
HALF=$((DEVICES / 2))
REV_ID=$((HALF / 5 + N_CERT + 1))	# a PSK device of the group 8 half
REV_ANON=$((HALF + HALF / 5 + 1))	# one of the group 7 half
MANAGER_EXTRA="RekeyRate = 20
RekeyGrace = 3s"

grpsecd_up

# revoke I MODE GROUP: revoke device I (a sender of GROUP) under traffic;
# REMOVED_MS and DROP_MS: from the command to its rows leaving the module
# and to its first frame dropped (the group's unknown-member drops: the
# other revoked device sends in the other group), within BOUND_MS.
revoke()
{
	local members0 unknown0 t0 now
	members0=$(kernel_members)
	unknown0=$(stat drop-unknown-member "$3")
	t0=$(ms)
	run_in "$NS_BE" grpsecctl -s "$K/manager.sock" revoke "psk-$1" > /dev/null ||
		fail "grpsecctl revoke psk-$1 refused"
	REMOVED_MS= DROP_MS=
	while [ -z "$REMOVED_MS" ] || [ -z "$DROP_MS" ]; do
		now=$(ms)
		[ $((now - t0)) -lt 10000 ] ||
			fail "device $1: after 10 s removed=${REMOVED_MS:-no} dropped=${DROP_MS:-no}"
		[ -n "$REMOVED_MS" ] || [ "$(kernel_members)" != $((members0 - 2)) ] ||
			REMOVED_MS=$((now - t0))
		[ -n "$DROP_MS" ] || [ "$(stat drop-unknown-member "$3")" = "$unknown0" ] ||
			DROP_MS=$((now - t0))
		sleep 0.05
	done
	REVOKED_AT=$t0
	log "   $2 (group $3) device $1: removed from the module after" \
		"$REMOVED_MS ms, its first frame dropped after $DROP_MS ms"
	[ "$DROP_MS" -le $BOUND_MS ] || fail "dropped after $DROP_MS ms, bound $BOUND_MS"
}

log "3. every device reports every $EVERY_MS ms for $DURATION s; devices $REV_ID and $REV_ANON revoked"
app_run app.out $((DURATION + 40))
drops0=$(drops)
unknown0=$(stat drop-unknown-member)
devs=()
start=$(ms)
devices_report 1 $HALF 8 $DURATION $EVERY_MS
devices_report $((HALF + 1)) "$DEVICES" 7 $DURATION $EVERY_MS
sleep 4
revoke $REV_ID identified 8
rev_id_at=$REVOKED_AT
sleep 1
revoke $REV_ANON anonymous 7
rev_anon_at=$REVOKED_AT

devices_wait
wait "$app_pid" || true
dups=$(sed -n 's/.* payload //p' app.out | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups messages reached the application twice"

# frames I: what device I sent; got I: what of it arrived; last I: its highest N.
frames() { sed -n 's/^member=.* frames=\([0-9]*\) .*/\1/p' "dev-$1.out"; }
got() { grep -c " payload v$1-[0-9]*\$" app.out || true; }
last() { sed -n "s/.* payload v$1-\([0-9]*\)\$/\1/p" app.out | sort -n | tail -n 1; }

lost=0 sent=0
for i in $(seq 1 "$DEVICES"); do
	[ "$i" = $REV_ID ] || [ "$i" = $REV_ANON ] && continue
	f=$(frames "$i")
	sent=$((sent + f))
	[ "$(got "$i")" = "$f" ] || {
		lost=$((lost + f - $(got "$i")))
		log "   device $i: $(got "$i") of $f arrived, missing:" \
			"$(seq 1 "$f" | grep -vxF -f <(sed -n "s/.* payload v$i-\([0-9]*\)\$/\1/p" app.out) | tr '\n' ' ')"
	}
done
[ "$lost" = 0 ] || { grep -i "refus\|replay\|warn" manager.log | tail -n 20 >&2; n_gw grpsec stats >&2; fail "$lost messages of devices that stay were lost"; }
log "   the $((DEVICES - 2)) others: all $sent messages arrived, each once"

# A revoked device's message N was sent about start + N * EVERY_MS.
for r in "$REV_ID:$rev_id_at" "$REV_ANON:$rev_anon_at"; do
	i=${r%%:*} at=${r#*:}
	cut=$(( (at + BOUND_MS - start) / EVERY_MS + 4 ))
	l=$(last "$i")
	log "   revoked device $i: $(got "$i") of $(frames "$i") messages arrived, the last number ${l:-none}"
	[ "${l:-0}" -le "$cut" ] ||
		fail "device $i's message $l arrived: sent after the revoke plus $BOUND_MS ms"
	[ "$(frames "$i")" -gt "$cut" ] || fail "device $i sent nothing after its revoke: nothing checked"
done

unknown=$(( $(stat drop-unknown-member) - unknown0 ))
other=$(( $(drops) - drops0 - unknown ))
log "   the gateway dropped $unknown frames of unknown (revoked) members and $other others"
[ "$other" = 0 ] || { n_gw grpsec stats >&2; fail "$other frames dropped for other reasons"; }
[ "$unknown" -gt 0 ] || fail "no frame of a revoked member was dropped"
r7=$(grep -h ' rekeys=' $(for i in $(seq $((HALF + 1)) "$DEVICES"); do
	[ "$i" = $REV_ANON ] || echo "dev-$i.out"; done) | grep -vc ' rekeys=0$' || true)
[ "$r7" = $((DEVICES - HALF - 1)) ] ||
	fail "$r7 of $((DEVICES - HALF - 1)) senders of group 7 applied a rekey"
[ "$(grep -c ' rekeys=[1-9]' "dev-$REV_ANON.out")" = 0 ] ||
	fail "the revoked device $REV_ANON applied a rekey"
log "   the $r7 senders of group 7 that stay applied the rekeys," \
	"the revoked one none; $(grep -c 'epoch [0-9]* is current' manager.log) switches"

exit 0
