#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The control channel's push: a gateway connecting over mutual TLS gets
# UPSTREAM, its groups (K_G only for the one it terminates, none of the
# group another gateway serves) and every active member's K_m, equal to
# what the device derived from its own enrollment answer (grpsec_enroll());
# a device enrolled while the gateway is connected is pushed at once, a
# revoked one removed (MEMBER_DEL), a MEMBER_QUERY answered only for an
# active member and sent at most 10 a second; a reload pushes again on
# the same connection; connections and the connected gauge in /metrics.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"
. "$GRPSECD_TESTS/control-lib.sh"

control_setup
expect 0 '^member=1 groups=7,8 ' enroll_meter meter1 7,8

gateway_conf g.conf gw1
start_gateway g.conf gw
wait_for gw_has gw 'pushes=1' && pass || { fail "no full push:"; gw_state gw; cat gw.log; }
gw_has gw '^upstream gateway=1 suite=2 endpoint=127\.0\.0\.1:'"$batch_port"' floor=0 listen=4790$' &&
	pass || { fail "upstream:"; gw_state gw; }
gw_has gw '^group id=7 suite=1 mode=0 flags=1 msg_limit=0 rate_limit=100 k_g=yes$' &&
	gw_has gw '^group id=8 suite=2 mode=1 flags=0 msg_limit=1000000 rate_limit=0 k_g=no$' &&
	! gw_has gw '^group id=9 ' && gw_has gw '^groups=2 members=2$' && pass ||
	{ fail "groups:"; gw_state gw; }
expect 0 '^keys match: 2 groups$' "$gateway" keys-match gw/members.keys meter1.state
log_has 'control: gateway 1 \(CN=gateway-1,O=Utility\) connected from 127\.0\.0\.1:[0-9]+, TLS_'
wait_for metric_is grpsecd_gateways_connected "" "" 1 && pass || fail "gauge: $(metric grpsecd_gateways_connected)"
[ "$(metric grpsecd_control_connections_total outcome ok)" = 1 ] && pass || fail "ok not counted"
# The push's bytes by message type: one UPSTREAM, GROUPs, MEMBERS, one SYNC_DONE.
for t in upstream group members sync_done; do
	[ "$(metric grpsecd_control_bytes_total type $t)" -gt 0 ] && pass ||
		fail "no control bytes of type $t counted"
done

# Enrolled while the gateway is connected: pushed at once.
expect 0 '^member=2 groups=8 ' enroll_meter meter2 8
wait_for gw_has gw '^member group=8 id=2 cur=1 next=0$' && pass || { fail "member 2 not pushed"; gw_state gw; }
expect 0 '^keys match: 1 groups$' "$gateway" keys-match gw/members.keys meter2.state
gw_has gw 'pushes=1 ' && pass || fail "a second full push for one enrollment"

# Unknown members: an active one is sent, a revoked one is not.
gw_query gw "8 1"
log_has 'control: gateway 1 asked for member 1 of group 8: sent'
expect 0 'already +no' ctl revoke "CN=meter-0002,O=Utility"
wait_for gw_has gw '^groups=2 members=2$' && ! gw_has gw 'member group=8 id=2 ' && pass ||
	{ fail "revoked member still held"; gw_state gw; }
gw_query gw "8 2"
log_has 'control: gateway 1 asked for member 2 of group 8: no such active member'
wait_for gw_has gw ' queries=2 ' && pass || fail "queries not sent"
expect 0 '^keys match: 2 groups$' "$gateway" keys-match gw/members.keys meter1.state
# The module may report many unknown members at once: 10 queries a second.
sleep 1.1
# shellcheck disable=SC2046
gw_query gw $(for i in $(seq 101 115); do echo 8 "$i"; done)
wait_for gw_has gw ' queries=12 queries_dropped=5 ' && pass || { fail "query rate:"; head -1 gw/state.txt; }

# A reload: a full push again on the same connection, no reconnect.
expect 0 'allow_rules +1' ctl reload
wait_for gw_has gw '^connects=1 pushes=2 ' && pass || { fail "no push after the reload:"; gw_state gw; }
gw_has gw '^groups=2 members=2$' && pass || fail "the reload's push changed what the gateway holds"
# A rollover under way: the next push carries K_m of both epochs.
expect 0 '^next epoch 2$' "$GRPSECD_TESTS/helper-enroll" rollover "$db" "$masterkey" 8
expect 0 'allow_rules +1' ctl reload
wait_for gw_has gw '^member group=8 id=1 cur=1 next=2$' && gw_has gw '^member group=7 id=1 cur=1 next=0$' &&
	pass || { fail "rollover not pushed:"; gw_state gw; }
expect 0 'gateways_connected +1' ctl show

# The keys files are the test's; nothing of a key in the logs.
for k in gw/kup.key; do
	hex=$(od -An -tx1 "$k" | tr -d ' \n')
	! grep -qi "${hex:0:16}" m.conf.log gw.log && pass || fail "K_up in a log"
done

kill "$gateway_pid"
wait_for metric_is grpsecd_gateways_connected '' '' 0 && pass || fail "gauge after the gateway left"
[ "$(metric grpsecd_control_disconnects_total reason closed)" = 1 ] && pass ||
	fail "disconnect not counted: $(metric grpsecd_control_disconnects_total reason closed)"
finish
