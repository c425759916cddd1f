#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Downlink: the backend sends commands and key updates through the gateway.
# A command for a group reaches each of its members exactly once (sent to
# the listen port over IPv4 and IPv6, and to the upstream socket the
# batches come from), a forged one (the right group key, the wrong signing
# key) is refused by every member, rekey blobs reach only the members they
# are for, which switch epoch and go on sending under it.  Downlink frames
# with a bad K_up tag, a stale or replayed sequence, a bad header, or for
# a group or member the gateway does not have are dropped and counted by
# reason; the replay window outlives deleting and setting the same K_up,
# and a new K_up of the same gateway, whose predecessor still opens
# downlinks until one verifies under the new key (the socket, and so its
# port, stays).

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init
sign_init

N1=20
N2=5
gw_start
gw_group 1 anonymous aes-128-gcm 1 $N1
gw_group 2 identified chacha20-poly1305 1 $N2
# The identified group's command key K_G: its inner layer uses K_e,m.
grpsec-keys random --suite chacha20-poly1305 --out "$K/kg2"

# Members 1..3 of group 1 get epoch 2: the gateway holds its keys in the
# next slot, the members get them in rekey blobs.
grpsec-keys member --s-auth "$K/s_auth" --suite aes-128-gcm --group 1 \
	--epoch 2 --member 1 --count 3 --dir "$K/e2"
for m in 1 2 3; do
	n_gw grpsec member set 1 $m next-epoch 2 next-key "$K/e2/$m.key"
done
grpsec-keys random --suite aes-128-gcm --out "$K/kg1.2"

backend_start "$K/be.out" 1:anonymous:aes-128-gcm:1 \
	2:identified:chacha20-poly1305:1 -- --timeout $((120 * TIMEOUT_SCALE)) \
	--peer-file "$K/peer"

members_listen "$K/m1.out" 1 anonymous aes-128-gcm 1 $N1 \
	--expect-commands $N1 --expect-rekeys 3 --messages-after 1
m1_pid=$members_pid
members_listen "$K/m2.out" 2 identified chacha20-poly1305 1 $N2 \
	--k-g "$K/kg2" --expect-commands $N2
m2_pid=$members_pid

# A forger holds K_G but not the manager's signing key.
grpsec-keys sign --out "$K/forger" --pub "$K/forger.pub"
SIGN_KEY=$K/forger downlink command --group 1 --epoch 1 \
	--k-g "$K/k_g.1.1" --payload forged
# The backend may answer where the batches come from, from where it
# received them: the gateway's upstream socket.  Its receiver has done its
# part and gives the port up.
wait_for 20 test -s "$K/peer"
kill "$backend_pid"
wait "$backend_pid" || true
DL_TO=$(cat "$K/peer") downlink command --group 1 --epoch 1 \
	--k-g "$K/k_g.1.1" --payload close-valves --from $IP_BE:$BE_PORT
DL_TO=[$IP6_GW_BE]:$GW_PORT downlink command --group 2 --mode identified \
	--suite chacha20-poly1305 --epoch 1 --k-g "$K/kg2" --payload report-now
downlink rekey --group 1 --member 1 --count 3 --new-epoch 2 \
	--s-auth "$K/s_auth" --k-g "$K/kg1.2" --wrap-secret "$K/wrap"

members_pid=$m1_pid members_wait "$K/m1.out"
members_pid=$m2_pid members_wait "$K/m2.out"
cat "$K/m1.out" "$K/m2.out" >&2

# Every member exactly once; the forgery refused by all, on its signature.
expect_field "$K/m1.out" commands $N1
expect_field "$K/m1.out" members_commanded $N1
expect_field "$K/m1.out" refused $N1
expect_field "$K/m1.out" refused_bad_tag $N1
expect_field "$K/m2.out" commands $N2
expect_field "$K/m2.out" members_commanded $N2
expect_field "$K/m2.out" refused 0
[ "$(grep -c '^command group 1 member [0-9]* seq [0-9]* origin backend epoch 1 payload close-valves$' "$K/m1.out")" = $N1 ] ||
	fail "not every member of group 1 printed the command"
[ "$(grep -c '^command group 2 .* origin backend epoch 1 payload report-now$' "$K/m2.out")" = $N2 ] ||
	fail "not every member of group 2 printed the command"

# Rekeys: members 1..3 only, each once, now at epoch 2; their next frame
# verifies under the epoch 2 key.
expect_field "$K/m1.out" rekeys 3
[ "$(grep '^rekey ' "$K/m1.out" | sort)" = "rekey group 1 member 1 epoch 2
rekey group 1 member 2 epoch 2
rekey group 1 member 3 epoch 2" ] || fail "rekeys reached other members"
expect_field "$K/m1.out" epoch 2
wait_stat verified $((2 * N1)) 1
expect_stat drop-stale-epoch 0 1
expect_stat drop-bad-tag 0 1
[ "$(n_gw grpsec member show 1 last-seq | awk '$2 == 2' | wc -l)" = $N1 ] ||
	fail "not every member of group 1 sent its second frame"

# What the gateway counted: 6 downlinks accepted (3 of them rekeys), the
# frames they became.
expect_stat downlinks 6
expect_stat tx-frames $((2 * N1 + 3 + N2))
expect_stat tx-frames $((2 * N1 + 3)) 1
expect_stat tx-frames $N2 2
expect_stat tx-no-endpoint 0
expect_stat dl-drop-bad-tag 0

# A member with no address yet: counted, not sent.
grpsec-keys member --s-auth "$K/s_auth" --suite aes-128-gcm --group 1 \
	--epoch 1 --member 100 --out "$K/m100.key"
n_gw grpsec member add 1 100 epoch 1 key "$K/m100.key"
downlink command --group 1 --member 100 --epoch 1 --k-g "$K/k_g.1.1"
wait_stat tx-no-endpoint 1

# Drops, each counted by its reason, none sent on.
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --fault bad-tag
wait_stat dl-drop-bad-tag 1
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --fault malformed
wait_stat dl-drop-malformed 1
n_be grpsec-backend command --to $IP_GW_BE:$GW_PORT --gateway $GW_ID \
	--up-secret "$K/up" --sign-key "$K/sign" --dl-seq 1 --group 1 \
	--epoch 1 --k-g "$K/k_g.1.1"
wait_stat dl-drop-replay 1
downlink command --group 99 --epoch 1 --k-g "$K/k_g.1.1"
wait_stat dl-drop-unknown 1
downlink rekey --group 1 --member 999 --new-epoch 2 --s-auth "$K/s_auth" \
	--k-g "$K/kg1.2" --wrap-secret "$K/wrap"
wait_stat dl-drop-unknown 2
# A downlink under another gateway's K_up does not verify.
n_be grpsec-backend command --to $IP_GW_BE:$GW_PORT --gateway $GW_ID \
	--up-secret "$K/s_e2e" --sign-key "$K/sign" --group 1 --epoch 1 \
	--k-g "$K/k_g.1.1"
wait_stat dl-drop-bad-tag 2
# Replayed: the first copy goes out (no member listens any more), the
# second is dropped.
downlink command --group 1 --member 1 --epoch 1 --k-g "$K/k_g.1.1" \
	--fault replay
wait_stat dl-drop-replay 2
expect_stat downlinks 8
expect_stat dl-drop-bad-tag 2
expect_stat dl-drop-malformed 1
expect_stat dl-drop-unknown 2
expect_stat tx-frames $((2 * N1 + 3 + N2 + 1))

# The window belongs to K_up: deleting the association and setting the
# same key again does not reopen old downlink sequences.
n_gw grpsec upstream del
n_gw grpsec upstream set endpoint $IP_BE:$BE_PORT gateway-id $GW_ID \
	key "$K/k_up"
n_be grpsec-backend command --to $IP_GW_BE:$GW_PORT --gateway $GW_ID \
	--up-secret "$K/up" --sign-key "$K/sign" --dl-seq 1 --group 1 \
	--epoch 1 --k-g "$K/k_g.1.1"
wait_stat dl-drop-replay 3
expect_stat downlinks 8

# A new K_up of the same gateway (grpsecd gateway sets one on every
# control connection): the window carries over, and the key it replaced
# still opens downlinks until one verifies under the new key.  Group 99
# is unknown: a downlink that passed the K_up check counts as dl-drop-unknown.
grpsec-keys random --bytes 32 --out "$K/up2"
grpsec-keys upstream --secret "$K/up2" --suite aes-128-gcm --gateway $GW_ID \
	--out "$K/k_up2"
under() {	# under SECRET SEQ: a downlink under the K_up of SECRET
	n_be grpsec-backend command --to $IP_GW_BE:$GW_PORT --gateway $GW_ID \
		--up-secret "$1" --sign-key "$K/sign" --dl-seq "$2" --group 99 \
		--epoch 1 --k-g "$K/k_g.1.1"
}
# The upstream socket, by its local address (it is connected to the backend).
upstream_local() {
	"$IP" netns exec "$NS_GW" cat /proc/net/udp |
		awk -v p=":$(printf %04X $BE_PORT)" 'substr($3, length($3) - 4) == p { print $2 }'
}
local0=$(upstream_local)
[ -n "$local0" ] || fail "no upstream socket in /proc/net/udp"
next=$(n_gw grpsec upstream show dl-seq)
n_gw grpsec upstream set endpoint $IP_BE:$BE_PORT gateway-id $GW_ID \
	key "$K/k_up2"
# The same endpoint keeps its socket: the backend's downlinks find it.
[ "$(upstream_local)" = "$local0" ] ||
	fail "a new K_up moved the upstream socket from $local0 to $(upstream_local)"
[ "$(n_gw grpsec upstream show dl-seq)" = "$next" ] ||
	fail "a new K_up of the same gateway moved dl-seq from $next to $(n_gw grpsec upstream show dl-seq)"
under "$K/up" "$next"
wait_stat dl-drop-unknown 3
under "$K/up2" 1
wait_stat dl-drop-replay 4
under "$K/up2" $((next + 1))
wait_stat dl-drop-unknown 4
under "$K/up" $((next + 2))
wait_stat dl-drop-bad-tag 3
expect_stat dl-drop-unknown 4
n_gw grpsec upstream set endpoint $IP_BE:$BE_PORT gateway-id $GW_ID \
	key "$K/k_up"

# A restart forgets the window.  The floor it reports (one above the
# last downlink sequence accepted), saved before (showconf writes it), is
# given back: nothing below it is accepted again, the floor itself and
# what the backend sends next are (frames.rst, "Sequence floors").
floor=$(n_gw grpsec upstream show dl-seq)
[ "$floor" -gt 1000 ] || fail "upstream show dl-seq printed \"$floor\""
n_gw grpsec showconf > "$K/saved.conf"
grep -qx "DownlinkSequence = $floor" "$K/saved.conf" ||
	fail "showconf did not save the downlink floor $floor"
module_unload
module_load
n_gw grpsec listen $GW_PORT
n_gw grpsec upstream set endpoint $IP_BE:$BE_PORT gateway-id $GW_ID \
	key "$K/k_up" dl-seq "$floor"
[ "$(n_gw grpsec upstream show dl-seq)" = "$floor" ] ||
	fail "the floor reads back as $(n_gw grpsec upstream show dl-seq)"
dl_seq() {	# dl_seq N: a command carrying downlink sequence N
	n_be grpsec-backend command --to $IP_GW_BE:$GW_PORT --gateway $GW_ID \
		--up-secret "$K/up" --sign-key "$K/sign" --dl-seq "$1" \
		--group 1 --epoch 1 --k-g "$K/k_g.1.1"
}
for seq in 1 $((floor - 1)); do
	dl_seq "$seq"
done
wait_stat dl-drop-replay 2
# The floor itself is new: the same number on both ends loses nothing.
# It passes the K_up check (to a group this fresh module does not have).
dl_seq "$floor"
wait_stat dl-drop-unknown 1
expect_stat dl-drop-replay 2
[ "$(n_gw grpsec upstream show dl-seq)" = $((floor + 1)) ] ||
	fail "accepting $floor left dl-seq at $(n_gw grpsec upstream show dl-seq)"
dl_seq $((floor + 5))
wait_stat dl-drop-unknown 2
expect_stat dl-drop-replay 2
[ "$(n_gw grpsec upstream show dl-seq)" = $((floor + 6)) ] ||
	fail "accepting $((floor + 5)) left dl-seq at $(n_gw grpsec upstream show dl-seq)"
# A lower floor, as syncconf with an old file would give, changes nothing.
n_gw grpsec upstream set endpoint $IP_BE:$BE_PORT gateway-id $GW_ID \
	key "$K/k_up" dl-seq 5
[ "$(n_gw grpsec upstream show dl-seq)" -gt "$floor" ] ||
	fail "a lower floor moved dl-seq back"
exit $ksft_pass
