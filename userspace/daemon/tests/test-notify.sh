#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sd_notify: READY=1 once serving, RELOADING=1 then READY=1 around a
# reload (a failed one too), STOPPING=1 on SIGTERM; with the socket given
# as a path and in the abstract namespace.  A listener stands in for
# systemd.
set -u
. "$GRPSECD_TESTS/lib.sh"

# listen ADDR OUT: collect datagrams on ADDR into OUT, one per line
# ("|" for newlines), until STOPPING=1 or 20 s.
listen()
{
	/usr/bin/python3 - "$1" "$2" <<'PY' &
import socket, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
s.settimeout(20)
with open(sys.argv[2] + ".tmp", "w") as out:
    out.write("listening\n")
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
try:
    while True:
        m = s.recv(4096).decode()
        with open(sys.argv[2], "a") as out:
            out.write(m.replace("\n", "|") + "\n")
        if "STOPPING=1" in m:
            break
except socket.timeout:
    pass
PY
	listener=$!
	wait_for test -s "$2"
}

run_once()
{
	local addr=$1 out=$2
	manager_conf "$PWD/m.conf"
	listen "$addr" "$out" || { fail "listener on $addr"; return; }
	NOTIFY_SOCKET=$addr start_manager m.conf || { fail "start"; return; }
	wait_for grep -q '^READY=1' "$out" && pass || fail "$addr: no READY=1"
	ctl reload > /dev/null || fail "reload"
	echo Nonsense >> m.conf
	ctl reload > /dev/null 2>&1 && fail "a bad reload succeeded"
	kill "$manager_pid"
	wait "$manager_pid"
	wait "$listener"
	grep -v '^listening$' "$out" > "$out.seen"
	diff -u - "$out.seen" <<'SEEN' && pass || fail "$addr: the notifications differ"
READY=1|STATUS=running
RELOADING=1
READY=1|STATUS=running
RELOADING=1
READY=1|STATUS=reload failed, previous configuration kept
STOPPING=1
SEEN
}

run_once "$PWD/notify.sock" path.out
run_once "@grpsecd-test-$$" abstract.out

# WatchdogSec=: WATCHDOG=1 twice per interval, only when meant for us.
watchdog_run()
{
	local pid=$1 out=$2
	manager_conf "$PWD/m.conf"
	rm -f "$PWD/wd.sock"
	listen "$PWD/wd.sock" "$out" || { fail "listener"; return; }
	export NOTIFY_SOCKET=$PWD/wd.sock WATCHDOG_USEC=200000
	[ -n "$pid" ] && export WATCHDOG_PID=$pid
	start_manager m.conf || fail "start"
	unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
	sleep 1
	kill "$manager_pid"
	wait "$manager_pid"
	wait "$listener"
}
watchdog_run "" wd.out
n=$(grep -c '^WATCHDOG=1$' wd.out)
[ "$n" -ge 5 ] && [ "$n" -le 15 ] && pass || fail "$n keep-alives in about 1 s, want about 10"
watchdog_run 1 wd-other.out
! grep -q WATCHDOG wd-other.out && pass || fail "keep-alives for another process's watchdog"

# Without NOTIFY_SOCKET the daemon runs the same.
manager_conf "$PWD/m.conf"
start_manager m.conf && pass || fail "start without NOTIFY_SOCKET"

finish
