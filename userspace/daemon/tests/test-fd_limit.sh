#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Out of file descriptors: the daemon stops accepting for a while instead
# of spinning on a listening socket that stays readable, says so once,
# and serves again when descriptors are free.
set -u
. "$GRPSECD_TESTS/lib.sh"

manager_conf "$PWD/m.conf"
# Room for the daemon's own descriptors and a few clients, not for 40.
(ulimit -n 24 && exec "$grpsecd" manager -c m.conf >> m.conf.log 2>&1) &
manager_pid=$!
daemon_pids+=("$manager_pid")
wait_for ctl show || { fail "no daemon"; cat m.conf.log; exit 1; }

# cpu: the daemon's user + system clock ticks so far.
cpu() { awk '{ print $14 + $15 }' "/proc/$manager_pid/stat"; }

/usr/bin/python3 - "$sock" > hold.out <<'PY' &
import socket, sys, time
held = []
for _ in range(40):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])      # the backlog takes them; accept() cannot
    held.append(s)
print("held", flush=True)
time.sleep(3)
PY
holder=$!
wait_for grep -q held hold.out || fail "clients not connected"
sleep 0.5
c0=$(cpu)
sleep 1.5
c1=$(cpu)
ticks=$((c1 - c0))
echo "daemon CPU over 1.5 s while out of descriptors: $ticks ticks"
[ "$ticks" -le 20 ] && pass || fail "the daemon spun: $ticks ticks in 1.5 s"
[ "$(grep -c 'out of file descriptors' m.conf.log)" = 1 ] && pass ||
	fail "the warning, once: $(grep -c 'out of file descriptors' m.conf.log) times"
wait "$holder"
wait_for ctl show && pass || fail "not serving once descriptors are free"
expect 0 '^role +manager$' ctl show

finish
