#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Signed commands that the application asks for: devices enroll (PSK), a
# gateway (tests/helper-gateway) sends a batch so that the manager learns
# its address, then requests on the application socket in both formats
# become downlinks that the gateway verifies under K_up and members open
# (the signature under the public key of their enrollment), for the whole
# group and for one member; bad requests are refused with reasons and the
# connection goes on; everything is counted in /metrics; after kill -9
# and a restart no downlink or command sequence is used again.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

app=$GRPSECD_TESTS/app-request.py
pki > pki.log 2>&1 || { cat pki.log; exit 1; }
psk_new psk-0003 sha256
batch_port=$(random_port)
metrics_port=$(random_port)
enroll_conf m.conf "BatchListen = 127.0.0.1:$batch_port
ApplicationSocket = $PWD/app.sock
MetricsListen = 127.0.0.1:$metrics_port"
sed -i "s|^Address = 127.0.0.1:4790|&\nUpstreamKey = $PWD/kup\nUpstreamSuite = aes-128-gcm|" m.conf
head -c 16 /dev/urandom > kup
chmod 600 kup
sock=$PWD/ctl.sock
start_enroll_manager m.conf

expect 0 '^member=1 groups=7,8 ' enroll_psk psk-0001 sha256 --group 7,8
expect 0 '^member=2 groups=7,8 ' enroll_psk psk-0002 sha384 --group 7,8
expect 0 '^member=3 groups=8 ' enroll_psk psk-0003 sha256 --group 8

# gateway LOG: the gateway of group 8 with the three devices, in the background.
gateway()
{
	"$GRPSECD_TESTS/helper-gateway" "$batch_port" kup aes-128-gcm 1 8 120 0 \
		psk-0001.state psk-0002.state psk-0003.state > "$1" 2>&1 &
	gw_pid=$!
	daemon_pids+=("$gw_pid")
}
gateway gw.out
log_has 'gateway 1: downlinks go to 127.0.0.1:'

req() { "$app" "$PWD/app.sock" "$@"; }
has() { grep -qE -- "$2" "$1"; }
count() { grep -cE -- "$2" "$1"; }

# For the whole group, JSON: every member opens it, addressed to the group.
expect 0 '^\{"ok":\{"group":8,"member":0,"seq":1,"sent":1,"unreached":0\}\}$' \
	req json '{"send":{"group":8,"member":"*","payload":"68656c6c6f"}}'
wait_for has gw.out 'command member=3 seq=1 recipient=0 payload=68656c6c6f' && pass ||
	{ fail "member 3 did not open the group command"; cat gw.out; }
[ "$(count gw.out 'command member=[123] seq=1 recipient=0 payload=68656c6c6f')" = 3 ] && pass ||
	{ fail "not every member opened it"; cat gw.out; }
# For one member, records: only member 2 gets it, addressed to itself.
expect 0 '^ok group=8 member=2 seq=2 sent=1 unreached=0$' req records 'send 8 2 c0ffee'
wait_for has gw.out 'command member=2 seq=2 recipient=2 payload=c0ffee' && pass ||
	{ fail "member 2 did not open its command"; cat gw.out; }
! has gw.out 'command member=[13] seq=2' && pass || fail "another member got member 2's command"

# Bad requests: refused with what to do, and the connection goes on.
out=$(req records 'send 9 * 00' 'send 99 * 00' 'send 8 * 0g' 'send 8 * 123' 'fetch 8' \
	'send 8' 'send 8 77 00' 'send 0 * 00' "send 8 * $(head -c 1100 /dev/zero | od -An -v -tx1 | tr -d ' \n')" \
	'send 8 1 01')
echo "$out" > bad.out
for re in 'error group 9 does not receive commands \(its \[Group\] has no Commands = yes\)' \
	'error no group 99 in .*m.conf' 'error the payload must be hex' \
	'error unknown request: the only one is "send GROUP MEMBER\|\* HEXPAYLOAD"' \
	'error usage: send GROUP MEMBER\|\* HEXPAYLOAD' \
	'error member 77 is not an active member of group 8: "grpsecctl members 8" lists them' \
	'error the group must be a number' 'at most 1096 bytes' \
	'^ok group=8 member=1 seq=3 '; do
	grep -qE -- "$re" bad.out && pass || { fail "no /$re/ in:"; cat bad.out; }
done
[ "$(grep -c '^error' bad.out)" = 9 ] && pass || { fail "want 9 refusals:"; cat bad.out; }
expect 0 '"error":"a request is \{\\"send\\":' req json '{"send":[1]}' 
expect 0 '"error":"unknown field in \\"send\\"' req json '{"send":{"group":8,"to":1}}'
# A line longer than 4096 bytes is bad framing: the answer, then the end.
out=$(req records "send 8 * $(head -c 3000 /dev/zero | od -An -v -tx1 | tr -d ' \n')" 'send 8 * 00')
[ "$out" = "error a request line is longer than 4096 bytes: closed
closed" ] && pass || fail "a request line too long: $out"

metric() { curl -sf "http://127.0.0.1:$metrics_port/metrics" | awk -v s="$1" '$1 == s { print $2 }'; }
[ "$(metric 'grpsecd_app_requests_total{outcome="ok"}')" = 3 ] && pass ||
	fail "ok requests: $(metric 'grpsecd_app_requests_total{outcome="ok"}')"
[ "$(metric 'grpsecd_app_requests_total{outcome="refused"}')" = 12 ] && pass ||
	fail "refused requests: $(metric 'grpsecd_app_requests_total{outcome="refused"}')"
[ "$(metric 'grpsecd_downlinks_total{kind="command"}')" = 3 ] && pass ||
	fail "downlinks: $(metric 'grpsecd_downlinks_total{kind="command"}')"

# grpsec-app --send: the request made from text, each answer printed.
grpsec_app=$GRPSECD_TESTS/../../sim/grpsec-app
expect 0 '^answer ok group=8 member=0 seq=4 sent=1 unreached=0$' \
	"$grpsec_app" --manager "$PWD/app.sock" --timeout 10 --send "8 * hi there"
wait_for has gw.out 'command member=3 seq=4 recipient=0 payload=6869207468657265' && pass ||
	{ fail "the command grpsec-app asked for was not opened"; cat gw.out; }
"$grpsec_app" --manager "$PWD/app.sock" --timeout 10 --send "9 * x" --send "8 1 y" > two.out 2>&1
rc=$?
[ $rc = 2 ] && has two.out '^answer error group 9 does not receive commands' &&
	has two.out '^answer ok group=8 member=1 seq=5 ' && has two.out ' answers=2 refused=1 ' && pass ||
	{ fail "a refused and an accepted request, exit $rc:"; cat two.out; }

# kill -9 and a restart: the next sequences come from above the reservations.
kill -9 "$manager_pid"
wait "$manager_pid" 2> /dev/null
start_enroll_manager m.conf
learned() { [ "$(grep -c 'gateway 1: downlinks go to' m.conf.log)" = 2 ]; }
wait_for learned && pass ||
	fail "the restarted manager did not learn the gateway's address"
out=$(req json '{"send":{"group":8,"member":0,"payload":"6166746572"}}')
seq=$(sed -n 's/.*"seq":\([0-9]*\),.*/\1/p' <<< "$out")
[ -n "$seq" ] && [ "$seq" -gt 3 ] && pass || fail "after kill -9: $out"
wait_for has gw.out "command member=3 seq=$seq recipient=0 payload=6166746572" && pass ||
	{ fail "the command after the restart did not arrive"; cat gw.out; }

# A rekey of identified group 8 (it receives commands: K_G[e+1] too); a
# command sent right after it, still under epoch 1, opens under the epoch
# the members keep as their previous one.
out=$(ctl -j rekey 8)
grep -q '"group":8,"epoch":2,"state":"sending","members":3,' <<< "$out" && pass || fail "rekey 8: $out"
# 44 + 104 + 12 + 3 x 32 bytes: K_m, K_G and K_e,m of aes-256-gcm.
has3() { [ "$(count gw.out '^downlink seq=[0-9]+ kind=rekey group=8 member=[123] bytes=256$')" = 3 ]; }
wait_for has3 && pass || { fail "rekey downlinks of 256 bytes:"; grep kind=rekey gw.out; }
rekeyed() { [ "$(count gw.out '^rekey member=[123] epoch=2 ')" = 3 ]; }
wait_for rekeyed && pass || { fail "not every member applied epoch 2"; cat gw.out; }
expect 0 '"ok":\{"group":8,"member":0,' req json '{"send":{"group":8,"member":"*","payload":"72656b657965"}}'
opened() { [ "$(count gw.out 'command member=[123] seq=[0-9]+ recipient=0 payload=72656b657965')" = 3 ]; }
wait_for opened && pass || { fail "the command after the rekey was not opened"; cat gw.out; }
kill "$gw_pid"
wait "$gw_pid"
grep -q '^summary downlinks=10 refused=0 commands=15 rekeys=3 reused=0$' gw.out && pass ||
	{ fail "gateway's summary:"; cat gw.out; }
! grep -qE '^(refused|downlink refused)' gw.out && pass || { fail "something was refused:"; cat gw.out; }
finish
