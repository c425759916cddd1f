#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Epoch rollover under traffic loses nothing.  While members stream under
# epoch 1, the gateway is given every member's epoch-2 key in the next
# slot and the members start sealing under epoch 2: frames of both epochs
# are accepted side by side, every message reaches the backend exactly
# once.  Once the next key has been in use for the grace period (10 s),
# it becomes the current one and epoch-1 frames are refused as stale.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init

S=aes-256-gcm
N=100
MSGS=10
gw_start
gw_group 1 anonymous $S 1 $N 1
backend_start "$K/be.out" 1:anonymous:$S:1 1:anonymous:$S:2 -- \
	--expect $((2 * N * MSGS + N)) --timeout $((120 * TIMEOUT_SCALE))

# Epoch 1 traffic, spread over a few seconds.
spawn "$NS_M" grpsec-member --gateway $IP_GW_M:$GW_PORT --group 1 \
	--mode anonymous --suite $S --epoch 1 --first 1 --count $N \
	--messages $MSGS --rate 300 --s-auth "$K/s_auth" \
	--k-g "$(inner_key 1 anonymous $S 1)" --seq-file "$K/seq.e1"
epoch1=$spawned
wait_stat verified 50

# The next key for every member, installed while epoch 1 flows.
grpsec-keys member --s-auth "$K/s_auth" --suite $S --group 1 --epoch 2 \
	--member 1 --count $N --dir "$K/e2"
for m in $(seq 1 $N); do
	n_gw grpsec member set 1 "$m" next-epoch 2 next-key "$K/e2/$m.key" \
		2> /dev/null
done
[ "$(n_gw grpsec member show 1 next-epoch | awk '$2 == 2' | wc -l)" = $N ] ||
	fail "next-epoch keys not installed"

# Epoch 2 traffic while epoch 1 still flows.
EPOCH=2 SEQ_FILE=$K/seq.e2 members 1 anonymous $S 1 $N $MSGS \
	--counter-start 1001 --rate 300 > /dev/null
wait "$epoch1" || fail "epoch-1 members failed"
wait_stat verified $((2 * N * MSGS))
expect_stat drop-stale-epoch 0
expect_stat drop-replay 0

# After the grace period, the next frame under epoch 2 retires epoch 1.
sleep 11
EPOCH=2 SEQ_FILE=$K/seq.e2 members 1 anonymous $S 1 $N 1 \
	--counter-start 2001 > /dev/null
backend_wait || fail "backend: $(cat "$K/be.out")"
cat "$K/be.out"
expect_field "$K/be.out" duplicates 0
[ "$(n_gw grpsec member show 1 epoch | awk '$2 == 2' | wc -l)" = $N ] ||
	fail "epoch 2 did not become current"
[ -z "$(n_gw grpsec member show 1 next-epoch | awk '$2 != "(none)"')" ] ||
	fail "a next key is still installed after the rollover"

SEQ_FILE=$K/seq.e1 members 1 anonymous $S 1 1 1 --counter-start 3001 \
	> /dev/null
wait_stat drop-stale-epoch 1
exit $ksft_pass
