#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The enrollment server under valgrind: enrollments with a certificate and
# with a PSK, refusals, failed handshakes, a malformed request, a client
# over the limit, a reload, and connections still open (one stalled
# mid-handshake, one idle after it) when SIGTERM comes.  No invalid
# access, no uninitialised value, nothing leaked at exit.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"
command -v valgrind > /dev/null || { echo "valgrind is not installed"; exit 77; }

pki > pki.log 2>&1 || { cat pki.log; exit 1; }
enroll_conf m.conf "MaxHandshakes = 3
HandshakeTimeout = 20s"
cat > vg.sh <<VG
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \\
	--error-exitcode=99 --log-file="$PWD/valgrind.log" "$grpsecd" "\$@"
VG
chmod +x vg.sh
grpsecd=$PWD/vg.sh
start_enroll_manager m.conf

expect 0 '^member=1 ' enroll_cert meter1 --group 7,8 --timeout 60
expect 0 '^member=2 ' enroll_psk psk-0002 sha384 --group 8 --timeout 60
expect 3 'refused \(denied\)' enroll_cert meter1 --group 9 --timeout 60
expect 2 'enroll: ' enroll_psk psk-0001 sha384 --group 7 --timeout 60
expect 0 '^refusal reason=1 ' raw_psk psk-0001 010100000000000400000000
kill -HUP "$manager_pid"
log_has 'configuration reloaded'
/usr/bin/python3 - "$enroll_port" > hold.out <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port)); a.sendall(b"\x16\x03\x01\x02\x00\x01")
b = socket.create_connection(("127.0.0.1", port))
c = socket.create_connection(("127.0.0.1", port))
time.sleep(1)
d = socket.create_connection(("127.0.0.1", port))    # over the limit
d.settimeout(10)
print("over the limit closed" if d.recv(1) == b"" else "over the limit open", flush=True)
time.sleep(10)       # a, b and c still open when the daemon stops
PY
hold=$!
wait_for grep -q 'over the limit' hold.out
expect 0 '^over the limit closed$' cat hold.out
kill "$manager_pid"
wait "$manager_pid"
rc=$?
[ $rc = 0 ] && pass || fail "exit status $rc under valgrind"
kill "$hold" 2> /dev/null
if [ -s valgrind.log ]; then
	fail "valgrind:"
	sed 's/^/    | /' valgrind.log | head -80
else
	pass
fi

finish
