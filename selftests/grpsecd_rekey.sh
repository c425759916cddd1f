#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A rekey under traffic, devices | gateway | manager (grpsecd_lib.sh).
#
# DEVICES devices (GRPSECD_DEVICES; 100, 25 on the debug kernel, 50 on
# Debian's) enroll in groups 7 (anonymous) and 8; each then reports in
# group 7 every 500 ms for DURATION s from a socket of its own (grpsec-member send-fleet, one
# process for all), and applies the rekeys the gateway hands it there.
# `grpsecctl rekey 7` a few seconds in: the manager pushes both epochs to
# the gateway and holds the rekeys until the gateway said INSTALLED,
# sends them paced (RekeyRate 20: 5 s for the group), switches after
# RekeyGrace (10 s) and pushes again, so that the gateway drops the old
# epoch.  Then a second rekey, with the gateway daemon killed (-9) and
# started again while its rekeys go out.  The devices whose member id is
# a multiple of 10 drop the first rekey frame of each rekey (a lossy
# radio): the gateway reports the members it hears under the new epoch
# (HEARD), and the manager sends the others theirs again after
# RekeyRetry (4 s).  Checked: every message reaches the application
# exactly once, the gateway dropped no frame, every device (the lossy
# ones too) applied both rekeys, a frame under epoch 1 is dropped
# afterwards.
# Printed: the times, the control channel's bytes per member for a rekey,
# the gateway daemon's CPU idle and during a rekey.

source "$(dirname "$0")/grpsecd_lib.sh"

DEVICES=${GRPSECD_DEVICES:-$((100 / TIMEOUT_SCALE))}
N_CERT=2
# Long enough for both rekeys and their retries on the slow kernels too
# (70 s here, 130 s on the debug kernel).
DURATION=$((50 + 20 * TIMEOUT_SCALE))
EVERY_MS=500
LOSE=10
MANAGER_EXTRA="RekeyRate = 20
RekeyGrace = 10s
RekeyRetry = 4s"

grpsecd_up

# The gateway daemon's CPU while nothing changes (a measurement, printed).
c0=$(cpu_ms "$gateway_pid")
sleep 5
idle_ms=$(( $(cpu_ms "$gateway_pid") - c0 ))

log "3. every device reports every $EVERY_MS ms for $DURATION s; group 7 rekeyed meanwhile"
# The application runs past the devices; it counts, the test compares.
app_run app.out $((DURATION + 40))
dropped0=$(drops)
# One process for the fleet, a socket per device (its address at the
# gateway, where its rekey comes), payloads v-7-MEMBER-N.
n_m grpsec-member send-fleet --state-dir states --group 7 --tag v --for $DURATION \
	--every $EVERY_MS --lose-rekeys $LOSE > fleet.out 2>&1 &
fleet_pid=$!
_pids+=($fleet_pid)
sleep 4
bytes0=$(metric grpsecd_control_bytes_total)
c0=$(cpu_ms "$gateway_pid")
t0=$(ms)
run_in "$NS_BE" grpsecctl -s "$K/manager.sock" rekey 7 ||
	fail "grpsecctl rekey 7 refused"
log_wait manager "group 7: epoch 2 is in every connected gateway's module" 20
t1=$(ms)
log_wait manager "group 7: epoch 2 is current" 40
t2=$(ms)
log_wait manager "group 7: epoch 2 is current: pushed to 1 connected" 5
c1=$(cpu_ms "$gateway_pid")
t3=$(ms)
bytes=$(( $(metric grpsecd_control_bytes_total) - bytes0 ))
resent1=$(metric 'grpsecd_rekeys_total{outcome="resent"}')

# A second rekey, and the gateway daemon killed (-9) while its rekeys go
# out: started again at once, it reads what the module holds and changes
# nothing the traffic needs; the rekeys go on, the switch to epoch 3 too.
run_in "$NS_BE" grpsecctl -s "$K/manager.sock" rekey 7 ||
	fail "grpsecctl rekey 7 (the second) refused"
log_wait manager "group 7: epoch 3 is in every connected gateway's module" 20
sleep 1
daemon_kill gateway
daemon_start "$NS_GW" gateway
t4=$(ms)
# The switch comes RekeyGrace after the rekeys went out, whether the
# gateway daemon is back by then or not (on the debug kernel it may not
# be): pushed to it at once, or in the full push of its next connection.
log_wait manager "group 7: epoch 3 is current: pushed to [0-9]+ connected" 60
t5=$(ms)
switched_after_connect()
{
	awk -v gw="control: gateway $GW_ID " '/group 7: epoch 3 is current: pushed to 1 connected/ { ok = 1 }
		/group 7: epoch 3 is current: pushed to 0 connected/ { s = 1 }
		s && index($0, gw) && / connected from / { ok = 1 }
		END { exit !ok }' "$K/manager.log"
}
wait_for 60 switched_after_connect || {
	tail -n 30 "$K/manager.log" >&2
	fail "the gateway daemon, restarted, did not connect after the switch to epoch 3"
}
t6=$(ms)
if grep -q 'group 7: epoch 3 is current: pushed to 0 connected' "$K/manager.log"; then
	how="the gateway daemon not back yet; it had the switch in its full push $((t6 - t5)) ms later"
else
	how="pushed to the gateway daemon, back by then"
fi
log "   second rekey: the gateway daemon killed and restarted 1 s into it;" \
	"epoch 3 current $((t5 - t4)) ms after the restart, $how"
wait "$fleet_pid" || fail "the devices failed: $(tail -n 3 fleet.out)"
sent=$(sed -n 's/^devices=.* frames=\([0-9]*\) .*/\1/p' fleet.out)
on3=$(grep -c '^member=.* epoch=3 rekeys=2 ' fleet.out || true)
lossy=$(grep -c ' lost=2$' fleet.out || true)
resent=$(metric 'grpsecd_rekeys_total{outcome="resent"}')
heard=$(metric 'grpsecd_rekeys_total{outcome="heard"}')
wait "$app_pid" || true
got=$(grep -c '^message .* payload v-7-' app.out || true)
dups=$(sed -n 's/.* payload //p' app.out | sort | uniq -d | wc -l)
under2=$(grep -c '^message .* group 7 member [0-9]* epoch 2 ' app.out || true)
under3=$(grep -c '^message .* group 7 member [0-9]* epoch 3 ' app.out || true)
dropped1=$(drops)
inst=$(sed -n 's/.*group 7: epoch 2 is in every .* after \([0-9]*\) ms.*/\1/p' manager.log)
log "   the rekeys held $inst ms for INSTALLED (seen here after $((t1 - t0)) ms); epoch 2 current" \
	"$((t2 - t0)) ms after the rekey command ($DEVICES members," \
	"RekeyRate 20, RekeyGrace 10 s, RekeyRetry 4 s)"
log "   $sent messages sent, $got received ($under2 under epoch 2, $under3 under 3)," \
	"$dups twice; $((dropped1 - dropped0)) frames dropped; $on3 of $DEVICES devices" \
	"applied both rekeys"
if [ "$got" != "$sent" ]; then
	# Which messages are missing, by member: what to look for in the logs.
	sed -n 's/.* payload v-7-\([0-9]*\)-\([0-9]*\)$/\1 \2/p' app.out > got.txt
	awk '/^member=/ { split($1, m, "="); split($2, f, "=");
		for (i = 1; i <= f[2]; i++) print m[2], i }' fleet.out > sent.txt
	log "   missing (member seq-number), first ones: $(missing | head -n 20 | tr '\n' ',')"
	"$IP" netns exec "$NS_BE" wget -qO- "http://127.0.0.1:$METRICS_PORT/metrics" 2>&1 |
		grep -E '^grpsecd_(batches|entries)_refused|^grpsecd_batch_socket_drops|^grpsecd_rekeys|^grpsecd_downlinks' >&2
	n_gw grpsec stats | grep -E '^total|dl-|downlinks|tx-|drop' | head -n 40 >&2
	grep -E 'rekey|downlink|K_up' manager.log | tail -n 25 >&2
	grep -vE '^$' gateway.log | tail -n 25 >&2
fi
log "   $lossy devices (member id a multiple of $LOSE) dropped the first rekey frame" \
	"of both rekeys; rekeys sent again: ${resent1:-0} in the first rekey, ${resent:-0} in all; members heard under the new epoch" \
	"(HEARD): ${heard:-0} over both rekeys; $(grep -o 'epoch 3 is current, 2 retired.*' manager.log | sed 's/.*; //' | head -n 1)"
log "   control channel during the rekey: $bytes bytes, $((bytes / DEVICES)) per member" \
	"(the next epoch's K_m pushed, then the switch; keepalives included)"
log "   gateway daemon CPU: idle $idle_ms ms in 5 s; $((c1 - c0)) ms in the" \
	"$((t3 - t0)) ms from the rekey command to the switch installed"
[ "$got" = "$sent" ] || fail "the application got $got of $sent messages"
[ "$dups" = 0 ] || fail "$dups messages reached the application twice"
[ "$dropped1" = "$dropped0" ] || { n_gw grpsec stats >&2; fail "$((dropped1 - dropped0)) frames dropped during the rekey"; }
[ "$on3" = "$DEVICES" ] || fail "$on3 of $DEVICES devices applied both rekeys; the others:" \
	"$(grep '^member=' fleet.out | grep -v ' epoch=3 rekeys=2 ' | head -n 4 | tr '\n' ';')"
# The lossy devices got theirs from a retry: no gateway had heard them.
[ "$lossy" -gt 0 ] || fail "no device dropped its rekeys' first frames"
[ "${resent:-0}" -ge $((2 * lossy)) ] ||
	fail "${resent:-0} rekeys sent again, fewer than the $((2 * lossy)) the lossy devices lost"
# ...and the others, heard, not: without HEARD every member would be
# resent in the first rekey.  (In the second, the members sent their
# rekey while the gateway daemon was down may be resent too: not heard
# in time.)
[ "${resent1:-0}" -lt $((lossy + DEVICES / 2)) ] && [ "${heard:-0}" -ge $((2 * (DEVICES - lossy))) ] ||
	fail "rekeys sent again in the first rekey: ${resent1:-0}, members heard: ${heard:-0}: the gateway's HEARD did not spare the members that had theirs"
[ "$under2" -gt 0 ] && [ "$under3" -gt 0 ] || fail "no message under epoch 2 or 3"

log "4. the gateway dropped epoch 1 after the switches"
# An epoch-1 frame from a device that never applied its rekey: dropped now.
drop_a=$(drops)
run_in "$NS_M" grpsec-member send --state "$(state_of 1)" --group 7 --payload stale > /dev/null
wait_for 10 eval '[ "$(drops)" -gt "$drop_a" ]' ||
	fail "a frame under the retired epoch 1 was not dropped"
log "   a frame under epoch 1 is dropped"

exit 0
