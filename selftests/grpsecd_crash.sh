#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kill -9 in the middle of enrollment and of a rekey, devices | gateway |
# manager (grpsecd_lib.sh), with DEVICES PSK devices (GRPSECD_DEVICES;
# 60, 15 on the debug kernel, 30 on Debian's).
#
# 1. The manager is killed (-9) while a fleet of devices enrolls (a third
#    of them answered), and started again.  The devices that saw no
#    answer enroll again, and the gateway daemon is killed (-9) and
#    started again while they do.  Then every device that holds an answer
#    is in the module (in both groups, under the member id it was given:
#    the answer was committed before it was sent), no member id was given
#    twice, and every device's report reaches the application once.
# 2. The manager is killed (-9) while the rekeys of group 7 (anonymous)
#    go out under traffic, and started again.  It takes the same epoch up
#    again (committed before the first rekey went), every device applies
#    it, the gateway drops no frame and no downlink (a downlink sequence
#    used again would be dropped as a replay: no nonce repeats), and once
#    the gateway has reconnected every message reaches the application
#    once.  The messages the gateway forwarded while no manager listened
#    are lost with it (UDP, no buffering at the gateway): counted and
#    printed, not checked.

source "$(dirname "$0")/grpsecd_lib.sh"

DEVICES=${GRPSECD_DEVICES:-$((60 / TIMEOUT_SCALE))}
N_CERT=0
EVERY_MS=500
DURATION=$((40 + 15 * TIMEOUT_SCALE))
# The kill comes while the rekeys go out or in the grace after them (a
# small group's go in a second or two): either way the next epoch is
# committed and not current yet, and the restarted manager takes it up.
MANAGER_EXTRA="RekeyRate = 10
RekeyGrace = 20s
RekeyRetry = 4s"

grpsecd_setup
grpsecd_start

# starts ROLE: how many times ROLE's log says it started.
starts() { grep -c "$1 started" "$K/$1.log" || true; }
answered() { grep -h '^identity=.* member=' "$@" 2> /dev/null | wc -l; }
# fleet_enroll PSKS OUT: the devices of PSKS enroll in the background
# (pid in $fleet), 2 handshakes at a time, so that a kill finds some
# under way.
fleet_enroll()
{
	n_m grpsec-member enroll-fleet --manager $IP_ENR_BE:$ENROLL_PORT --group 7,8 \
		--psk-file "$1" --state-dir states --parallel 2 \
		--timeout $((10 * TIMEOUT_SCALE)) > "$2" 2>&1 &
	fleet=$!
	_pids+=($fleet)
}

log "1. $DEVICES devices enroll; the manager killed (-9) and started again meanwhile"
mkdir -m 700 states
fleet_enroll psks fleet1.out
wait_for $((30 * TIMEOUT_SCALE)) eval '[ "$(answered fleet1.out)" -ge $((DEVICES / 3)) ]' ||
	fail "$(answered fleet1.out) of $DEVICES devices enrolled before the kill"
s0=$(starts manager)
daemon_kill manager
n1=$(answered fleet1.out)
daemon_start "$NS_BE" manager
wait_for 30 eval '[ "$(starts manager)" -gt $s0 ]' || fail "the manager did not start again"
wait "$fleet" && fail "no enrollment was cut short by the kill: nothing tested"
log "   $n1 answered before the kill, $(answered fleet1.out) in all;" \
	"$(grep -c ' failed: ' fleet1.out) cut short"

log "   the others enroll again; the gateway daemon killed (-9) and started again meanwhile"
# A device enrolls again when it saw no answer, as a real one would.
sed -n 's/^identity=\([^ ]*\) failed: .*/\1/p' fleet1.out > retry.ids
awk 'NR == FNR { want[$1]; next } $1 in want' retry.ids psks > psks.retry
fleet_enroll psks.retry fleet2.out
wait_for $((30 * TIMEOUT_SCALE)) eval '[ "$(answered fleet2.out)" -ge 1 ]' ||
	fail "no device enrolled again after the manager's restart"
s0=$(starts gateway)
daemon_kill gateway
daemon_start "$NS_GW" gateway
wait_for 30 eval '[ "$(starts gateway)" -gt $s0 ]' || fail "the gateway daemon did not start again"
wait "$fleet" || fail "the devices that enrolled again: $(grep -v ' member=' fleet2.out | head -n 3)"

cat fleet1.out fleet2.out > fleet.out
n=$(answered fleet.out)
ids=$(sed -n 's/^identity=.* member=\([0-9]*\)$/\1/p' fleet.out | sort -u | wc -l)
[ "$n" = "$DEVICES" ] || fail "$n of $DEVICES devices hold an answer"
[ "$ids" = "$DEVICES" ] || fail "$ids distinct member ids for $DEVICES devices"
[ "$(ls states | wc -l)" = "$DEVICES" ] || fail "$(ls states | wc -l) state files for $DEVICES devices"
wait_for 60 eval '[ "$(kernel_members)" = $((2 * DEVICES)) ]' ||
	fail "the module holds $(kernel_members) members, want $((2 * DEVICES))"
# Each device seals under the member id of its answer: a frame from one
# the module does not hold is dropped (drop-unknown-member).
app_start app1.out $((2 * DEVICES))
drops0=$(drops)
report r1
app_check app1.out $((2 * DEVICES)) r1
[ "$(drops)" = "$drops0" ] || fail "$(( $(drops) - drops0 )) frames dropped: $(drop_reasons)"
log "   all $DEVICES devices in the module under their answers' member ids," \
	"each report once (both groups)"

log "2. group 7 rekeyed under traffic; the manager killed (-9) while its rekeys go out"
app_run app2.out $((DURATION + 40))
dropped0=$(drops)
dl0=$(n_gw grpsec stats | awk '/^total/ { t = 1; next } /^[^ ]/ { t = 0 }
	t && $1 ~ /^dl-drop/ { s += $2 } END { print s + 0 }')
start=$(ms)
n_m grpsec-member send-fleet --state-dir states --group 7 --tag v --for $DURATION \
	--every $EVERY_MS > send.out 2>&1 &
fleet=$!
_pids+=($fleet)
sleep 3
run_in "$NS_BE" grpsecctl -s "$K/manager.sock" rekey 7 > /dev/null ||
	fail "grpsecctl rekey 7 refused"
epoch=2
SENT='grpsecd_rekeys_total{outcome="sent"}'
wait_for $((20 * TIMEOUT_SCALE)) eval '[ "$(metric "$SENT")" -ge $((DEVICES / 4 + 1)) ]' ||
	fail "the rekeys did not start: $(metric "$SENT") sent"
sent_before=$(metric "$SENT")
s0=$(starts manager)
conn0=$(grep -c "K_up installed" "$K/manager.log" || true)
killed=$(ms)
daemon_kill manager
daemon_start "$NS_BE" manager
wait_for 30 eval '[ "$(starts manager)" -gt $s0 ]' || fail "the manager did not start again"
log_wait manager "group 7: epoch $epoch committed \(resumed\)" 10
wait_for $((30 * TIMEOUT_SCALE)) eval \
	'[ "$(grep -c "K_up installed" "$K/manager.log")" -gt $conn0 ]' ||
	fail "the gateway did not reconnect"
# The application again, from here on (the first one lost its manager).
kill "$app_pid" 2> /dev/null || true
wait "$app_pid" 2> /dev/null || true
app_run app3.out $((DURATION + 40))
back=$(ms)
log_wait manager "group 7: epoch $epoch is current: pushed to 1 connected" $((40 * TIMEOUT_SCALE))
wait "$fleet" || fail "the devices failed: $(tail -n 3 send.out)"
wait "$app_pid" || true

on=$(grep -c "^member=.* epoch=$epoch rekeys=1 " send.out || true)
dropped=$(( $(drops) - dropped0 ))
dl=$(( $(n_gw grpsec stats | awk '/^total/ { t = 1; next } /^[^ ]/ { t = 0 }
	t && $1 ~ /^dl-drop/ { s += $2 } END { print s + 0 }') - dl0 ))
dups=$(cat app2.out app3.out | sed -n 's/.* payload //p' | sort | uniq -d | wc -l)
# Every message sent from a second after the application was back (the
# fleet spreads its devices over the first interval) must have arrived.
cut=$(( (back - start) / EVERY_MS + 2 ))
sed -n 's/.* payload v-7-\([0-9]*\)-\([0-9]*\)$/\1 \2/p' app2.out app3.out | sort -u > got.txt
awk -v c="$cut" '/^member=/ { split($1, m, "="); split($2, f, "=");
	for (i = c; i <= f[2]; i++) print m[2], i }' send.out > sent.txt
lost=$(missing | wc -l)
total=$(sed -n 's/^devices=.* frames=\([0-9]*\) .*/\1/p' send.out)
log "   $sent_before rekeys sent before the kill; epoch $epoch taken up again and" \
	"current; $on of $DEVICES devices applied it"
log "   $total messages sent, $(wc -l < got.txt) received ($dups twice); $((total - $(wc -l < got.txt)))" \
	"lost with the manager, in the $((back - killed)) ms from the kill until the" \
	"application was back; $dropped frames and $dl downlinks dropped by the gateway"
[ "$dups" = 0 ] || fail "$dups messages reached the application twice"
[ "$lost" = 0 ] || fail "$lost messages sent after the manager was back were lost" \
	"(first: $(missing | head -n 5 | tr '\n' ','))"
[ "$dropped" = 0 ] || fail "$dropped frames dropped by the gateway: $(drop_reasons)"
[ "$dl" = 0 ] || fail "$dl downlinks dropped by the gateway (a sequence used again?)"
[ "$on" = "$DEVICES" ] || fail "$on of $DEVICES devices applied the rekey to epoch $epoch"

exit 0
