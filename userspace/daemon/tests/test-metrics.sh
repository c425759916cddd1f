#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# /metrics: parsed by a real Prometheus text parser (Debian's
# python3-prometheus-client); every family with its type; members per
# group and epoch age read from the database; counters that move; the
# HTTP answers for what is not GET /metrics.
set -u
. "$GRPSECD_TESTS/lib.sh"

/usr/bin/python3 -c 'import prometheus_client.parser' 2> /dev/null || {
	echo "python3-prometheus-client is not installed"
	exit 77
}

manager_conf "$PWD/m.conf" '[Group]' 'Id = 20'
start_manager m.conf || exit 1
url=http://127.0.0.1:$metrics_port/metrics

# check PYTHON: parse the page into families {name: (type, {labels: value})}
# and run the assertion PYTHON on it.
check()
{
	curl -sf "$url" > page.txt || { fail "GET $url"; return; }
	/usr/bin/python3 - "$1" page.txt <<'PY' && pass || { fail "assertion: $1"; sed 's/^/    | /' page.txt; }
import sys
from prometheus_client.parser import text_string_to_metric_families
fam = {}
for f in text_string_to_metric_families(open(sys.argv[2]).read()):
    fam[f.name] = (f.type, {tuple(sorted(s.labels.items())): s.value for s in f.samples})
def v(name, **labels):
    f = fam.get(name) or fam[name[:-len("_total")]]
    return f[1].get(tuple(sorted(labels.items())))
exec(sys.argv[1])
PY
}

check '
types = {n: t for n, (t, _) in fam.items()}
want = {"grpsecd_enrollments": "counter", "grpsecd_enrollment_refusals": "counter",
        "grpsecd_members": "gauge", "grpsecd_epoch_age_seconds": "gauge",
        "grpsecd_messages_received": "counter", "grpsecd_batches_refused": "counter",
        "grpsecd_revocations": "counter", "grpsecd_reloads": "counter",
        "grpsecd_start_time_seconds": "gauge"}
assert all(types.get(n) == t for n, t in want.items()), types
assert v("grpsecd_revocations_total") == 0
assert v("grpsecd_start_time_seconds") > 1.7e9
assert v("grpsecd_members", group="10") == 0
'

# Members and epoch age come from the database.
for i in 1 2 3; do
	store_helper enroll "CN=m$i" cert 10 > /dev/null || fail "helper: enroll $i"
done
store_helper enroll psk-1 psk 20 > /dev/null || fail "helper: enroll psk"
check '
assert v("grpsecd_members", group="10") == 3, v("grpsecd_members", group="10")
assert v("grpsecd_members", group="20") == 1
assert 0 <= v("grpsecd_epoch_age_seconds", group="10") < 60
'
ctl revoke CN=m2 > /dev/null || fail "revoke"
ctl reload > /dev/null || fail "reload"
check '
assert v("grpsecd_members", group="10") == 2
assert v("grpsecd_revocations_total") == 1
assert v("grpsecd_reloads_total", outcome="ok") == 1
'

# HTTP: what is not GET /metrics.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "http://127.0.0.1:$metrics_port/")" = 404 ] && pass || fail "GET / is not 404"
[ "$(code -X POST "$url")" = 405 ] && pass || fail "POST is not 405"
[ "$(code -I "$url")" = 200 ] && pass || fail "HEAD is not 200"
expect 0 'Content-Type: text/plain; version=0.0.4' curl -sI "$url"
expect 0 '400 Bad Request' /usr/bin/python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $metrics_port))
s.sendall(b'garbage\r\n\r\n')
print(s.recv(4096).decode())"
kill -0 "$manager_pid" && pass || fail "the daemon died"

finish
