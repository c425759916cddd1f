#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# K_up from the control channel's exporter, end to end: a batch built
# with libgrpsec's gateway-side batch code under the K_up the gateway's
# end derived reaches the application through the manager's BatchListen.
# A reconnect brings a new K_up; a batch under the old one sent after the
# reconnect is still accepted (the grace, UpstreamGrace; also after a reload, which
# leaves an UpstreamKey file's key out), one under a key never derived
# is refused, and once a batch verified under the new key the old one is
# refused too.  The manager killed (-9): the gateway keeps everything,
# retries with backoff, and after the restart gets a third K_up, a batch
# floor above what the manager accepted, and a push without the device
# revoked meanwhile.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"
. "$GRPSECD_TESTS/control-lib.sh"

# Gateway 1 also has an UpstreamKey file, for a manager without the
# channel: once the gateway came over the channel, a reload must not put
# the file's key back.
control_pki > pki.log 2>&1 || { cat pki.log; exit 1; }
control_conf m.conf
sed -i "/^Identity = CN=gateway-1,O=Utility/a UpstreamKey = $PWD/file.key" m.conf
sed -i '/^\[Manager\]/a UpstreamGrace = 3s' m.conf
head -c 32 /dev/urandom > file.key
chmod 600 file.key
start_manager m.conf || exit 1
conf=m.conf
app one.jsonl
expect 0 '^member=1 groups=7,8 ' enroll_meter meter1 7,8
gateway_conf g.conf gw1
start_gateway g.conf gw
wait_for gw_has gw ' pushes=1 ' || { fail "no push"; cat gw.log; }
cp gw/kup.key kup1.key

lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
has_lines() { [ "$(lines "$1")" = "$2" ]; }
# batch KEYFILE SEQ MSG...: a batch of gateway 1 under KEYFILE, sent to BatchListen.
batch()
{
	local key=$1 seq=$2
	shift 2
	"$uplink" build "$db" "$masterkey" "$key" aes-256-gcm 1 "$seq" "$@" > "b$seq.bin" &&
		"$uplink" send 127.0.0.1 "$batch_port" "b$seq.bin" || fail "batch $seq not sent"
}
bad_tags() { metric grpsecd_batches_refused_total reason bad_tag; }

batch kup1.key 100 8:1:1:hello
wait_for has_lines one.jsonl 1 && grep -q '"gateway":1,"group":8,"epoch":1,"mode":"identified","member":1,"seq":1,"payload":"aGVsbG8="' one.jsonl &&
	pass || { fail "batch under the exporter's K_up:"; cat one.jsonl; tail m.conf.log; }

expect 0 'allow_rules +1' ctl reload
log_has 'control: gateway 1: full push of 2 groups, 2 members'

# The gateway daemon restarts: a new connection, a new K_up.
kill -9 "$gateway_pid"
wait "$gateway_pid" 2> /dev/null
rm -rf gw
start_gateway g.conf gw
wait_for gw_has gw '^connects=1 pushes=1 ' || fail "no reconnect"
! cmp -s kup1.key gw/kup.key && pass || fail "the same K_up on a new connection"
cp gw/kup.key kup2.key
gw_has gw '^upstream gateway=1 .* floor=101 ' && pass || { fail "floor:"; gw_state gw; }
log_has 'gateway 1: K_up installed, batches above 100; the previous K_up opens batches until the first under the new one, for 3000 ms at most'

batch kup1.key 101 8:1:2:old-key
wait_for has_lines one.jsonl 2 && grep -q '"seq":2,"payload":"b2xkLWtleQ=="' one.jsonl && pass ||
	fail "a batch under the previous K_up within the grace was lost"
head -c 32 /dev/urandom > never.key
chmod 600 never.key
batch never.key 102 8:1:3:forged
wait_for eval '[ "$(bad_tags)" = 1 ]' && pass || fail "a key never derived: bad_tag $(bad_tags)"
batch kup2.key 103 8:1:4:new-key
wait_for has_lines one.jsonl 3 && grep -q '"seq":4,"payload":"bmV3LWtleQ=="' one.jsonl && pass ||
	fail "a batch under the new K_up"
batch kup1.key 104 8:1:5:too-late
wait_for eval '[ "$(bad_tags)" = 2 ]' && pass || fail "the old K_up after the new one verified: bad_tag $(bad_tags)"
[ "$(lines one.jsonl)" = 3 ] && pass || fail "a refused batch was delivered"

# Another reconnect, and no batch under the new key: the grace ends after
# UpstreamGrace (3 s here).
kill -9 "$gateway_pid"
wait "$gateway_pid" 2> /dev/null
rm -rf gw
start_gateway g.conf gw
wait_for gw_has gw '^connects=1 pushes=1 ' || fail "no reconnect"
sleep 3.5
batch kup2.key 105 8:1:6:expired
wait_for eval '[ "$(bad_tags)" = 3 ]' && pass || fail "the previous K_up after its 3 s: bad_tag $(bad_tags)"
log_has 'gateway 1: the previous K_up.s grace is over'
cp gw/kup.key kup2.key

# The manager killed: the gateway keeps what it has and retries.
kill -9 "$manager_pid"
wait "$manager_pid" 2> /dev/null
kill "$app_pid" 2> /dev/null
expect 0 'revoked CN=meter-0001,O=Utility' "$GRPSECD_TESTS/helper-enroll" revoke "$db" "$masterkey" \
	"CN=meter-0001,O=Utility"
wait_for gw_has gw ' failures=3 ' && pass || { fail "no retries while the manager is away"; gw_state gw; }
gw_has gw '^groups=2 members=2$' && pass || fail "the gateway dropped state while the manager was away"
b=$(sed -n 's/.* backoff_ms=\([0-9]*\) .*/\1/p' gw/state.txt)
[ "$b" -ge 3000 ] && [ "$b" -le 5000 ] && pass || fail "third wait $b ms, want 4 s +-25%"
start_manager m.conf || exit 1
app two.jsonl
wait_for gw_has gw '^connects=2 pushes=2 ' && pass || { fail "no reconnect after the restart"; gw_state gw; }
! cmp -s kup2.key gw/kup.key && pass || fail "the same K_up after the manager's restart"
gw_has gw '^upstream gateway=1 .* floor=104 ' && gw_has gw '^groups=2 members=0$' && pass ||
	{ fail "after the restart:"; gw_state gw; }
cp gw/kup.key kup3.key
batch kup2.key 107 7:0:1:stale
wait_for eval '[ "$(bad_tags)" = 1 ]' && pass || fail "the K_up of a connection the manager never saw"
batch kup3.key 108 7:0:1:anonymous
wait_for has_lines two.jsonl 1 && grep -q '"group":7,"epoch":1,"mode":"anonymous","member":null' two.jsonl &&
	pass || { fail "a batch under the third K_up:"; cat two.jsonl; }
finish
