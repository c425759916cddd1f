#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The control channel's mutual TLS: a gateway certificate from another
# CA, one whose subject no [Gateway] carries, a client without a
# certificate (openssl s_client), a TLS 1.2 client and one that never
# finishes its handshake are refused, each counted by outcome in
# /metrics; the gateway refuses a manager without the ManagerName it
# expects and retries with a growing backoff; none of them got a key.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"
. "$GRPSECD_TESTS/control-lib.sh"

control_setup
enroll_meter meter1 7,8 > /dev/null || fail "enrollment"

# counted OUTCOME N: grpsecd_control_connections_total{outcome} reaches N.
counted() { wait_for metric_is grpsecd_control_connections_total outcome "$1" "$2"; }

gateway_conf evil.conf gwevil
start_gateway evil.conf evil
counted cert_untrusted 1 && pass || fail "another CA: $(metric grpsecd_control_connections_total outcome cert_untrusted)"
log_has 'control: handshake failed \(cert_untrusted\) with 127\.0\.0\.1:[0-9]+: .*certificate verify failed'
wait_for gw_has evil ' failures=1 ' || fail "evil: the gateway did not see the refusal"
kill "$gateway_pid"

gateway_conf nine.conf gw9
start_gateway nine.conf nine
counted unknown_identity 1 && pass || fail "unknown identity not counted"
log_has 'control 127\.0\.0\.1:[0-9]+: refused: no \[Gateway\] has the Identity "CN=gateway-9,O=Utility"'
wait_for gw_has nine ' failures=1 ' || fail "nine: the gateway did not see the refusal"
kill "$gateway_pid"
for d in evil nine; do
	# TLS 1.3: the client's handshake ends before the manager judges its certificate.
	gw_has "$d" ' pushes=0 ' && [ ! -e "$d/kup.key" ] && ! gw_has "$d" '^member ' && pass ||
		{ fail "$d got something:"; gw_state "$d"; }
done

# Clients nobody here wrote: no certificate, TLS 1.2.
openssl s_client -connect "127.0.0.1:$control_port" -tls1_3 -CAfile ca.pem \
	-servername manager.test < /dev/null > s_client.out 2>&1
counted no_certificate 1 && pass || { fail "s_client without a certificate:"; cat s_client.out; }
! grep -q "^\x01\x10" s_client.out && pass || fail "s_client got an UPSTREAM"
openssl s_client -connect "127.0.0.1:$control_port" -tls1_2 -cert gw1.pem -key gw1.key \
	-CAfile ca.pem < /dev/null > s_client12.out 2>&1
counted tls_protocol 1 && pass || { fail "TLS 1.2 not refused:"; cat s_client12.out; }
# With a good certificate, s_client gets the push's first message: UPSTREAM.
timeout 3 openssl s_client -connect "127.0.0.1:$control_port" -tls1_3 -cert gw1.pem \
	-key gw1.key -CAfile ca.pem -servername manager.test -quiet < /dev/null > s_client_ok.out 2> /dev/null
counted ok 1 && pass || fail "s_client with gateway 1's certificate not taken"
[ "$(head -c 2 s_client_ok.out | od -An -tx1 | tr -d ' ')" = 0110 ] && pass ||
	fail "s_client's first message is not UPSTREAM"

# A client that connects and says nothing: cut after HandshakeTimeout (2 s).
python3 -c 'import socket, time; s = socket.create_connection(("127.0.0.1", '"$control_port"')); time.sleep(4)' &
stalled=$!
counted handshake_timeout 1 && pass || fail "a stalled handshake not cut"
wait "$stalled"

# The gateway checks the manager: a ManagerName its certificate lacks.
gateway_conf wrong.conf gw1
sed -i 's/^ManagerName = .*/ManagerName = other.test/' wrong.conf
start_gateway wrong.conf wrong
wait_for gw_has wrong 'failures=2 ' && pass || { fail "no retries:"; gw_state wrong; }
gw_has wrong 'connects=0 ' && [ ! -e wrong/kup.key ] && pass || fail "a manager of another name taken"
grep -q 'TLS handshake failed with the manager' wrong.log && pass || fail "no log line"
b=$(sed -n 's/.* backoff_ms=\([0-9]*\) .*/\1/p' wrong/state.txt)
[ "$b" -ge 1500 ] && [ "$b" -le 2500 ] && pass || fail "second wait $b ms, want 2 s +-25%"
kill "$gateway_pid"
wait_for metric_is grpsecd_gateways_connected '' '' 0 && pass ||
	fail "still connected: $(metric grpsecd_gateways_connected '' '')"
finish
