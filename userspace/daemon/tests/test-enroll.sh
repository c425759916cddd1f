#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Enrollment that works: a device certificate, and PSKs of both hashes
# (TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384); credentials saved
# 0600 and used by send, the sequence resuming above its reservation;
# during a rollover the next epoch's keys too; a device that enrolls again
# gets a fresh member id.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

pki > pki.log 2>&1 || { cat pki.log; exit 1; }
enroll_conf m.conf
start_enroll_manager m.conf

expect 0 '^member=1 groups=7,8 gateway=127.0.0.1:4790$' enroll_cert meter1 --group 7,8
log_has 'enroll .*\(CN=meter-0001,O=Utility\): member 1, 2 groups, certificate TLS_AES_256_GCM_SHA384'
expect 0 '^member=2 groups=7 gateway=' enroll_psk psk-0001 sha256 --group 7
log_has '\(psk-0001\): member 2, 1 group, PSK TLS_AES_128_GCM_SHA256'
expect 0 '^member=3 groups=8 gateway=' enroll_psk psk-0002 sha384 --group 8
log_has '\(psk-0002\): member 3, 1 group, PSK TLS_AES_256_GCM_SHA384'

# The credentials: mode 0600, and send seals with them.
for f in meter1.state psk-0001.state psk-0002.state; do
	[ "$(stat -c %a "$f")" = 600 ] && pass || fail "$f has mode $(stat -c %a "$f")"
done
expect 0 'member=1 group=8 first_seq=1 next_seq=6 frames=5' \
	"$member" send --state meter1.state --group 8 --messages 5 --block 4
# A restart (a new process) resumes above the reservation, never below.
expect 0 'member=1 group=8 first_seq=9 next_seq=10 frames=1' \
	"$member" send --state meter1.state --group 8 --block 4
expect 0 'member=3 group=8 first_seq=1 ' "$member" send --state psk-0002.state --group 8
expect 2 'not enrolled in it' "$member" send --state psk-0001.state --group 8

# Every key the devices got is the one keys.rst derives from the
# database's secrets, and K_wrap,m is the one the manager stored.
for f in meter1 psk-0001 psk-0002; do
	expect 0 '^keys match' "$helper" check "$f.state" "sqlite:$PWD/manager.db" master.key
done

# During a rollover the answer carries the next epoch's keys too.
expect 0 '^next epoch 2$' "$helper" rollover "sqlite:$PWD/manager.db" master.key 8
expect 0 '^member=4 groups=8 ' enroll_psk psk-0002 sha384 --group 8
expect 0 '^keys match: member 4, groups 8 \(epochs 1,2\)$' \
	"$helper" check psk-0002.state "sqlite:$PWD/manager.db" master.key
expect 0 'member=4 group=8 first_seq=1 ' "$member" send --state psk-0002.state --group 8

# Enrolling again: a fresh member id, the old state replaced.
expect 0 '^member=5 groups=7,8 ' enroll_cert meter1 --group 7,8
expect 0 'member=5 group=7 first_seq=1 ' "$member" send --state meter1.state --group 7

finish
