#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every way an enrollment is refused, each with its reason in the log
# (the outcome counted) and nothing changed in the database: certificates
# from another CA, expired or revoked (CRL, taken on reload), an unknown
# PSK identity, a wrong PSK, a group the policy denies, a group that does
# not exist, and malformed, truncated, oversized and unversioned requests.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

{
	pki
	ca_new other
	cert_new other rogue meter-0666
	cert_new ca expired meter-0002 "" 20200101000000Z 20200201000000Z
	cert_new ca revoked meter-0003
	openssl ca -config ca.cnf -gencrl -out ca.crl
	psk_new psk-0003 sha256
} > pki.log 2>&1 || { cat pki.log; exit 1; }
openssl rand -hex 32 > wrong.psk
mkdir -p unknown
openssl rand -hex 32 > psk-9999.psk
CRL=1 enroll_conf m.conf
start_enroll_manager m.conf

expect 0 '^member=1 ' enroll_cert meter1 --group 7
expect 0 '^member=2 ' enroll_cert revoked --group 7
expect 0 '^member=3 ' enroll_psk psk-0002 sha384 --group 8
expect 0 '^revoked psk-0002' "$helper" revoke "sqlite:$PWD/manager.db" master.key psk-0002
before=$(db_rows)

# The handshake fails; the device learns it from the TLS alert.
expect 2 'enroll: ' enroll_cert rogue --group 7
log_has 'handshake failed \(cert_untrusted\) with .*unable to get local issuer certificate'
expect 2 'enroll: ' enroll_cert expired --group 7
log_has 'handshake failed \(cert_expired\) with .*certificate has expired'
crl_revoke ca revoked
kill -HUP "$manager_pid"
log_has 'configuration reloaded|reload'
expect 2 'enroll: ' enroll_cert revoked --group 7
log_has 'handshake failed \(cert_revoked\) with .*certificate revoked'
expect 2 'TLS handshake' enroll_psk psk-9999 sha256 --group 7
log_has 'handshake failed \(psk_unknown\) with .*PSK identity "psk-9999"'
expect 2 'TLS handshake' "$member" enroll --manager "127.0.0.1:$enroll_port" \
	--psk-identity psk-0001 --psk wrong.psk --state wrong.state --group 7
log_has 'handshake failed \(psk_mismatch\) with .*PSK identity "psk-0001"'

# The request is refused with a reason the device reads.
expect 3 'refused \(denied\): group 9: ' enroll_cert meter1 --group 7,9
log_has 'refused, denied: group 9'
expect 3 'refused \(unknown_group\): group 12345' enroll_psk psk-0001 sha256 --group 12345
log_has 'refused, unknown_group: group 12345'
# A device revoked in the database (grpsecctl revoke) cannot enroll again.
expect 3 'refused \(revoked\): this device is revoked' enroll_psk psk-0002 sha384 --group 8
log_has 'refused, revoked: '

expect 0 '^refusal reason=2 text=message version 2 not supported' \
	raw_psk psk-0003 02010000000000080000000100000007
expect 0 '^refusal reason=1 text=malformed request' \
	raw_psk psk-0003 010100000000000400000000
expect 0 '^refusal reason=1 text=malformed request' \
	raw_psk psk-0003 010100000000000c000000020000000800000007
expect 0 '^refusal reason=1 text=request of 65008 bytes: at most 76' \
	raw_psk psk-0003 010100000000fde8
expect 0 '^refusal reason=1 text=malformed message header' \
	raw_psk psk-0003 01010001000000080000000100000007
expect 0 '^refusal reason=1 text=expected an ENROLL message, got type 3' \
	raw_psk psk-0003 010300000000000400030000
log_has 'refused, malformed: request of 65008 bytes'
# Truncated: the header promises 8 bytes, 4 come, then the device goes.
printf '\x01\x01\x00\x00\x00\x00\x00\x08\x00\x00' > trunc.bin
openssl s_client -connect "127.0.0.1:$enroll_port" -tls1_3 -psk "$(cat psk-0003.psk)" \
	-psk_identity psk-0003 < trunc.bin > trunc.out 2>&1
log_has 'closed after 10 bytes of a request'

after=$(db_rows)
[ "$before" = "$after" ] && pass || fail "refusals changed the database: $before, then $after"
# No member id was used up by any refusal.
expect 0 '^member=4 ' enroll_psk psk-0003 sha256 --group 7

finish
