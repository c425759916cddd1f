#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BatchListen's receive buffer: the manager asks for 8 MiB, and what the
# kernel still drops (the manager stopped while 20,000 datagrams of 1,400
# bytes arrive) is counted in grpsecd_batch_socket_drops_total and
# logged, so that a batch lost before the manager could read it is never
# silent.
set -u
. "$GRPSECD_TESTS/lib.sh"

port=$(random_port)
manager_conf "$PWD/m.conf" '[Group]' 'Id = 20' 'Mode = anonymous'
sed -i "/^\[Manager\]/a BatchListen = 127.0.0.1:$port" m.conf
start_manager m.conf || exit 1

metric()
{
	curl -sf "http://127.0.0.1:$metrics_port/metrics" |
		awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }'
}

[ "$(metric grpsecd_batch_socket_drops_total)" = 0 ] && pass || fail "drops before any batch"
kill -STOP "$manager_pid"
python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d = b"\x01" + bytes(1399)
for _ in range(20000):
    s.sendto(d, ("127.0.0.1", int(sys.argv[1])))
PY
kill -CONT "$manager_pid"
counted() { [ "$(metric grpsecd_batch_socket_drops_total)" -gt 0 ]; }
wait_for counted && pass || fail "no drops counted: $(metric grpsecd_batch_socket_drops_total)"
drops=$(metric grpsecd_batch_socket_drops_total)
malformed=$(curl -sf "http://127.0.0.1:$metrics_port/metrics" |
	awk '$1 == "grpsecd_batches_refused_total{reason=\"malformed\"}" { print $2 }')
echo "dropped by the kernel: $drops, read and refused as malformed: ${malformed:-0}"
# What was read and what was dropped make up every datagram sent.
all() { [ $(( $(metric grpsecd_batch_socket_drops_total) + \
	$(curl -sf "http://127.0.0.1:$metrics_port/metrics" |
	  awk '$1 == "grpsecd_batches_refused_total{reason=\"malformed\"}" { print $2 + 0 }') )) = 20000 ]; }
wait_for all && pass || fail "drops and refusals do not add up to 20000"
grep -q 'batches dropped by the kernel before they were read' m.conf.log && pass ||
	fail "the drops were not logged"
finish
