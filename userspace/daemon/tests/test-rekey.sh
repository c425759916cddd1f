#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Manager-side rekey of an anonymous group of 200 enrolled members: the
# next epoch committed and registered, one signed rekey body per member
# under its K_wrap,m, paced at RekeyRate, through a gateway
# (tests/helper-gateway) to member contexts of the devices' state files,
# which apply it and then seal under e+1, which the manager opens; the
# switch after RekeyGrace.  A revoked member gets no rekey of the epoch
# that follows, and its frames under the old epoch are refused once that
# epoch retired.  kill -9 in the middle of a rekey: after the restart the
# rekey is taken up again, every member ends on the new epoch, no rekey
# or downlink sequence is used twice.
set -u
. "$GRPSECD_TESTS/lib.sh"
. "$GRPSECD_TESTS/enroll-lib.sh"

N=200
pki > pki.log 2>&1 || { cat pki.log; exit 1; }
batch_port=$(random_port)
metrics_port=$(random_port)
enroll_conf m.conf "BatchListen = 127.0.0.1:$batch_port
ApplicationSocket = $PWD/app.sock
MetricsListen = 127.0.0.1:$metrics_port
RekeyRate = 50
RekeyGrace = 3s"
sed -i "s|^Address = 127.0.0.1:4790|&\nUpstreamKey = $PWD/kup\nUpstreamSuite = aes-256-gcm|" m.conf
head -c 32 /dev/urandom > kup
chmod 600 kup
sock=$PWD/ctl.sock
states=()
for i in $(seq 1000 $((1000 + N - 1))); do
	psk_new "psk-$i" sha256
	states+=("psk-$i.state")
done
start_enroll_manager m.conf
start=$(date +%s%N)
for i in $(seq 1000 $((1000 + N - 1))); do
	enroll_psk "psk-$i" sha256 --group 7 > /dev/null || fail "enrolling psk-$i"
done
echo "$N enrollments in $((($(date +%s%N) - start) / 1000000)) ms"


# gateway LOG REKEYS: the gateway of group 7 with every device, in the background.
learned=0
gateway()
{
	"$GRPSECD_TESTS/helper-gateway" "$batch_port" kup aes-256-gcm 1 7 90 "$2" \
		"${states[@]}" > "$1" 2>&1 &
	gw_pid=$!
	daemon_pids+=("$gw_pid")
	learned=$((learned + 1))
	wait_for has_learned "$learned" || fail "the manager did not learn the gateway's address"
	wait_long has "$1" '^ready' || fail "the gateway did not start"
}
has_learned() { [ "$(grep -c 'gateway 1: downlinks go to' m.conf.log)" -ge "$1" ]; }
has() { grep -qE -- "$2" "$1"; }
count() { grep -cE -- "$2" "$1"; }
metric() { curl -sf "http://127.0.0.1:$metrics_port/metrics" | awk -v s="$1" '$1 == s { print $2 }'; }
group7() { ctl -j groups | python3 -c 'import json,sys; g=[g for g in json.load(sys.stdin) if g["id"]==7][0]; print(g["epoch"], g["next_epoch"])'; }
wait_long() { local i; for i in $(seq 600); do "$@" > /dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
switched() { [ "$(group7)" = "$1 0" ]; }

# 1. grpsecctl rekey: every member gets epoch 2, paced, then seals under it.
app app.jsonl
gateway gw1.out $N
out=$(ctl -j rekey 7)
grep -q "\"group\":7,\"epoch\":2,\"state\":\"sending\",\"members\":$N," <<< "$out" && pass || fail "rekey 7: $out"
wait_long has gw1.out "^uplinks epoch=2 members=$N of $N" && pass || { fail "not every member applied epoch 2"; tail gw1.out; }
[ "$(count gw1.out '^rekey member=[0-9]+ epoch=2 ')" = $N ] && pass || fail "rekeys applied: $(count gw1.out '^rekey member')"
last=$(grep '^rekey member' gw1.out | tail -n 1 | sed 's/.* t=//')
# 50 % of 200 per second: 10 every 100 ms, so the last one about 1.9 s after the first.
echo "pacing: $N rekeys at RekeyRate 50 (100/s): the last $last ms after the first"
wait_for grep -q 'epoch 2: 200 of 200 members sent their rekey in' m.conf.log || fail "no pass end logged"
grep 'epoch 2: 200 of 200 members sent their rekey in' m.conf.log
[ "$last" -ge 1500 ] && [ "$last" -le 5000 ] && pass || fail "paced over $last ms, want about 1900"
wait_for has app.jsonl '"epoch":2,' && pass || fail "no message under epoch 2 reached the application"
wait_long test "$(count app.jsonl '"epoch":2,')" -ge $N && pass ||
	fail "messages under epoch 2: $(count app.jsonl '"epoch":2,'), want $N or more"
wait_long grep -q 'group 7: epoch 2 is current' m.conf.log || fail "no switch to epoch 2"
log_has 'group 7: epoch 2 is current, 1 retired; 200 members sent their rekey, 0 left the group meanwhile, 0 not reached'
[ "$(group7)" = "2 0" ] && pass || fail "group 7 after the switch: $(group7)"
# One downlink per member: 44 + 104 + 12 + 2 x 16 bytes (K_m, K_G of aes-128-gcm).
[ "$(count gw1.out '^downlink seq=[0-9]+ kind=rekey group=7 member=[0-9]+ bytes=192$')" = $N ] &&
	pass || fail "rekey downlinks of 192 bytes: $(count gw1.out "kind=rekey.* bytes=192$")"
[ "$(metric 'grpsecd_rekeys_total{outcome="sent"}')" = $N ] && pass || fail "rekeys counted: $(metric 'grpsecd_rekeys_total{outcome="sent"}')"
[ "$(metric 'grpsecd_downlinks_total{kind="rekey"}')" = $N ] && pass || fail "rekey downlinks: $(metric 'grpsecd_downlinks_total{kind="rekey"}')"
expect 2 'no group 99' ctl rekey 99
kill "$gw_pid" 2> /dev/null; wait "$gw_pid"
grep -q "summary downlinks=$N refused=0 commands=0 rekeys=$N reused=0" gw1.out && pass || { fail "gateway 1:"; tail -n 3 gw1.out; }

# 2. A revocation in the anonymous group: epoch 3 without the revoked member.
gateway gw2.out $((N - 1))
out=$(ctl -j revoke psk-1000)
grep -q '"identity":"psk-1000",.*"rekeys":1' <<< "$out" && pass || fail "revoke: $out"
wait_long has gw2.out "^uplinks epoch=3 members=$((N - 1)) of $N" && pass || { fail "epoch 3 not applied"; tail gw2.out; }
[ "$(count gw2.out '^rekey member=[0-9]+ epoch=3 ')" = $((N - 1)) ] && pass || fail "rekeys to epoch 3: $(count gw2.out '^rekey member')"
! has gw2.out '^(rekey|downlink seq=[0-9]+ kind=rekey group=7) member=1( |$)' && pass || fail "the revoked member got a rekey"
wait_long switched 3 && pass || fail "group 7 did not switch to 3: $(group7)"
# The revoked member still seals under epoch 1, retired: refused at the manager.
stale() { [ "$(metric 'grpsecd_entries_refused_total{reason="unknown_group"}')" -ge 1 ]; }
wait_for stale && pass || fail "the revoked member's frames under epoch 1 were not refused"
kill "$gw_pid" 2> /dev/null; wait "$gw_pid"
grep -q "reused=0" gw2.out && ! has gw2.out '^downlink refused' && pass || { fail "gateway 2:"; tail -n 3 gw2.out; }

# 3. kill -9 in the middle of a rekey (5 % per second: 10 members a second).
sed -i 's/^RekeyRate = 50/RekeyRate = 5/' m.conf
expect 0 'groups' ctl reload
gateway gw3.out $((N - 1))
out=$(ctl -j rekey 7)
grep -q "\"epoch\":4,\"state\":\"sending\",\"members\":$((N - 1))," <<< "$out" && pass || fail "rekey 7: $out"
some() { [ "$(count gw3.out '^rekey member=[0-9]+ epoch=4 ')" -ge 10 ]; }
wait_for some || fail "no rekeys before the kill"
kill -9 "$manager_pid"
wait "$manager_pid" 2> /dev/null
before=$(count gw3.out '^rekey member=[0-9]+ epoch=4 ')
echo "killed after $before rekeys to epoch 4"
sed -i 's/^RekeyRate = 5/RekeyRate = 50/' m.conf
start_enroll_manager m.conf
log_has 'group 7: epoch 4 committed \(resumed\), 199 members to rekey'
wait_long has gw3.out "^uplinks epoch=4 members=$((N - 1)) of $N" && pass || { fail "epoch 4 not applied after the restart"; tail gw3.out; }
[ "$(count gw3.out '^rekey member=[0-9]+ epoch=4 ')" = $((N - 1)) ] && pass ||
	fail "members on epoch 4: $(count gw3.out '^rekey member=[0-9]+ epoch=4 ')"
# Those that had it drop the repeat (an epoch not above theirs), each under a new sequence.
[ "$(count gw3.out '^refused member=[0-9]+ kind=rekey')" -ge "$before" ] && pass ||
	fail "repeats refused: $(count gw3.out '^refused member=[0-9]+ kind=rekey'), want $before or more"
wait_long switched 4 && pass || fail "group 7 did not switch to 4: $(group7)"
kill "$gw_pid" 2> /dev/null; wait "$gw_pid"
grep -q "reused=0" gw3.out && ! has gw3.out '^downlink refused' && pass ||
	{ fail "a sequence was used twice:"; grep -E 'reused|downlink refused' gw3.out | tail -n 3; }
finish
