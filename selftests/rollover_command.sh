#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Commands during a rollover (frames.rst, "Rollover"): the gateway holds
# epoch 2 in the members' next slots and the members apply their rekeys
# to it, but send nothing under it yet.  The gateway therefore still tags
# their type 4 frames under K_m[1]; the members, which keep epoch 1 until
# it is retired, accept the commands sent right then, whether the backend
# sealed them under K_G[2] or still under K_G[1].

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
N=4

gw_start
gw_group 1 anonymous $S 1 $N
grpsec-keys member --s-auth "$K/s_auth" --suite $S --group 1 --epoch 2 \
	--member 1 --count $N --dir "$K/e2"
for m in $(seq 1 $N); do
	n_gw grpsec member set 1 "$m" next-epoch 2 next-key "$K/e2/$m.key"
done
grpsec-keys random --suite $S --out "$K/kg1.2"

members_listen "$K/m.out" 1 anonymous $S 1 $N --expect-rekeys $N \
	--expect-commands $((2 * N)) --dump-frames "$K/m.hex"
downlink rekey --group 1 --member 1 --count $N --new-epoch 2 \
	--s-auth "$K/s_auth" --k-g "$K/kg1.2" --wrap-secret "$K/wrap"
downlink command --group 1 --epoch 2 --k-g "$K/kg1.2" --payload new-key
downlink command --group 1 --epoch 1 --k-g "$K/k_g.1.1" --payload old-key
members_wait "$K/m.out"
cat "$K/m.out" >&2

[ "$(grep -c '^rekey group 1 member [0-9]* epoch 2$' "$K/m.out")" = $N ] ||
	fail "not every member applied its rekey"
[ "$(grep -c 'origin backend epoch 2 payload new-key$' "$K/m.out")" = $N ] ||
	fail "the command under K_G[2] did not reach every member"
[ "$(grep -c 'origin backend epoch 1 payload old-key$' "$K/m.out")" = $N ] ||
	fail "the command under K_G[1] did not reach every member"
expect_field "$K/m.out" refused 0
expect_field "$K/m.out" epoch 2
# Every type 4 frame was tagged under epoch 1 (header bytes 12..15).
[ "$(awk 'substr($0, 3, 2) == "04" && substr($0, 25, 8) != "00000001"' "$K/m.hex")" = "" ] ||
	fail "a command frame was not tagged under epoch 1"
[ "$(awk 'substr($0, 3, 2) == "04"' "$K/m.hex" | wc -l)" = $((2 * N)) ] ||
	fail "expected $((2 * N)) command frames"
expect_stat tx-frames $((3 * N)) 1
exit $ksft_pass
