#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A rekey under traffic, devices | gateway | manager (grpsecd_lib.sh).
#
# DEVICES devices (default 100, GRPSECD_DEVICES) enroll in groups 7
# (anonymous) and 8; each then reports in group 7 every 500 ms for
# DURATION s from one socket, and applies the rekey the gateway hands it
# there.  `grpsecctl rekey 7` a few seconds in: the manager pushes both
# epochs to the gateway and holds the rekeys until the gateway said
# INSTALLED, sends them paced (RekeyRate 20: 5 s for the group), switches
# after RekeyGrace (3 s) and pushes again, so that the gateway drops the
# old epoch.  Checked: every message reaches the application exactly
# once, the gateway dropped no frame, every device ends on epoch 2 and
# the module holds only epoch 2's slots afterwards; the times printed.

source "$(dirname "$0")/grpsecd_lib.sh"

DEVICES=${GRPSECD_DEVICES:-100}
N_CERT=2
DURATION=30
EVERY_MS=500
MANAGER_EXTRA="RekeyRate = 20
RekeyGrace = 3s"

grpsecd_up

log "3. every device reports every $EVERY_MS ms for $DURATION s; group 7 rekeyed meanwhile"
# The application runs past the devices; it counts, the test compares.
app_run app.out $((DURATION + 40))
dropped0=$(drops)
devs=()
devices_report 1 "$DEVICES" 7 $DURATION $EVERY_MS
sleep 4
t0=$(ms)
run_in "$NS_BE" grpsecctl -s "$K/manager.sock" rekey 7 ||
	fail "grpsecctl rekey 7 refused"
log_wait manager "group 7: epoch 2 is in every connected gateway's module" 20
t1=$(ms)
log_wait manager "group 7: epoch 2 is current" 40
t2=$(ms)
log_wait manager "group 7: epoch 2 is current: pushed to 1 connected" 5
devices_wait
sent=$(sed -n 's/^member=.* frames=\([0-9]*\) .*/\1/p' dev-*.out | awk '{ s += $1 } END { print s + 0 }')
on2=$(grep -c ' epoch=2 rekeys=1$' dev-*.out | awk -F: '{ s += $2 } END { print s + 0 }')
wait "$app_pid" || true
got=$(grep -c '^message .* payload v' app.out || true)
dups=$(sed -n 's/.* payload //p' app.out | sort | uniq -d | wc -l)
under2=$(grep -c '^message .* group 7 member [0-9]* epoch 2 ' app.out || true)
dropped1=$(drops)
inst=$(sed -n 's/.*group 7: epoch 2 is in every .* after \([0-9]*\) ms.*/\1/p' manager.log)
log "   the rekeys held $inst ms for INSTALLED (seen here after $((t1 - t0)) ms); epoch 2 current" \
	"$((t2 - t0)) ms after the rekey command ($DEVICES members," \
	"RekeyRate 20, RekeyGrace 3 s)"
log "   $sent messages sent, $got received ($under2 under epoch 2), $dups twice;" \
	"$((dropped1 - dropped0)) frames dropped; $on2 of $DEVICES devices on epoch 2"
[ "$got" = "$sent" ] || fail "the application got $got of $sent messages"
[ "$dups" = 0 ] || fail "$dups messages reached the application twice"
[ "$dropped1" = "$dropped0" ] || { n_gw grpsec stats >&2; fail "$((dropped1 - dropped0)) frames dropped during the rekey"; }
[ "$on2" = "$DEVICES" ] || fail "$on2 of $DEVICES devices ended on epoch 2"
[ "$under2" -gt 0 ] || fail "no message under epoch 2"

log "4. the gateway dropped epoch 1 after the switch"
# An epoch-1 frame from a device that never applied its rekey: dropped now.
drop_a=$(drops)
run_in "$NS_M" grpsec-member send --state dev-1.state --group 7 --payload stale > /dev/null
wait_for 10 eval '[ "$(drops)" -gt "$drop_a" ]' ||
	fail "a frame under the retired epoch 1 was not dropped"
log "   a frame under epoch 1 is dropped"

exit 0
