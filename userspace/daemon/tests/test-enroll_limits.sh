#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The enrollment server's bounds: a client that stalls mid-handshake is
# cut after HandshakeTimeout, one that finishes the handshake but sends no
# request gets a "timeout" refusal; with MaxHandshakes connections open,
# one more is closed at once (well before the timeout) and counted, while
# a device that comes when a place is free is still served.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

pki > pki.log 2>&1 || { cat pki.log; exit 1; }
enroll_conf m.conf "MaxHandshakes = 3
HandshakeTimeout = 3s"
start_enroll_manager m.conf

# stall N SECONDS: N connections that send half a ClientHello and wait;
# prints, per connection, how long until the manager closed it.
stall()
{
	python3 - "$enroll_port" "$1" "$2" <<'PY'
import socket, sys, time
port, n, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello, cut short
    socks.append((s, time.monotonic()))
    time.sleep(0.05)
print("held %d" % n, flush=True)
for s, t0 in socks:
    s.settimeout(wait)
    try:
        gone = s.recv(1) == b""
    except socket.timeout:
        gone = False
    except ConnectionResetError:
        gone = True
    print("closed after %.2f s" % (time.monotonic() - t0) if gone else "still open", flush=True)
PY
}

# A stalled handshake is cut after 3 s, not before (and not much later).
expect 0 '^closed after [3-6]\.[0-9]+ s$' stall 1 8
log_has 'handshake not finished in time, cut'

# A handshake without a request: refused with reason 7 (timeout).
{ sleep 5; } | openssl s_client -connect "127.0.0.1:$enroll_port" -tls1_3 -quiet \
	-psk "$(cat psk-0001.psk)" -psk_identity psk-0001 > idle.out 2> idle.err
expect 0 '^refusal reason=7 text=no whole request in time' decode_reply idle.out
log_has 'refused, timeout: no whole request in time'

# Two stalled connections hold two of the three places: a device is served.
stall 2 8 > two.out &
two=$!
wait_for grep -q held two.out
expect 0 '^member=1 ' enroll_psk psk-0001 sha256 --group 7
# Three held: one more connection is closed at once, long before the timeout.
stall 3 8 > three.out &
three=$!
wait_for grep -q held three.out
python3 - "$enroll_port" > over.out <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
s.settimeout(5)
try:
    gone = s.recv(1) == b""
except ConnectionResetError:
    gone = True
print("closed after %.2f s" % (time.monotonic() - t0) if gone else "open")
PY
expect 0 '^closed after (0\.[0-9]+|1\.[0-4][0-9]) s$' cat over.out
log_has 'MaxHandshakes \(3\) reached'
expect 2 'enroll: ' enroll_psk psk-0002 sha384 --group 8 --timeout 1
wait "$two" "$three"
# Every stalled connection was cut by the timeout, none left open.
! grep -q 'still open' two.out three.out && pass || fail "a stalled connection was not cut"
# The places are free again: served.
expect 0 '^member=2 ' enroll_psk psk-0002 sha384 --group 8

finish
