#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Command addressing (frames.rst, "Command body"): a command the backend
# signed for one member opens for that member alone.  The gateway fans out
# a command for member 1, one for member 2 whose body was signed for
# member 3 (a body moved to another member, as an untrusted gateway could
# do), and one for the whole group.  Member 1 accepts its own, member 2
# refuses the moved one, every member accepts the group's.  Then member
# 1's body, taken off the wire and sent as a multicast frame (which needs
# no key at all), is refused by every member, member 1 included, while
# the group's body sent the same way opens for every member.

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
N=3

gw_start
gw_group 1 anonymous $S 1 $N
members_listen "$K/m.out" 1 anonymous $S 1 $N --expect-commands $((1 + N)) \
	--dump-frames "$K/m.hex"
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --member 1 --payload for-one
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --member 2 \
	--fault readdress --payload moved
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --payload for-all
members_wait "$K/m.out"
cat "$K/m.out" >&2

re='^command group 1 member'
[ "$(grep -c "$re 1 seq [0-9]* origin backend epoch 1 payload for-one\$" "$K/m.out")" = 1 ] ||
	fail "member 1 did not open its command once"
[ "$(grep -c 'payload for-one$' "$K/m.out")" = 1 ] || fail "another member opened for-one"
! grep -q 'payload moved$' "$K/m.out" || fail "member 2 opened a body signed for member 3"
[ "$(grep -c 'payload for-all$' "$K/m.out")" = $N ] || fail "for-all not opened by $N"
expect_field "$K/m.out" commands $((1 + N))
expect_field "$K/m.out" member_commands 1
expect_field "$K/m.out" refused 1
expect_field "$K/m.out" refused_bad_tag 1
expect_stat tx-frames $((2 + N)) 1

# mcast_of FLAGS MEMBER: the first frame of m.hex with these flags (2 hex
# digits) and member id (8) made into a multicast frame: flags 06, member
# 0, epoch 0, the same sequence and body, no tag.
mcast_of()
{
	awk -v flags="$1" -v member="$2" 'function hex(s,  i, v) {
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	substr($0, 7, 2) == flags && substr($0, 17, 8) == member {
		print substr($0, 1, 6) "06" substr($0, 9, 8) "0000000000000000" \
		      substr($0, 33, 16) substr($0, 49, 4) "0000" \
		      substr($0, 57, 2 * hex(substr($0, 49, 4)))
		exit
	}' "$K/m.hex"
}

mcast_of 00 00000001 > "$K/one.hex"
mcast_of 04 00000001 > "$K/all.hex"
[ -s "$K/one.hex" ] && [ -s "$K/all.hex" ] || fail "frames not found in $K/m.hex"

members 1 anonymous $S 1 $N 0 --sign-pub "$K/sign.pub" \
	--open-file "$K/one.hex" > "$K/one.out"
cat "$K/one.out" >&2
expect_field "$K/one.out" commands 0
expect_field "$K/one.out" refused $N
expect_field "$K/one.out" refused_bad_tag $N

members 1 anonymous $S 1 $N 0 --sign-pub "$K/sign.pub" \
	--open-file "$K/all.hex" > "$K/all.out"
cat "$K/all.out" >&2
expect_field "$K/all.out" commands $N
expect_field "$K/all.out" refused 0
exit $ksft_pass
