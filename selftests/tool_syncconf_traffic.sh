#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# syncconf under traffic: members stream at a steady rate while the
# gateway's configuration goes through showconf, an edit (a new message
# limit and rate limit for the group, a new member) and syncconf.  The
# traffic keeps flowing: nothing is dropped, the backend gets every
# message exactly once, and the change takes effect (the new member's
# frames are verified, the group shows its new limits).

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init

S=aes-128-gcm
N=20		# members streaming from the start
MSGS=150	# each, at RATE frames a second in total: 7.5 s
RATE=400
NEW=$((N + 1))	# the member syncconf adds
NEW_MSGS=50
T=$'\t'

gw_start batch-max 32 flush-usec 1000
gw_group 1 identified $S 1 $N 1 msg-limit 100000

# The member keys where showconf names them: GROUP/MEMBER.EPOCH.key.
keys=$K/keys
mkdir -p "$keys/1"
cp "$K/k_up" "$keys/upstream.key"
grpsec-keys member --s-auth "$K/s_auth" --suite $S --group 1 --epoch 1 \
	--member 1 --count $NEW --dir "$K/kdir"
for m in $(seq 1 $NEW); do
	mv "$K/kdir/$m.key" "$keys/1/$m.1.key"
done

backend_start "$K/be.out" 1:identified:$S:1 -- \
	--expect $((N * MSGS + NEW_MSGS)) --timeout $((120 * TIMEOUT_SCALE))

members 1 identified $S 1 $N $MSGS --rate $RATE > "$K/m1.out" &
m1_pid=$!
_pids+=("$m1_pid")

# Mid-stream: some frames through, most still to come.
wait_stat verified $((N * MSGS / 10))

n_gw grpsec showconf keydir "$keys" > "$K/a.conf"
cat "$K/a.conf" >&2
grep -q '^MsgLimit = 100000$' "$K/a.conf" || fail "showconf: no MsgLimit"
! grep -q '^RateLimit' "$K/a.conf" || fail "showconf: a RateLimit of none"
sed -e 's/^MsgLimit = 100000$/MsgLimit = 200000\nRateLimit = 1000/' \
	"$K/a.conf" > "$K/b.conf"
echo "Member = $NEW 1/$NEW.1.key epoch 1" >> "$K/b.conf"

n_gw grpsec syncconf "$K/b.conf" dry-run > "$K/plan"
cat "$K/plan" >&2
diff -u - "$K/plan" <<PLAN || fail "syncconf plans the wrong changes"
group 1 set msg-limit 200000
group 1 set rate-limit 1000
member 1/$NEW add
PLAN
n_gw grpsec syncconf "$K/b.conf"
verified=$(stat verified)
kill -0 "$m1_pid" 2> /dev/null ||
	fail "the members finished before syncconf ran: no traffic to disturb"
echo "# syncconf done with $verified of $((N * MSGS)) frames verified" >&2

# The change took effect.
[ -z "$(n_gw grpsec syncconf "$K/b.conf" dry-run)" ] ||
	fail "syncconf left differences"
[ "$(n_gw grpsec group show 1 msg-limit)" = "1${T}200000" ] ||
	fail "the message limit did not change"
[ "$(n_gw grpsec group show 1 rate-limit)" = "1${T}1000" ] ||
	fail "the rate limit did not change"
[ "$(n_gw grpsec group show 1 members)" = "1${T}$NEW" ] ||
	fail "the new member is not there"

# The new member streams alongside the others (its own sequence file).
SEQ_FILE=$K/seq.new members 1 identified $S $NEW 1 $NEW_MSGS \
	--rate 50 > "$K/m2.out" || fail "new member: $(cat "$K/m2.out")"
wait "$m1_pid" || fail "members: $(cat "$K/m1.out")"
backend_wait || fail "backend: $(cat "$K/be.out")"
cat "$K/be.out"

expect_field "$K/be.out" unique $((N * MSGS + NEW_MSGS))
expect_field "$K/be.out" duplicates 0
expect_field "$K/be.out" misattributed 0
expect_stat verified $((N * MSGS + NEW_MSGS))
expect_stat verified $NEW_MSGS 1 $NEW
expect_stat drop-replay 0
expect_stat drop-stale-epoch 0
expect_stat drop-unknown-member 0
expect_stat drop-rate-limit 0
expect_stat drop-bad-tag 0
expect_stat drop-epoch-limit 0
exit $ksft_pass
