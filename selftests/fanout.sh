#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fan-out at scale: 10,000 members of one group report once, so that the
# gateway knows where each is; one command from the backend then reaches
# every one of them exactly once, and one from the gateway itself (send)
# does too.  The receive path keeps working meanwhile: a second group's
# uplink traffic during the fan-out is verified in full.

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
N=10000
gw_start mtu 8192 batch-max 255
n_gw grpsec group add 7 suite $S mode anonymous terminate on \
	key "$(inner_key 7 anonymous $S 1)" epoch 1 deliver 127.0.0.1:6000
gw_members 7 $S 1 $N 1
gw_group 8 anonymous $S 1 100

# 10,000 members on one socket: the frames of the gateway queue up in
# its receive buffer while the simulator opens them.  Their reports are
# paced (2,000 a second, 125 on the debug kernel): faster than the
# verification workers, they fill the module's queue of 8,192 (then
# drop-queue-full) when the guest's CPUs are slow to run the workers, and
# the members the gateway never heard from would get no command.  (On
# the debug kernel beside two other guests, 500 a second left 1,216 of
# the 10,000 unverified.)
members_listen "$K/m.out" 7 anonymous $S 1 $N \
	--rate $((2000 / TIMEOUT_SCALE / TIMEOUT_SCALE)) --quiet \
	--expect-commands $((2 * N))
downlink command --group 7 --epoch 1 --k-g "$K/k_g.7.1" --payload all-meters-report
# The uplink path during the fan-out.
members 8 anonymous $S 1 100 5 > /dev/null
wait_stat tx-frames $N 7
n_gw grpsec send 7 < /dev/null > "$K/send"
grep -qx "seq [0-9]* recipients $N" "$K/send" || fail "send: $(cat "$K/send")"

members_wait "$K/m.out"
expect_field "$K/m.out" commands $((2 * N))
expect_field "$K/m.out" gateway_commands $N
expect_field "$K/m.out" members_commanded $N
expect_field "$K/m.out" refused 0
wait_stat verified 500 8
expect_stat downlinks 1
expect_stat tx-frames $((2 * N)) 7
expect_stat tx-no-endpoint 0
exit $ksft_pass
