#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Terminate mode, the fire-alarm flow: the gateway is a member of groups
# 1, 2 and 3 (it holds their group keys).  A smoke detector of group 1
# raises an alarm; the module opens it and delivers it to a local
# application (grpsec-app); the script, as that application, answers with
# "grpsec send 2" (sprinklers) and "grpsec send 3" (door locks).  Every
# member of groups 2 and 3 opens its command exactly once and sees that it
# came from the gateway; a member of group 1 opens neither.  Then the
# kernel's refusals, and the configuration round trip of a terminate mode
# group.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

NS_GW2=grpsec-term-$$
cleanup_test()
{
	"$IP" netns del "$NS_GW2" 2> /dev/null
	gw_cleanup
}
n_gw2() { run_in "$NS_GW2" "$@"; }

require_root
require_cmd grpsec grpsec-member grpsec-app grpsec-keys diff
module_load
setup_namespaces
keys_init
sign_init

APP_PORT=6000
S=aes-128-gcm
T=$'\t'
N=10
APP=$K/app.out

gw_start
spawn "$NS_GW" sh -c 'exec grpsec-app --listen 127.0.0.1:'$APP_PORT' \
	--timeout '$((300 * TIMEOUT_SCALE))' > '"$APP"
wait_udp "$NS_GW" $APP_PORT

# Three terminate mode groups; their K_G[1] is what inner_key makes.
for g in 1 2 3; do
	n_gw grpsec group add $g suite $S mode anonymous terminate on \
		key "$(inner_key $g anonymous $S 1)" epoch 1 \
		deliver 127.0.0.1:$APP_PORT
	gw_members $g $S 1 $N 1
done
n_gw grpsec group show 1
[ "$(n_gw grpsec group show 1 terminate)" = "1${T}on" ] ||
	fail "group 1 is not in terminate mode"
[ "$(n_gw grpsec group show 2 epoch)" = "2${T}1" ] ||
	fail "group 2 shows no group key epoch"
[ "$(n_gw grpsec group show 3 deliver)" = "3${T}127.0.0.1:$APP_PORT" ] ||
	fail "group 3 shows no delivery address"

# The sprinklers (group 2) and the door locks (group 3) say hello, so
# the gateway knows where they are, and wait for commands.
members_listen "$K/m2.out" 2 anonymous $S 1 $N --expect-commands $N \
	--dump-frames "$K/frames2.hex"
m2_pid=$members_pid
# Member 5 of group 3 gets a command of its own first.
members_listen "$K/m3.out" 3 anonymous $S 1 $N --expect-commands $((N + 1))
m3_pid=$members_pid
wait_stat delivered $((2 * N))

# Smoke detector 7 raises the alarm; the application hears of it.
members 1 anonymous $S 7 1 1 --payload FIRE-ALARM-ROOM-7 > /dev/null
wait_for 20 grep -q '^message group 1 member 7 epoch 1 seq [0-9]* payload FIRE-ALARM-ROOM-7$' "$APP" ||
	fail "the alarm did not reach the application: $(cat "$APP")"
grep '^message group 1 member 7 ' "$APP" >&2

# The application answers: sprinklers on, doors unlocked.
printf 'SPRINKLERS-ON' | n_gw grpsec send 2 > "$K/send2"
n_gw grpsec send 3 member 5 < /dev/null > "$K/send3a"
printf 'UNLOCK-DOORS' > "$K/unlock"
n_gw grpsec send 3 "$K/unlock" > "$K/send3"
cat "$K/send2" "$K/send3a" "$K/send3" >&2
grep -qx "seq [0-9]* recipients $N" "$K/send2" || fail "send 2: $(cat "$K/send2")"
grep -qx "seq [0-9]* recipients 1" "$K/send3a" || fail "send 3 member 5: $(cat "$K/send3a")"
seq2=$(awk '{ print $2 }' "$K/send2")
# The group shows the next command sequence, above the one just used.
cs=$(n_gw grpsec group show 2 cmd-seq)
[ "${cs%%${T}*}" = 2 ] && [ "${cs#*${T}}" -gt "$seq2" ] ||
	fail "group 2 shows command sequence \"$cs\", not one above $seq2"

members_pid=$m2_pid members_wait "$K/m2.out"
cat "$K/m2.out" >&2
expect_field "$K/m2.out" commands $N
expect_field "$K/m2.out" gateway_commands $N
expect_field "$K/m2.out" members_commanded $N
expect_field "$K/m2.out" refused 0
[ "$(grep -c '^command group 2 member [0-9]* seq '"$seq2"' origin gateway epoch 1 payload SPRINKLERS-ON$' "$K/m2.out")" = $N ] ||
	fail "not every sprinkler printed the command from the gateway"

members_pid=$m3_pid members_wait "$K/m3.out"
expect_field "$K/m3.out" commands $((N + 1))
expect_field "$K/m3.out" members_commanded $N
expect_field "$K/m3.out" refused 0
[ "$(grep -c '^command group 3 .* origin gateway epoch 1 payload UNLOCK-DOORS$' "$K/m3.out")" = $N ] ||
	fail "not every door lock printed the command"
grep -q '^command group 3 member 5 .* origin gateway epoch 1 payload hex:$' "$K/m3.out" ||
	fail "member 5 of group 3 did not get its empty command"

# The group 2 command, as captured: a member of group 1 opens none of
# it, neither as itself nor with its K_G under group 2's ids.
grpsec-keys random --bytes 32 --out "$K/other_s_auth"
n_m grpsec-member --gateway $IP_GW_M:$GW_PORT --group 1 --mode anonymous \
	--suite $S --first 1 --count $N --messages 0 --epoch 1 \
	--s-auth "$K/s_auth" --k-g "$K/k_g.1.1" --open-file "$K/frames2.hex" \
	> "$K/open1.out"
expect_field "$K/open1.out" commands 0
expect_field "$K/open1.out" refused $N
n_m grpsec-member --gateway $IP_GW_M:$GW_PORT --group 2 --mode anonymous \
	--suite $S --first 1 --count $N --messages 0 --epoch 1 \
	--s-auth "$K/other_s_auth" --k-g "$K/k_g.1.1" \
	--open-file "$K/frames2.hex" > "$K/open2.out"
expect_field "$K/open2.out" commands 0
expect_field "$K/open2.out" refused_bad_tag $N

# The gateway's counters: the hellos and the alarm delivered, nothing
# forwarded upstream, the commands sent, none to group 1.
expect_stat delivered 1 1
expect_stat delivered $N 2
expect_stat forwarded 0
expect_stat drop-inner-tag 0
expect_stat tx-frames $N 2
expect_stat tx-frames $((N + 1)) 3
expect_stat tx-frames 0 1
expect_stat tx-no-endpoint 0

# A frame whose inner layer was sealed under another key: dropped.
grpsec-keys random --suite $S --out "$K/k_g.1.9"
n_m grpsec-member --gateway $IP_GW_M:$GW_PORT --group 1 --mode anonymous \
	--suite $S --first 8 --count 1 --messages 1 --epoch 1 \
	--s-auth "$K/s_auth" --k-g "$K/k_g.1.9" > /dev/null
wait_stat drop-inner-tag 1 1
expect_stat delivered 1 1

# The socket deliveries leave from: the one unconnected UDP socket in the
# gateway's namespace that is neither a listen socket nor the
# application's.  It is bound to 127.0.0.1, and nothing sent to it, from
# this host or another, waits in its receive queue.
deliver_socket()
{
	n_gw awk -v gw=":$(printf %04X $GW_PORT)" \
		-v app=":$(printf %04X $APP_PORT)" \
		'NR > 1 && $3 == "00000000:0000" && substr($2, 9) != gw &&
		 substr($2, 9) != app { print $2, $5 }' /proc/net/udp
}
read -r dsock dqueue <<< "$(deliver_socket)"
[ "$(deliver_socket | wc -l)" = 1 ] ||
	fail "not one delivery socket: $(deliver_socket)"
[ "${dsock%:*}" = 0100007F ] ||
	fail "the delivery socket is bound to $dsock, not to 127.0.0.1"
dport=$((16#${dsock#*:}))
for i in $(seq 20); do
	n_gw bash -c "echo junk > /dev/udp/127.0.0.1/$dport"
	n_m bash -c "echo junk > /dev/udp/$IP_GW_M/$dport" || true
done
read -r dsock dqueue <<< "$(deliver_socket)"
[ "${dqueue#*:}" = 00000000 ] ||
	fail "the delivery socket queued datagrams: $dqueue"

# The kernel's refusals, with its reasons and exit status 2.
n_gw grpsec group add 4 suite $S mode identified
n_gw grpsec group add 5 suite $S mode anonymous
refused()
{
	local want=$1 rc=0

	shift
	"$@" > "$K/out" 2>&1 < /dev/null || rc=$?
	cat "$K/out" >&2
	[ $rc = 2 ] || fail "$*: exit $rc, expected 2"
	grep -q "kernel reports: $want" "$K/out" || fail "$*: no \"$want\""
}
refused 'terminate mode needs an anonymous group' n_gw grpsec group set 4 terminate on
refused 'terminate mode needs an anonymous group' \
	n_gw grpsec group add 6 mode identified terminate on
refused 'only a terminate mode group takes a group key' \
	n_gw grpsec group set 5 key "$K/k_g.1.1" epoch 1
refused 'group is not in terminate mode' n_gw grpsec send 5 "$K/unlock"
n_gw grpsec group set 5 terminate on
refused 'group has no current group key' n_gw grpsec send 5 "$K/unlock"
refused 'no such group' n_gw grpsec send 77 "$K/unlock"
head -c 1161 /dev/zero > "$K/big"
! n_gw grpsec send 2 "$K/big" || false
# A refused SET changes nothing: group 5 stays in terminate mode, with no
# delivery address, when the same request also names a bad multicast one.
refused 'not a multicast address' \
	n_gw grpsec group set 5 terminate off deliver 127.0.0.1:1 mcast 10.0.0.1:1
[ "$(n_gw grpsec group show 5 terminate)" = "5${T}on" ] ||
	fail "a refused SET changed the flags: $(n_gw grpsec group show 5 terminate)"
[ "$(n_gw grpsec group show 5 deliver)" = "5${T}(none)" ] ||
	fail "a refused SET changed the delivery address"
# The gateway's own commands count against the epoch's message limit
# (K_G[e]'s random nonces are bounded): the third of a limit of 2 is
# refused.
n_gw grpsec group set 5 key "$K/k_g.1.1" epoch 1 msg-limit 2
n_gw grpsec send 5 "$K/unlock" > /dev/null
n_gw grpsec send 5 "$K/unlock" > /dev/null
refused "the group key's epoch reached its message limit" \
	n_gw grpsec send 5 "$K/unlock"
n_gw grpsec group del 4
n_gw grpsec group del 5

# The next epoch's group key, and the delivery address removed and back.
grpsec-keys random --suite $S --out "$K/k_g.2.2"
n_gw grpsec group set 2 key "$K/k_g.2.2" epoch 2 slot next
[ "$(n_gw grpsec group show 2 next-epoch)" = "2${T}2" ] || fail "no next epoch"
n_gw grpsec group set 3 deliver none
[ "$(n_gw grpsec group show 3 deliver)" = "3${T}(none)" ] || fail "deliver none"
n_gw grpsec group set 3 deliver 127.0.0.1:$APP_PORT
n_gw grpsec -j group show 2 > "$K/json"
grep -q '"terminate":true' "$K/json" || fail "JSON: terminate"
grep -q '"next_epoch":2' "$K/json" || fail "JSON: next_epoch"
grep -q '"deliver":"127.0.0.1:6000"' "$K/json" || fail "JSON: deliver"
grep -q '"group_key":"(hidden)"' "$K/json" || fail "JSON: group_key"
n_gw grpsec stats -s > "$K/stats"
grep -q '^  delivered  *[0-9]' "$K/stats" || fail "stats: no delivered"
! grep -A30 '^member' "$K/stats" | grep -q 'tx-frames' ||
	fail "stats: members show downlink counters"

# showconf names the group keys; setconf on a fresh namespace, showconf
# there gives the same file.
mkdir -p "$K/conf/1" "$K/conf/2" "$K/conf/3"
n_gw grpsec showconf keydir "$K/conf" > "$K/a.conf"
cat "$K/a.conf" >&2
grep -q '^Terminate = on$' "$K/a.conf" || fail "showconf: Terminate"
grep -q '^GroupKey = 2/group.1.key epoch 1$' "$K/a.conf" || fail "showconf: GroupKey"
grep -q '^NextGroupKey = 2/group.2.key epoch 2$' "$K/a.conf" ||
	fail "showconf: NextGroupKey"
grep -q "^Deliver = 127.0.0.1:$APP_PORT\$" "$K/a.conf" || fail "showconf: Deliver"
for g in 1 2 3; do
	cp "$K/k_g.$g.1" "$K/conf/$g/group.1.key"
	n_gw grpsec member show $g epoch | while read -r m e; do
		grpsec-keys member --s-auth "$K/s_auth" --suite $S --group $g \
			--epoch "$e" --member "$m" --out "$K/conf/$g/$m.$e.key"
	done
done
cp "$K/k_g.2.2" "$K/conf/2/group.2.key"
cp "$K/k_up" "$K/conf/upstream.key"
# The fresh namespace has no route to the backend: no [Upstream] there.
awk '/^\[Upstream\]/ { skip = 1; next } /^\[/ { skip = 0 } !skip' \
	"$K/a.conf" > "$K/a1.conf"
ns_create "$NS_GW2"
n_gw2 grpsec setconf "$K/a1.conf"
# Members' endpoints were learned from traffic on one side, set on the other.
n_gw2 grpsec showconf keydir "$K/conf" | grep -v '^Member' > "$K/b.conf"
grep -v '^Member' "$K/a1.conf" > "$K/a2.conf"
diff -u "$K/a2.conf" "$K/b.conf" || fail "showconf differs after setconf"
# syncconf: the next key goes, terminate mode goes, nothing else changes.
sed -e '/^NextGroupKey/d' "$K/a1.conf" | awk '
	/^Id = 3$/ { three = 1 }
	/^\[/ { three = 0 }
	!(three && /^(Terminate|GroupKey|Deliver)/)' > "$K/c.conf"
n_gw2 grpsec syncconf "$K/c.conf" verbose > "$K/sync.out"
cat "$K/sync.out" >&2
[ "$(sort "$K/sync.out")" = "group 2 set next-key none
group 3 set deliver none
group 3 set terminate off" ] || fail "syncconf changed: $(cat "$K/sync.out")"
[ -z "$(n_gw2 grpsec syncconf "$K/c.conf" dry-run)" ] ||
	fail "syncconf is not idempotent"

exit $ksft_pass
