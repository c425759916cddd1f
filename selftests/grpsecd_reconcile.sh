#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsecd's kernel side (userspace/daemon/kernel.c), through its test
# helper: a wanted state reconciled with the module.
#
# 1. The first reconciliation installs everything; a second one of the
#    same state sends nothing; a key changed under the same epoch is
#    caught from the record of what was installed, not from the dump
#    (which has no key bytes): frames under the old key fail afterwards.
# 2. A fresh process (a restarted daemon) sends only the upstream (K_up
#    is per connection) and compares keys by epoch; what the module lost
#    it installs again.
# 3. A changed state (members removed, next-epoch keys, a group removed)
#    sends exactly the difference, and the dump shows it.
# 4. A reconciliation while members send (it fills every next slot)
#    drops no frame: every message reaches the backend once.
# 5. Events: an overrun of the event socket brings a full
#    reconciliation; unknown members reach the control channel's hook.
# 6. Nonce counters: the state file reserves ahead of the gateway,
#    batch and (terminate mode group 2's) command sequences; the clock goes back a year and the module is
#    reloaded (its own counters then start a year back: checked); the
#    next reconciliation puts all three above every value used before.
# 7. Replay floors: the state file also holds, for each member that
#    sent, the last sequence the module had verified (as each
#    reconciliation and the helper's end read it); the reconciliation
#    after the reload gives it back, so the frames of step 4, sent once
#    more, are refused as replays, and new frames pass.
# 8. Floors that rise are committed with reservations, otherwise at most
#    once a reconciliation interval: a watcher told of a change every
#    50 ms (as by a busy manager) while members send reconciles at each,
#    but writes the file about once a second.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test()
{
	if [ -n "${t_real:-}" ]; then
		date -s "@$((t_real + $(cut -d. -f1 /proc/uptime) - t_up))" > /dev/null
	fi
	gw_cleanup
}

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys helper-kernel date
module_load
setup_namespaces
keys_init
grpsec-keys random --bytes 32 --out "$K/s_auth2"

S=aes-128-gcm
G=3
N=300
STATE=$K/gateway.state
# Group 2 is a terminate mode group (its K_G installed, a SEND sequence).
KG2=$(inner_key 2 anonymous $S 1)

# apply [helper options...]: one helper run against the gateway namespace;
# its JSON lines in $K/out.
apply()
{
	n_gw helper-kernel apply --groups $G --members $N --suite $S \
		--listen $GW_PORT --upstream "$IP_BE:$BE_PORT" --gateway $GW_ID \
		--up-secret "$K/up" --state "$STATE" --terminate 2 \
		--group-key "$KG2" "$@" > "$K/out" ||
		fail "helper-kernel failed: $(cat "$K/out")"
	cat "$K/out" >&2
}

# jget STEP KEY: a count from the helper's line for STEP.
jget()
{
	grep "\"step\":\"$1\"" "$K/out" | sed -n "s/.*\"$2\":\([0-9-]*\).*/\1/p"
}

# expect STEP KEY=VALUE...
expect()
{
	local step=$1 kv got

	shift
	for kv in "$@"; do
		got=$(jget "$step" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] ||
			fail "$step: expected ${kv%%=*}=${kv#*=}, got ${got:-nothing}: $(grep "\"$step\"" "$K/out")"
	done
}

# drops: every frame the gateway dropped, whatever the reason.
drops()
{
	"$IP" netns exec "$NS_GW" grpsec stats |
		awk '/^total/ { t = 1; next } /^[^ ]/ { t = 0 }
		     t && $1 ~ /drop/ { s += $2 } END { print s + 0 }'
}

# 1. Install, then nothing; then the same epochs under another secret,
# in the same process: the record of what it installed sees the change
# although the dump shows the same epochs.
apply --s-auth "$K/s_auth" --epoch 1 --again --same-epoch-s-auth "$K/s_auth2"
expect apply rc=0 failed=0 set_listen=1 set_upstream=1 new_group=$G \
	members_new=$((G * N)) new_member=$(((G * N + 255) / 256)) \
	writes=$((1 + 1 + G + (G * N + 255) / 256))
expect again rc=0 writes=0
expect same-epoch rc=0 failed=0 members_set=$((G * N)) \
	set_member=$(((G * N + 255) / 256)) writes=$(((G * N + 255) / 256))
[ "$(n_gw grpsec show members)" = $((G * N)) ] ||
	fail "the module holds $(n_gw grpsec show members) members, not $((G * N))"
[ "$(n_gw grpsec member show 2 epoch | awk '$2 == 1' | wc -l)" = $N ] ||
	fail "group 2's members are not all on epoch 1"
bad0=$(stat drop-bad-tag)
members 1 anonymous $S 1 5 1 > /dev/null
wait_for 10 eval '[ "$(stat drop-bad-tag)" -ge $((bad0 + 5)) ]' ||
	fail "frames under the replaced key were not refused: drop-bad-tag $(stat drop-bad-tag)"

# 2. A fresh process has no record: it sets the upstream (K_up is per
# connection) and compares member keys by epoch only, so the keys of
# step 1 stay (the manager never changes a key without its epoch).
apply --s-auth "$K/s_auth" --epoch 1
expect apply rc=0 failed=0 writes=1 set_upstream=1 members_set=0 set_listen=0
# What the module lost (deleted by hand here) is installed again.
for g in $(seq 1 $G); do
	n_gw grpsec group del "$g"
done
apply --s-auth "$K/s_auth" --epoch 1
expect apply rc=0 failed=0 new_group=$G members_new=$((G * N)) set_listen=0 \
	writes=$((1 + G + (G * N + 255) / 256))
ver0=$(stat verified)
members 1 anonymous $S 1 5 1 > /dev/null
wait_for 10 eval '[ "$(stat verified)" -ge $((ver0 + 5)) ]' ||
	fail "frames under the reinstalled keys were not verified"

# 3. Every tenth member gone, next-epoch keys for the rest, group 3 gone.
KEPT=$((2 * (N - N / 10)))
apply --s-auth "$K/s_auth" --epoch 1 --next-epoch 2 --drop-every 10 \
	--drop-group 3 --again
expect apply rc=0 failed=0 del_group=1 members_del=$((2 * N / 10)) \
	del_member=1 members_set=$KEPT set_member=$(((KEPT + 255) / 256)) \
	new_group=0 set_group=0 new_member=0 set_listen=0
expect again rc=0 writes=0
[ "$(n_gw grpsec show members)" = $KEPT ] ||
	fail "the module holds $(n_gw grpsec show members) members, not $KEPT"
[ "$(n_gw grpsec show groups)" = 2 ] || fail "group 3 is still there"
[ "$(n_gw grpsec member show 1 next-epoch | awk '$2 == 2' | wc -l)" = $((N - N / 10)) ] ||
	fail "group 1's members do not all hold epoch 2 in the next slot"
! n_gw grpsec member show 1 epoch | awk '$1 % 10 == 0 { f = 1 } END { exit !f }' ||
	fail "a member whose id is a multiple of 10 is still in group 1"

# 4. Under traffic: members 1..9 of group 1 send while the next slots of
# every member change to epoch 3; nothing is dropped.
MSGS=$((200 * TIMEOUT_SCALE))
backend_start "$K/be.out" 1:anonymous:$S:1 -- --expect $((9 * MSGS)) \
	--timeout $((120 * TIMEOUT_SCALE))
drops0=$(drops)
ver0=$(stat verified)
# The sequences these frames take, for step 7.
cp "$K/seq.1" "$K/seq.1.step4"
members 1 anonymous $S 1 9 $MSGS --rate 300 > "$K/m.out" &
sender=$!
wait_for 10 eval '[ "$(stat verified)" -gt $ver0 ]' ||
	fail "the members' frames do not arrive"
apply --s-auth "$K/s_auth" --epoch 1 --next-epoch 3 --drop-every 10 \
	--drop-group 3
expect apply rc=0 failed=0 members_set=$KEPT members_del=0 members_new=0
mid=$(stat verified)
[ "$mid" -lt $((ver0 + 9 * MSGS)) ] ||
	fail "the traffic was over before the reconciliation ended: nothing shown"
wait $sender || fail "the members failed: $(cat "$K/m.out")"
# And where they go on, for step 7 (step 5's members rewrite seq.1).
cp "$K/seq.1" "$K/seq.1.after4"
backend_wait || fail "backend: $(cat "$K/be.out")"
expect_field "$K/be.out" unique $((9 * MSGS))
expect_field "$K/be.out" duplicates 0
[ "$(drops)" = "$drops0" ] ||
	fail "the gateway dropped $(( $(drops) - drops0 )) frames during the reconciliation"
[ "$(stat verified)" = $((ver0 + 9 * MSGS)) ] ||
	fail "verified went from $ver0 to $(stat verified), not by $((9 * MSGS))"
echo "# $((9 * MSGS)) frames through a reconciliation of $KEPT members, 0 dropped" >&2

# 5. Events, on the event loop as in the daemon: while the watcher does
# not read (until the test says so), member 1/7 is deleted by hand and
# 40 unknown members send,
# which overruns its (shrunk) event socket; the overrun brings a full
# reconciliation, which puts 1/7 back (the periodic one is an hour
# away); unknown members heard afterwards reach the hook.
GWOPTS="--groups $G --members $N --suite $S --listen $GW_PORT \
	--upstream $IP_BE:$BE_PORT --gateway $GW_ID --up-secret $K/up \
	--state $STATE --s-auth $K/s_auth --epoch 1 --next-epoch 3 \
	--drop-every 10 --drop-group 3 --terminate 2 --group-key $KG2"
# shellcheck disable=SC2086
spawn "$NS_GW" sh -c 'exec "$@" > '"$K/watch.out"' 2>&1' sh helper-kernel \
	watch $GWOPTS --seconds $((6 * TIMEOUT_SCALE)) --pause-until "$K/go" \
	--pause-ms 60000 --rcvbuf 1
watcher=$spawned
wait_for 20 grep -q '^ready$' "$K/watch.out" ||
	fail "the watcher did not start: $(cat "$K/watch.out")"
member_7_there()
{
	"$IP" netns exec "$NS_GW" grpsec member show 1 epoch |
		awk '$1 == 7 { f = 1 } END { exit !f }'
}
n_gw grpsec member del 1 7
! member_7_there || fail "member 1/7 was not deleted"
unk0=$(stat drop-unknown-member)
members 1 anonymous $S 901 40 1 > /dev/null
# The watcher reads again once the gateway has seen all 40 (a fixed
# pause can end before a slow kernel has queued the events).
wait_for 20 eval '[ "$(stat drop-unknown-member)" -ge $((unk0 + 40)) ]' ||
	fail "the 40 unknown members' frames did not arrive: drop-unknown-member $(stat drop-unknown-member)"
touch "$K/go"
wait_for 20 grep -q '^watching$' "$K/watch.out" ||
	fail "the watcher did not go on: $(cat "$K/watch.out")"
wait_for 10 member_7_there ||
	fail "no reconciliation after the overrun: member 1/7 is still missing: $(cat "$K/watch.out")"
# The module raises at most a few events of a type per second: the 40
# used this second's, so 941..943 send in the next one.
sleep 1.2
members 1 anonymous $S 941 3 1 > /dev/null
wait "$watcher" || fail "the watcher failed: $(cat "$K/watch.out")"
cat "$K/watch.out" >&2
w=$(grep '"step":"watch"' "$K/watch.out")
[ "$(sed -n 's/.*"overruns":\([0-9]*\).*/\1/p' <<< "$w")" -ge 1 ] ||
	fail "no overrun counted: $w"
[ "$(sed -n 's/.*"reconciles":\([0-9]*\).*/\1/p' <<< "$w")" -ge 2 ] ||
	fail "no reconciliation after the first: $w"
grep -q '"event":"unknown_member","group":1,"member":94[123]}' "$K/watch.out" ||
	fail "the unknown_member hook did not hear members 941..943"

# 6. Counters across a reboot with the clock a year back.
[ -n "$(find "$STATE" -perm 600)" ] || fail "$STATE is not mode 0600"
cat "$STATE" >&2
gw1=$(n_gw grpsec show gateway-seq)
up1=$(n_gw grpsec upstream show seq)
r_gw=$(awk '$1 == "gateway-seq" { print $2 }' "$STATE")
r_up=$(awk '$1 == "batch-seq" { print $2 }' "$STATE")
[ -n "$r_gw" ] && [ "$r_gw" -gt "$gw1" ] ||
	fail "gateway-seq reserved up to ${r_gw:-nothing}, the module is at $gw1"
[ -n "$r_up" ] && [ "$r_up" -gt "$up1" ] ||
	fail "batch-seq reserved up to ${r_up:-nothing}, the module is at $up1"
cmd1=$(n_gw grpsec group show 2 cmd-seq | awk '{ print $NF }')
r_cmd=$(awk '$1 == "cmd-seq.2" { print $2 }' "$STATE")
[ -n "$r_cmd" ] && [ "$r_cmd" -gt "$cmd1" ] ||
	fail "cmd-seq.2 reserved up to ${r_cmd:-nothing}, the module is at $cmd1"

# The floors saved: what the module verified from members 1..9 of group
# 1, the watcher's end the last to read them.
for m in $(seq 1 9); do
	f=$(awk -v n="last-seq.1.$m" '$1 == n { print $2 }' "$STATE")
	l=$(n_gw grpsec member show 1 last-seq | awk -v m=$m '$1 == m { print $2 }')
	[ -n "$f" ] && [ "$f" = "$l" ] ||
		fail "member 1/$m: floor ${f:-none} saved, the module verified up to $l"
done
f1=$(awk '$1 == "last-seq.1.1" { print $2 }' "$STATE")

module_unload
t_real=$(date +%s)
t_up=$(cut -d. -f1 /proc/uptime)
run date -s "@$((t_real - 365 * 86400))"
module_load
gw_clock=$(n_gw grpsec show gateway-seq)
[ "$gw_clock" -lt "$gw1" ] ||
	fail "the reloaded module's own gateway sequence ($gw_clock) is not behind $gw1: the clock did not go back"
apply --s-auth "$K/s_auth" --epoch 1
expect apply rc=0 failed=0 set_upstream=1 members_new=$((G * N))
gw2=$(n_gw grpsec show gateway-seq)
up2=$(n_gw grpsec upstream show seq)
[ "$gw2" -ge "$r_gw" ] ||
	fail "gateway sequence $gw2 after the restart, below the reserved $r_gw (was $gw1)"
[ "$up2" -ge "$r_up" ] ||
	fail "batch sequence $up2 after the restart, below the reserved $r_up (was $up1)"
cmd2=$(n_gw grpsec group show 2 cmd-seq | awk '{ print $NF }')
[ "$cmd2" -ge "$r_cmd" ] ||
	fail "group 2's command sequence $cmd2 after the restart, below the reserved $r_cmd (was $cmd1)"
r_gw2=$(awk '$1 == "gateway-seq" { print $2 }' "$STATE")
[ "$r_gw2" -gt "$gw2" ] || fail "the new reservation $r_gw2 is not ahead of $gw2"
echo "# gateway sequence $gw1 -> $gw2 (module's own after the reload: $gw_clock);" \
	"batch sequence $up1 -> $up2; command sequence $cmd1 -> $cmd2" >&2

# 7. The floors given back after the reload: step 4's first frames again
# are replays, the members' next ones pass.
l1=$(n_gw grpsec member show 1 last-seq | awk '$1 == 1 { print $2 }')
[ "$l1" = "$f1" ] || fail "member 1/1 starts at last-seq ${l1:-none}, not the saved $f1"
rep0=$(stat drop-replay)
ver0=$(stat verified)
SEQ_FILE=$K/seq.1.step4 members 1 anonymous $S 1 9 1 > /dev/null
wait_stat drop-replay $((rep0 + 9))
[ "$(stat verified)" = "$ver0" ] ||
	fail "frames recorded before the reload were verified again: $(( $(stat verified) - ver0 ))"
SEQ_FILE=$K/seq.1.after4 members 1 anonymous $S 1 9 1 > /dev/null
wait_for 10 eval '[ "$(stat verified)" -ge $((ver0 + 9)) ]' ||
	fail "the members' new frames were not verified after the floors"
# A member deleted takes its floor out of the file; the others stay.
apply --s-auth "$K/s_auth" --epoch 1 --drop-every 3
expect apply rc=0 failed=0 members_del=$((G * (N / 3)))
for m in 3 6 9; do
	! grep -q "^last-seq\.1\.$m " "$STATE" || fail "deleted member 1/$m kept its floor"
done
grep -q "^last-seq\.1\.1 " "$STATE" || fail "member 1/1's floor went with the others"
echo "# replay floors across the reload: member 1/1 from $f1; 9 recorded frames refused" >&2

# 8. A change every 50 ms, a reconciliation interval of a second.
SECS=$((4 * TIMEOUT_SCALE))
# shellcheck disable=SC2086
spawn "$NS_GW" sh -c 'exec "$@" > '"$K/watch8.out"' 2>&1' sh helper-kernel \
	watch --groups $G --members $N --suite $S --listen $GW_PORT \
	--upstream "$IP_BE:$BE_PORT" --gateway $GW_ID --up-secret "$K/up" \
	--state "$STATE" --terminate 2 --group-key "$KG2" --s-auth "$K/s_auth" \
	--epoch 1 --drop-every 3 --seconds $SECS --interval-ms 1000 --change-ms 50
watcher=$spawned
wait_for 20 grep -q '^watching$' "$K/watch8.out" ||
	fail "the watcher did not start: $(cat "$K/watch8.out")"
ver0=$(stat verified)
f8=$(awk '$1 == "last-seq.1.1" { print $2 }' "$STATE")
SEQ_FILE=$K/seq.1.after4 members 1 anonymous $S 1 2 $((100 * (SECS + 1))) \
	--rate 200 > "$K/m8.out" &
sender=$!
wait "$watcher" || fail "the watcher failed: $(cat "$K/watch8.out")"
wait $sender || fail "the members failed: $(cat "$K/m8.out")"
w=$(grep '"step":"watch"' "$K/watch8.out")
echo "# $w" >&2
rec=$(sed -n 's/.*"reconciles":\([0-9]*\).*/\1/p' <<< "$w")
com=$(sed -n 's/.*"state_commits":\([0-9]*\).*/\1/p' <<< "$w")
[ "$(stat verified)" -gt "$ver0" ] || fail "no frame was verified while the watcher ran"
[ -n "$rec" ] && [ "$rec" -ge $((5 * SECS)) ] ||
	fail "${rec:-no} reconciliations in $SECS s of a change every 50 ms: $w"
# The first reconciliation's commit, one a second, the end's.
[ -n "$com" ] && [ "$com" -le $((SECS + 3)) ] ||
	fail "${com:-no} commits of the state file in $SECS s, $rec reconciliations: $w"
[ "$com" -ge 2 ] || fail "the floors were not written while members sent: $w"
# The members may outlast the watcher: its floors are behind the
# module's then, never ahead.
f=$(awk '$1 == "last-seq.1.1" { print $2 }' "$STATE")
l=$(n_gw grpsec member show 1 last-seq | awk '$1 == 1 { print $2 }')
[ -n "$f" ] && [ "$f" -gt "$f8" ] && [ "$f" -le "$l" ] ||
	fail "member 1/1: floor ${f:-none} saved, $f8 before, the module verified up to $l"
echo "# $rec reconciliations, $com commits of the state file in $SECS s;" \
	"member 1/1's floor $f8 -> $f (module: $l)" >&2
exit $ksft_pass
