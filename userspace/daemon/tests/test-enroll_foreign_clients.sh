#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TLS 1.3 clients no one here wrote: openssl s_client and gnutls-cli send
# hand-built ENROLL bytes with a certificate and with a PSK, and read the
# answer.  Both print the connection's exporter value for the label
# EXPORTER-grpsec-wrap; K_wrap,m derived from it must be the one the
# manager stored, so the wrap key never travelled and both ends agree.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"
command -v gnutls-cli > /dev/null || { echo "gnutls-cli is not installed (gnutls-bin)"; exit 77; }

{
	pki
	cert_new ca meter2 meter-0002
	cert_new ca meter3 meter-0003
} > pki.log 2>&1 || { cat pki.log; exit 1; }
enroll_conf m.conf
start_enroll_manager m.conf
req7=$(req_hex 7)
printf '%s' "$req7" | sed 's/../\\x&/g' | xargs -0 printf > req7.bin
printf '%s' "$(req_hex 7 8)" | sed 's/../\\x&/g' | xargs -0 printf > req78.bin

# check_wrap OUT MEMBER GROUP EXPORTER: the exporter from a client's output
# gives the stored K_wrap,m.
check_wrap()
{
	expect 0 '^wrap key match$' "$helper" exporter "sqlite:$PWD/manager.db" master.key \
		"$1" "$2" "$3"
}

# openssl s_client, certificate.
openssl s_client -connect "127.0.0.1:$enroll_port" -tls1_3 -cert meter2.pem -key meter2.key \
	-CAfile ca.pem -verify_return_error -verify_hostname manager.test \
	-keymatexport EXPORTER-grpsec-wrap -keymatexportlen 32 -ign_eof \
	< req78.bin > s1.out 2> s1.err
expect 0 '^answer member=1 groups=2$' decode_reply s1.out
check_wrap 1 8 "$(sed -n 's/^ *Keying material: *//p' s1.out)"

# openssl s_client, PSK (SHA-256).
openssl s_client -connect "127.0.0.1:$enroll_port" -tls1_3 -psk "$(cat psk-0001.psk)" \
	-psk_identity psk-0001 -ciphersuites TLS_AES_128_GCM_SHA256 \
	-keymatexport EXPORTER-grpsec-wrap -keymatexportlen 32 -ign_eof \
	< req7.bin > s2.out 2> s2.err
expect 0 '^answer member=2 groups=1$' decode_reply s2.out
check_wrap 2 7 "$(sed -n 's/^ *Keying material: *//p' s2.out)"

# gnutls-cli, certificate.
gnutls-cli -p "$enroll_port" 127.0.0.1 --x509certfile meter3.pem --x509keyfile meter3.key \
	--x509cafile ca.pem --verify-hostname manager.test \
	--priority NORMAL:-VERS-ALL:+VERS-TLS1.3 --logfile g1.log \
	--keymatexport EXPORTER-grpsec-wrap --keymatexportsize 32 < req7.bin > g1.out 2> g1.err
expect 0 '^answer member=3 groups=1$' decode_reply g1.out
check_wrap 3 7 "$(sed -n 's/^- Key material: *//p' g1.log)"

# gnutls-cli, PSK: it offers every suite, the manager keeps those of the
# PSK's hash (gnutls-cli's external PSKs are SHA-256 ones).
gnutls-cli -p "$enroll_port" 127.0.0.1 --pskusername psk-0001 --pskkey "$(cat psk-0001.psk)" \
	--priority NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK:+ECDHE-PSK:+DHE-PSK --logfile g2.log \
	--keymatexport EXPORTER-grpsec-wrap --keymatexportsize 32 < req78.bin > g2.out 2> g2.err
expect 0 '^answer member=4 groups=2$' decode_reply g2.out
check_wrap 4 8 "$(sed -n 's/^- Key material: *//p' g2.log)"
log_has '\(psk-0001\): member 4, 2 groups, PSK TLS_(AES_128_GCM|CHACHA20_POLY1305)_SHA256'

# A wrong exporter value does not match (the check can fail).
expect 1 '^wrap key differs$' "$helper" exporter "sqlite:$PWD/manager.db" master.key 4 8 \
	"$(printf '%064d' 0)"

finish
