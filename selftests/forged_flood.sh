#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A flood of forged frames naming a member does not cost that member its
# frames.  Member 1 of a group with a rate limit of 50 frames a second
# sends 20 a second; meanwhile a forger sends 1000 a second in its name
# (its ids, its key, a flipped tag bit) from another port.  Every one of
# the member's frames is verified and none is dropped over its rate: only
# frames that verified spend its budget.  The forgeries are bounded by the
# group's own limit on bad tags from addresses that are not their
# member's endpoint: at most about 50 a second get a tag check, the rest
# are dropped before any crypto as drop-unauth-limit, counted for the
# group and never for the member.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-keys
module_load
setup_namespaces
keys_init

S=aes-128-gcm
RATE=50
REAL=200
FORGED=5000

n_gw grpsec listen $GW_PORT
gw_group 1 identified $S 1 2 1 rate-limit $RATE

# The member: 20 frames a second for 10 s, from one socket.
spawn "$NS_M" grpsec-member --gateway $IP_GW_M:$GW_PORT --group 1 \
	--mode identified --suite $S --epoch 1 --first 1 --count 1 \
	--messages $REAL --rate 20 --s-auth "$K/s_auth" --s-e2e "$K/s_e2e" \
	--seq-file "$K/seq.real" --timeout $((60 * TIMEOUT_SCALE))
real=$spawned
wait_stat verified 10 1

# The forger, 1000 frames a second for 5 s, naming member 1.
t0=$SECONDS
n_m grpsec-member --gateway $IP_GW_M:$GW_PORT --group 1 \
	--mode identified --suite $S --epoch 1 --first 1 --count 1 \
	--messages $FORGED --rate 1000 --tamper-tag --counter-start 100000 \
	--s-auth "$K/s_auth" --s-e2e "$K/s_e2e" --seq-file "$K/seq.forged" \
	--timeout $((60 * TIMEOUT_SCALE)) > /dev/null
t1=$SECONDS
wait "$real" || fail "the member's sender failed"

# A forgery may carry a sequence the member used already: a replay.
# Without the fix, forgeries end as the member's drop-rate-limit.
wait_for 20 eval '[ $(( $(stat drop-bad-tag 1) + $(stat drop-unauth-limit 1) +
	$(stat drop-replay 1) + $(stat drop-rate-limit 1) )) -ge $FORGED ]' ||
	fail "forged frames unaccounted for"
wait_stat verified $REAL 1
bad=$(stat drop-bad-tag 1)
limited=$(stat drop-unauth-limit 1)
echo "# over $((t1 - t0)) s: $bad forgeries checked, $limited dropped before crypto" >&2

# The member lost nothing.
expect_stat verified $REAL 1 1
expect_stat drop-rate-limit 0 1 1
expect_stat drop-rate-limit 0 1
# The forgeries' tag checks are bounded: RATE a second, plus what the
# CPUs' verification lanes hold at a window's edge.
[ "$bad" -le $((RATE * (t1 - t0 + 2) + 16 * $(nproc 2> /dev/null || echo 4) * (t1 - t0 + 2))) ] ||
	fail "$bad forged frames got a tag check in $((t1 - t0)) s"
[ "$limited" -ge 1 ] || fail "no forged frame dropped before crypto"
# Members keep no drop-unauth-limit: the tool shows none for them.
[ -z "$(stat drop-unauth-limit 1 1)" ] ||
	fail "member 1 counts drop-unauth-limit"
[ "$(stat drop-bad-tag 1 1)" = "$bad" ] ||
	fail "member 1 counts $(stat drop-bad-tag 1 1) bad tags, its group $bad"
exit $ksft_pass
