#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# /metrics counts enrollments: by outcome, and every refusal by its
# reason, as the enrollment server saw them.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

/usr/bin/python3 -c 'import prometheus_client.parser' 2> /dev/null || {
	echo "python3-prometheus-client is not installed"
	exit 77
}
pki > pki.log 2>&1 || { cat pki.log; exit 1; }
port=$(random_port)
enroll_conf m.conf "MetricsListen = 127.0.0.1:$port"
start_enroll_manager m.conf

expect 0 '^member=1 ' enroll_cert meter1 --group 7
expect 0 '^member=2 ' enroll_psk psk-0001 sha256 --group 8
expect 3 'refused \(denied\)' enroll_cert meter1 --group 9
expect 3 'refused \(unknown_group\)' enroll_psk psk-0001 sha256 --group 12345
expect 3 'refused \(unknown_group\)' enroll_psk psk-0001 sha256 --group 12346

curl -sf "http://127.0.0.1:$port/metrics" > page.txt || fail "GET /metrics"
/usr/bin/python3 - page.txt <<'PY' && pass || { fail "counts"; sed 's/^/    | /' page.txt; }
import sys
from prometheus_client.parser import text_string_to_metric_families
v = {}
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        v[(s.name, tuple(sorted(s.labels.items())))] = s.value
def get(name, **labels):
    return v.get((name, tuple(sorted(labels.items()))))
assert get("grpsecd_enrollments_total", outcome="enrolled") == 2
assert get("grpsecd_enrollments_total", outcome="refused") == 3
assert get("grpsecd_enrollment_refusals_total", reason="denied") == 1
assert get("grpsecd_enrollment_refusals_total", reason="unknown_group") == 2
assert get("grpsecd_members", group="7") == 1
assert get("grpsecd_members", group="8") == 1
PY

finish
