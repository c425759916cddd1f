#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsec end to end, nobody copying a key by hand: devices | gateway |
# manager, each in its namespace.
#
#   members (devices) --- gw (grpsec.ko, grpsecd gateway) --- backend
#          \__________ enrollment network ____________________/ (grpsecd manager)
#
# 1. grpsecd manager starts with two groups (7 anonymous, 8 identified)
#    and gateway 42; grpsecd gateway connects over the control channel
#    (mutual TLS 1.3) and programs the module: the upstream under the
#    K_up both ends derived from the connection, the listen port.
# 2. DEVICES devices enroll over TLS 1.3 (a few with certificates, the
#    rest with PSKs of both hashes); the manager pushes each new member
#    to the gateway, which installs it.
# 3. Every device reports once in each group through grpsec.ko; the
#    application on the manager's ApplicationSocket receives every
#    message exactly once, the identified ones under their member ids.
# 4. The gateway daemon is killed (-9) and started again while devices
#    report: it reads what the kernel holds and changes nothing the
#    traffic needs; no frame is dropped.
# 5. The manager is killed (-9) and started again: the gateway
#    reconnects, a new K_up is installed, and reports sent after that
#    reach the application once.
#
# DEVICES: GRPSECD_DEVICES, else 200 on the normal kernel and fewer on
# the slower ones, so the test keeps within its time limit under
# emulation, where an enrollment costs the guest about 0.27 s of its two
# CPUs and a report 0.1 s.  `make demo` runs 1,000.

source "$(dirname "$0")/grpsecd_lib.sh"

DEVICES=${GRPSECD_DEVICES:-$((200 / TIMEOUT_SCALE))}
N_CERT=10

grpsecd_up

log "3. every device reports once in each group"
app_start app1.out $((2 * DEVICES))
drops0=$(stat drop-unknown-member)
report r1
app_check app1.out $((2 * DEVICES)) r1
# Identified messages carry their member id: each member once.
n8=$(awk '$5 == 8 { print $7 }' app1.out | sort -u | wc -l)
[ "$n8" = "$DEVICES" ] || fail "$n8 distinct members in group 8, want $DEVICES"
[ "$(stat drop-unknown-member)" = "$drops0" ] || fail "frames of unknown members dropped"
log "   the application received all $((2 * DEVICES)) messages, each once"

log "4. the gateway daemon killed and restarted under traffic"
verified0=$(stat verified)
dropped0=$(drops)
ROUNDS=6
app_start app2.out $((2 * DEVICES * ROUNDS))
( for r in $(seq 1 $ROUNDS); do report "r2.$r"; sleep 0.5; done ) &
traffic=$!
sleep 1
pushes=$(grep -c "control: full push" "$K/gateway.log")
daemon_kill gateway
daemon_start "$NS_GW" gateway
wait "$traffic"
dropped1=$(drops)
[ "$dropped1" = "$dropped0" ] ||
	fail "$((dropped1 - dropped0)) frames dropped across the gateway daemon's restart"
app_check app2.out $((2 * DEVICES * ROUNDS)) r2
wait_for 30 eval '[ "$(grep -c "control: full push" "$K/gateway.log")" -gt $pushes ]' ||
	fail "the restarted gateway daemon had no full push"
log "   $(( $(stat verified) - verified0 )) frames verified in $ROUNDS rounds around the" \
	"restart, 0 dropped, each message once"

log "5. the manager killed and restarted: the gateway reconnects with a new K_up"
n_conn=$(grep -c "K_up installed" "$K/manager.log" || true)
daemon_kill manager
daemon_start "$NS_BE" manager
log_wait manager "manager started"
# The gateway's backoff starts at a second; the manager logs the new
# K_up when the gateway is back.
wait_for 90 eval '[ "$(grep -c "K_up installed" "$K/manager.log")" -gt $n_conn ]' ||
	fail "the gateway did not reconnect"
app_start app3.out $((2 * DEVICES))
report r3
app_check app3.out $((2 * DEVICES)) r3
log "   after the reconnect all $((2 * DEVICES)) messages arrived once"

exit 0
