#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsec-member enroll-fleet and send-fleet: many PSK devices from one
# process, each with its own handshake and state file, exactly as enroll
# and send make one: distinct member ids, state files 0600 whose keys
# are the ones keys.rst derives, one frame each with its sequence
# reserved; an identity the manager does not know is refused and named,
# the others still enroll; a bad fleet file names its line.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

pki > pki.log 2>&1 || { cat pki.log; exit 1; }
for i in $(seq 1 40); do
	psk_new "psk-f$i" "$([ $((i % 2)) = 0 ] && echo sha256 || echo sha384)"
done
enroll_conf m.conf
start_enroll_manager m.conf
mkdir -m 700 fleet
# pki made two PSK devices of its own: the fleet is every line of psks.
total=$(wc -l < psks)

"$member" enroll-fleet --manager "127.0.0.1:$enroll_port" --group 7,8 --psk-file psks \
	--state-dir fleet --parallel 6 > fleet.out 2>&1
rc=$?
[ $rc = 0 ] && grep -q "^enrolled=$total refused=0 failed=0 " fleet.out && pass ||
	{ fail "enroll-fleet exit $rc:"; tail -n 5 fleet.out; }
n=$(ls fleet/*.state | wc -l)
[ "$n" = "$total" ] && pass || fail "$n state files, want $total"
ids=$(sed -n 's/^identity=psk-f[0-9]* member=\([0-9]*\)$/\1/p' fleet.out | sort -u | wc -l)
[ "$ids" = 40 ] && pass || fail "$ids distinct member ids of psk-f*, want 40"
[ "$(stat -c %a fleet/psk-f7.state)" = 600 ] && pass || fail "a state file is not 0600"
expect 0 '^keys match' "$helper" check fleet/psk-f7.state "sqlite:$PWD/manager.db" master.key
expect 0 '^keys match' "$helper" check fleet/psk-f40.state "sqlite:$PWD/manager.db" master.key

# One frame each; the sequence was reserved in each file (a second
# round starts above it).
expect 0 "^devices=$total frames=$total\$" "$member" send-fleet --state-dir fleet --group 8
expect 0 'first_seq=1025 ' "$member" send --state fleet/psk-f3.state --group 8

# --for: a socket each, a frame every 200 ms for a second, a line each.
"$member" send-fleet --state-dir fleet --group 8 --tag t --for 1 --every 200 > stay.out 2>&1
[ "$(grep -c '^member=[0-9]* frames=[45] epoch=1 rekeys=0 commands=0$' stay.out)" = "$total" ] &&
	grep -q "^devices=$total frames=[0-9]* rekeys=0 epoch_min=1 epoch_max=1 commands=0 commanded=0\$" stay.out && pass ||
	{ fail "send-fleet --for:"; tail -n 3 stay.out; }
f=$(sed -n 's/^member=.* frames=\([0-9]*\) .*/\1/p' stay.out | awk '{ s += $1 } END { print s }')
grep -q "^devices=$total frames=$f " stay.out && pass || fail "the per-device frames do not add up to $f"
expect 1 'every needs --for' "$member" send-fleet --state-dir fleet --group 8 --every 100

# An identity the manager does not have: refused and named; the rest go on.
{ echo "psk-unknown sha256 $(openssl rand -hex 32)"; grep '^psk-f1 ' psks; } > mixed
mkdir -m 700 mixed.d
"$member" enroll-fleet --manager "127.0.0.1:$enroll_port" --group 7 --psk-file mixed \
	--state-dir mixed.d > mixed.out 2>&1
rc=$?
[ $rc != 0 ] && grep -q '^identity=psk-unknown \(refused\|failed\)' mixed.out &&
	grep -q '^enrolled=1 ' mixed.out && pass ||
	{ fail "a fleet with an unknown identity, exit $rc:"; cat mixed.out; }

# A bad line is named, nothing is sent.
printf 'psk-f1 sha256 %s\nbroken line\n' "$(openssl rand -hex 32)" > bad
expect 1 '^grpsec-member: bad:2: expected IDENTITY sha256\|sha384 HEXKEY' "$member" enroll-fleet \
	--manager "127.0.0.1:$enroll_port" --group 7 --psk-file bad --state-dir mixed.d
finish
