#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Multicast: a group with a multicast address gets a command the backend
# signed for all its members as one frame to that address, not one per
# member.  Two member processes of group 1 share the group's port; each
# member opens the command once, and refuses a forged one (the right
# group key, the wrong signing key) on its signature.  A terminate mode
# group with a multicast address still gets "grpsec send" commands one per
# member.  The kernel refuses an address that is not a multicast one;
# "mcast none" (and syncconf) take the address away and give it back,
# and the commands follow: unicast, then multicast again.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init
sign_init

S=aes-128-gcm
T=$'\t'
PORT=5750
MC1=239.1.2.3:$PORT
MC2=239.1.2.4:$PORT
NA=5		# group 1, members 1..5, one process
NB=3		# group 1, members 6..8, another
N1=$((NA + NB))
N2=4		# group 2 (terminate mode), members 1..4

# lines FILE REGEX: how many lines of FILE match.
lines() { grep -c -- "$2" "$1" || true; }

# wait_lines FILE REGEX COUNT: until COUNT lines of FILE match.
lines_reach() { [ "$(lines "$1" "$2")" -ge "$3" ]; }
wait_lines()
{
	wait_for 20 lines_reach "$@" ||
		fail "$1: $(lines "$1" "$2") lines like \"$2\", expected $3"
}

# once FILE PAYLOAD HOW COUNT: COUNT different members printed the command
# with PAYLOAD, each once; HOW is "via multicast " or "".
once()
{
	local re="^command group [0-9]* member [0-9]* seq [0-9]* origin [a-z]* epoch 1 ${3}payload $2\$"

	[ "$(lines "$1" "$re")" = "$4" ] ||
		fail "$1: $(lines "$1" "$re") lines for \"$2\" ${3:-unicast}, expected $4"
	[ -z "$(grep -- "$re" "$1" | awk '{ print $5 }' | sort | uniq -d)" ] ||
		fail "$1: a member opened \"$2\" twice"
}

gw_start
n_gw "$IP" route add 239.0.0.0/8 dev gw-m
gw_group 1 anonymous $S 1 $N1
n_gw grpsec group set 1 mcast $MC1
# Group 2 holds its K_G (terminate mode), so that "grpsec send" can reach it.
n_gw grpsec group add 2 suite $S mode anonymous terminate on \
	key "$(inner_key 2 anonymous $S 1)" epoch 1 mcast $MC2
gw_members 2 $S 1 $N2 1

[ "$(n_gw grpsec group show 1 mcast)" = "1${T}$MC1" ] || fail "group show mcast"
[ "$(n_gw grpsec group show 2 dump | awk -F '\t' '{ print $NF }')" = "$MC2" ] ||
	fail "group show dump: multicast address not last"
n_gw grpsec group show 1 | grep -q "^  multicast to: $MC1\$" ||
	fail "group show: no multicast address"
n_gw grpsec -j group show 1 | grep -q "\"mcast\":\"$MC1\"" || fail "JSON: mcast"

# Two processes of group 1 on the same multicast port, one of group 2 on
# the same port, another group address.
members_listen "$K/a.out" 1 anonymous $S 1 $NA --mcast $MC1 \
	--expect-commands $((3 * NA))
a_pid=$members_pid
members_listen "$K/b.out" 1 anonymous $S $((NA + 1)) $NB --mcast $MC1 \
	--expect-commands $((3 * NB)) --dump-frames "$K/b.hex"
b_pid=$members_pid
members_listen "$K/c.out" 2 anonymous $S 1 $N2 --mcast $MC2 \
	--expect-commands $((2 * N2))
c_pid=$members_pid

# A signed command for all of group 1: one frame, every member opens it.
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --payload open-valves
wait_lines "$K/a.out" 'via multicast payload open-valves$' $NA
wait_lines "$K/b.out" 'via multicast payload open-valves$' $NB
expect_stat tx-frames 1 1
expect_stat tx-errors 0 1

# A forger holds K_G but not the manager's signing key: sent on, refused.
grpsec-keys sign --out "$K/forger" --pub "$K/forger.pub"
SIGN_KEY=$K/forger downlink command --group 1 --epoch 1 \
	--k-g "$K/k_g.1.1" --payload forged
wait_stat tx-frames 2 1

# The gateway's own command to a terminate mode group goes to each member,
# tagged, multicast address or not; the backend's signed one does not.
printf 'SPRINKLERS-ON' | n_gw grpsec send 2 > "$K/send2"
grep -qx "seq [0-9]* recipients $N2" "$K/send2" || fail "send 2: $(cat "$K/send2")"
wait_stat tx-frames $N2 2
wait_lines "$K/c.out" 'origin gateway epoch 1 payload SPRINKLERS-ON$' $N2
downlink command --group 2 --epoch 1 --k-g "$K/k_g.2.1" --payload report-now
wait_lines "$K/c.out" 'via multicast payload report-now$' $N2
expect_stat tx-frames $((N2 + 1)) 2

# Not a multicast address: the kernel says so, nothing changes.
rc=0
n_gw grpsec group set 1 mcast 10.0.0.1:1 2> "$K/err" || rc=$?
cat "$K/err" >&2
[ $rc = 2 ] || fail "group set mcast 10.0.0.1:1: exit $rc, expected 2"
grep -q 'not a multicast address' "$K/err" || fail "no extack message"
[ "$(n_gw grpsec group show 1 mcast)" = "1${T}$MC1" ] ||
	fail "a refused mcast changed the group"

# showconf writes the address; syncconf finds nothing to change.
mkdir -p "$K/conf"
n_gw grpsec showconf keydir "$K/conf" > "$K/a.conf"
grep -q "^Multicast = $MC1\$" "$K/a.conf" || fail "showconf: group 1 Multicast"
grep -q "^Multicast = $MC2\$" "$K/a.conf" || fail "showconf: group 2 Multicast"
[ -z "$(n_gw grpsec syncconf "$K/a.conf" dry-run)" ] ||
	fail "syncconf would change the configuration showconf wrote"

# mcast none: the next signed command goes to each member.
n_gw grpsec group set 1 mcast none
[ "$(n_gw grpsec group show 1 mcast)" = "1${T}(none)" ] || fail "mcast none"
n_gw grpsec -j group show 1 | grep -q '"mcast":null' || fail "JSON: mcast null"
[ "$(n_gw grpsec syncconf "$K/a.conf" dry-run)" = "group 1 set mcast $MC1" ] ||
	fail "syncconf dry-run: $(n_gw grpsec syncconf "$K/a.conf" dry-run)"
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --payload close-valves
wait_lines "$K/a.out" 'backend epoch 1 payload close-valves$' $NA
wait_lines "$K/b.out" 'backend epoch 1 payload close-valves$' $NB
expect_stat tx-frames $((2 + N1)) 1

# syncconf gives the address back: multicast again.
n_gw grpsec syncconf "$K/a.conf" verbose > "$K/sync.out"
[ "$(cat "$K/sync.out")" = "group 1 set mcast $MC1" ] ||
	fail "syncconf: $(cat "$K/sync.out")"
[ "$(n_gw grpsec group show 1 mcast)" = "1${T}$MC1" ] || fail "syncconf mcast"
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --payload all-clear

members_pid=$a_pid members_wait "$K/a.out"
members_pid=$b_pid members_wait "$K/b.out"
members_pid=$c_pid members_wait "$K/c.out"
cat "$K/a.out" "$K/b.out" "$K/c.out" >&2

for f in a:$NA b:$NB; do
	out=$K/${f%:*}.out
	n=${f#*:}
	once "$out" open-valves 'via multicast ' "$n"
	once "$out" close-valves '' "$n"
	once "$out" all-clear 'via multicast ' "$n"
	expect_field "$out" commands $((3 * n))
	expect_field "$out" members_commanded "$n"
	expect_field "$out" multicast_frames 3
	expect_field "$out" multicast_commands $((2 * n))
	expect_field "$out" refused "$n"
	expect_field "$out" refused_bad_tag "$n"
	expect_field "$out" received $((3 + n))
done
# On the wire (frames.rst): a multicast frame is type 4, flag bits 1 and 2
# (multicast, a body for the group), member 0, epoch 0, 28 + B bytes (no
# tag); the others carry a tag, and flag bit 2 (a body for the group).
awk 'function hex(s,  i, v) {
	v = 0
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
{
	n = length($0) / 2
	b = hex(substr($0, 49, 4))
	if (substr($0, 1, 8) == "02040106" && substr($0, 17, 16) == "0000000000000000" &&
	    n == 28 + b)
		mcast++
	else if (substr($0, 3, 6) == "040104" && n == 28 + b + 16)
		unicast++
	else
		print "unexpected frame: " $0 > "/dev/stderr"
}
END { print mcast + 0, unicast + 0 }' "$K/b.hex" > "$K/b.frames"
[ "$(cat "$K/b.frames")" = "3 $NB" ] ||
	fail "frames received by members 6..8 (multicast, unicast): $(cat "$K/b.frames")"
once "$K/c.out" report-now 'via multicast ' $N2
once "$K/c.out" SPRINKLERS-ON '' $N2
expect_field "$K/c.out" commands $((2 * N2))
expect_field "$K/c.out" gateway_commands $N2
expect_field "$K/c.out" multicast_frames 1
expect_field "$K/c.out" refused 0
expect_field "$K/c.out" received $((1 + N2))

# Group 1: three multicast frames and one fan-out; group 2: one of each.
expect_stat tx-frames $((3 + N1)) 1
expect_stat tx-frames $((1 + N2)) 2
expect_stat tx-frames $((4 + N1 + N2))
expect_stat tx-errors 0 1
expect_stat tx-errors 0 2
expect_stat downlinks 5
exit $ksft_pass
