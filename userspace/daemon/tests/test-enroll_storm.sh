#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 1,000 devices enroll at once, half with certificates, half with PSKs
# (of both hashes): every one is served, with its own member id, and the
# database holds exactly their devices and member rows.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

n_cert=${STORM_CERTS:-500}
n_psk=${STORM_PSKS:-500}
ulimit -n 8192

pki > pki.log 2>&1 || { cat pki.log; exit 1; }
t0=$SECONDS
storm_pki "$n_cert" "$n_psk" > storm-pki.log 2>&1 || { tail storm-pki.log; exit 1; }
echo "$n_cert certificates and $n_psk PSKs made in $((SECONDS - t0)) s"
enroll_conf m.conf "MaxHandshakes = 2048
HandshakeTimeout = 120s"
start_enroll_manager m.conf

"$helper" storm "127.0.0.1:$enroll_port" ca.pem devices "$n_cert" "$n_psk" 1000 > storm.out
cat storm.out
expect 0 "^enrolled=$((n_cert + n_psk)) refused=0 failed=0 distinct_members=$((n_cert + n_psk)) " \
	cat storm.out
expect 0 "^devices=$((n_cert + n_psk)) members=$((2 * n_cert + n_psk))$" db_rows
! grep -q 'over_limit\|MaxHandshakes' "$conf.log" && pass || fail "connections were refused"

finish
