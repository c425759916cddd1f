#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The manager under valgrind: every control socket command, good and bad
# reloads, /metrics and bad HTTP, clients that stall or send too much,
# then SIGTERM.  No invalid access, no uninitialised value, nothing
# leaked at exit.
set -u
. "$GRPSECD_TESTS/lib.sh"

command -v valgrind > /dev/null || { echo "valgrind is not installed"; exit 77; }

manager_conf "$PWD/m.conf" '[Group]' 'Id = 11' 'Mode = anonymous' \
	'[Allow]' 'Group = 10' 'Subject = CN=*'
cp m.conf base.conf
# A wrapper that execs: the daemon's pid is valgrind's, signals reach it.
cat > vg.sh <<VG
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \\
	--error-exitcode=99 --log-file="$PWD/valgrind.log" "$grpsecd" "\$@"
VG
chmod +x vg.sh
grpsecd=$PWD/vg.sh
start_manager m.conf || exit 1

store_helper enroll 'CN=a b' cert 10 11 > /dev/null || fail "helper: enroll"
store_helper enroll psk-1 psk 11 > /dev/null || fail "helper: enroll psk"
store_helper enroll-many CN=m- 300 cert 10 11 > /dev/null || fail "helper: enroll-many"
for c in show devices members "members 10" groups help "rekey 10" "members x" frob; do
	ctl $c > /dev/null 2>&1
done
ctl -j revoke 'CN=a b' > /dev/null || fail "revoke"
{ cat base.conf; printf '[Group]\nId = 12\n'; } > m.conf
ctl reload > /dev/null || fail "good reload"
{ cat base.conf; printf 'Suite = x\n[Bogus]\n'; } > m.conf
ctl reload > /dev/null 2>&1 && fail "bad reload taken"
kill -HUP "$manager_pid"
curl -s "http://127.0.0.1:$metrics_port/metrics" > /dev/null || fail "metrics"
curl -s "http://127.0.0.1:$metrics_port/nothing" > /dev/null
curl -s -X POST "http://127.0.0.1:$metrics_port/metrics" > /dev/null
/usr/bin/python3 - "$sock" "$metrics_port" <<'PY'
import socket, sys, time
u = socket.socket(socket.AF_UNIX); u.connect(sys.argv[1]); u.sendall(b"x" * 5000)
t = socket.create_connection(("127.0.0.1", int(sys.argv[2]))); t.sendall(b"GET /metr")
time.sleep(0.3)     # both still open when the daemon stops
u2 = socket.socket(socket.AF_UNIX); u2.connect(sys.argv[1]); u2.sendall(b"show")
u3 = socket.socket(socket.AF_UNIX); u3.connect(sys.argv[1]); u3.sendall(b"members\n")
u3.recv(100); u3.close()    # gone in the middle of a listing in pages
u4 = socket.socket(socket.AF_UNIX); u4.connect(sys.argv[1]); u4.sendall(b"devices\n")
u4.recv(100)                # still in the middle of it when the daemon stops
time.sleep(0.2)
PY
ctl show > /dev/null || fail "show after the stress"
kill "$manager_pid"
wait "$manager_pid"
rc=$?
[ $rc = 0 ] && pass || fail "exit status $rc under valgrind"
if [ -s valgrind.log ]; then
	fail "valgrind:"
	sed 's/^/    | /' valgrind.log | head -60
else
	pass
fi

finish
