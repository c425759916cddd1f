#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every class of bad frame is dropped by the gateway, counted under its
# own reason (namespace, group and member), and never reaches the
# backend: forged tags, replays, bad versions, truncated and oversized
# frames, unknown groups and members, stale epochs, a suite that is not
# the group's, an epoch past its message limit, a member over its rate,
# and frames verified while no upstream is configured.  AES-GCM tags by
# GMAC (the default) and, for forged tags and the replay case, by the
# cached gcm(aes) transforms (gmac=N), told apart by the gcm(aes)
# transforms /proc/crypto counts.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init

S=aes-128-gcm
N=10

# Verified frames with nowhere to go.
n_gw grpsec listen $GW_PORT
gw_group 1 identified $S 1 $N
members 1 identified $S 1 $N 1 > /dev/null
wait_stat drop-no-upstream $N
expect_stat verified $N 1

gw_start
gw_group 2 anonymous $S 1 $N 1 msg-limit 50
backend_start "$K/be.out" 1:identified:$S:1 2:anonymous:$S:1 \
	3:identified:$S:1 -- --idle $((5 * TIMEOUT_SCALE)) --timeout $((60 * TIMEOUT_SCALE))

# drop_case COUNTER COUNT GROUP grpsec-member options...
drop_case()
{
	local counter=$1 count=$2 g=$3 before

	shift 3
	before=$(stat "$counter")
	members "$g" identified $S 1 $N 1 "$@" > /dev/null
	wait_stat "$counter" $((before + count))
}

# gcm(aes) transforms in use, all drivers: by /proc/crypto's refcnt.
gcm_refs()
{
	awk '$1 == "name" { n = $3 } $1 == "refcnt" && n == "gcm(aes)" { s += $3 }
	     END { print s + 0 }' /proc/crypto
}
gcm_before=$(gcm_refs)

drop_case drop-bad-tag $N 1 --tamper-tag --counter-start 100
expect_stat drop-bad-tag 1 1 1
drop_case drop-bad-version $N 1 --bad-version --counter-start 200
drop_case drop-truncated $N 1 --truncate --counter-start 300
drop_case drop-unknown-member $N 1 --unknown-member --counter-start 400
drop_case drop-stale-epoch $N 1 --stale-epoch --counter-start 500
drop_case drop-unknown-group $N 99 --counter-start 600
drop_case drop-bad-header $N 1 --suite aes-256-gcm --counter-start 700

# The cached gcm(aes) transforms (gmac=N) drop forged tags too, and pass
# the originals of the replay case below; then GMAC again.
# GMAC keyed no gcm(aes) transform for the members' tags above, where
# there is a GHASH other than the generic C one, or PMULL on arm64 (the
# module's own GHASH; 6.1 registers none there).
if awk '$1 == "name" { n = $3 }
	$1 == "driver" && n == "ghash" && $3 != "ghash-generic" { f = 1 }
	END { exit !f }' /proc/crypto ||
	{ [ "$(uname -m)" = aarch64 ] && grep -qw pmull /proc/cpuinfo; }; then
	has_gmac=1
	[ "$(gcm_refs)" -eq "$gcm_before" ] ||
		fail "gcm(aes) transforms $gcm_before -> $(gcm_refs) under GMAC"
fi
gmac=/sys/module/grpsec/parameters/gmac
echo N > "$gmac"
drop_case drop-bad-tag $N 1 --tamper-tag --counter-start 150
expect_stat drop-bad-tag 2 1 1

# Each frame twice: the copies are refused, the originals pass.
drop_case drop-replay $N 1 --replay --counter-start 800
expect_stat drop-replay 1 1 1
if [ "${has_gmac-}" ]; then
	[ "$(gcm_refs)" -gt "$gcm_before" ] ||
		fail "gmac=N: no gcm(aes) transform cached ($(gcm_refs) in use)"
	echo "# gcm(aes) transforms: $gcm_before under GMAC, $(gcm_refs) after gmac=N"
else
	echo "# no accelerated GHASH: AES-GCM tags by the cache either way"
fi
echo Y > "$gmac"

# An oversized frame with a valid header: 1281 bytes of payload.
{
	printf '\002\001\001\000\000\000\000\001\000\000\000\001'
	printf '\000\000\000\001\000\000\000\000\000\000\000\377'
	head -c $((12 + 1281 + 32)) /dev/zero
} > "$K/oversize"
n_m bash -c "dd if='$K/oversize' bs=4096 count=1 status=none \
	> /dev/udp/$IP_GW_M/$GW_PORT"
wait_stat drop-oversize 1

# 60 messages against a limit of 50 per epoch.
members 2 anonymous $S 1 1 60 > /dev/null
wait_stat drop-epoch-limit 10
expect_stat verified 50 2

# One member over its group's rate: 5 frames a second, 20 sent at once.
gw_group 3 identified $S 1 1 1 rate-limit 5
members 3 identified $S 1 1 20 --burst > /dev/null
wait_for 20 eval '[ $(( $(stat verified 3) + $(stat drop-rate-limit 3) )) -ge 20 ]' ||
	fail "rate-limited frames unaccounted for"
[ "$(stat drop-rate-limit 3)" -ge 1 ] || fail "no frame dropped over the rate"
echo "# group 3: $(stat verified 3) verified, $(stat drop-rate-limit 3) over the rate"

backend_wait || fail "backend: $(cat "$K/be.out")"
cat "$K/be.out"
# The backend saw only what was verified: the 10 replayed originals, the
# 50 messages under the epoch limit and group 3's within its rate.
expect_field "$K/be.out" unique $((60 + $(stat verified 3)))
expect_field "$K/be.out" duplicates 0
expect_field "$K/be.out" bad_tag 0
expect_field "$K/be.out" replay 0

# Inner parts too large for an empty batch under the upstream's MTU: send
# errors, counted for the namespace and the group, and never forwarded.
n_gw grpsec upstream set endpoint $IP_BE:$BE_PORT gateway-id $GW_ID \
	key "$K/k_up" mtu 128
fwd=$(stat forwarded 1)
fwd_m=$(stat forwarded 1 1)
tx=$(stat tx-errors)
tx_g=$(stat tx-errors 1)
members 1 identified $S 1 $N 1 --payload-size 200 --counter-start 900 \
	> /dev/null
wait_stat tx-errors $((tx + N))
expect_stat tx-errors $((tx_g + N)) 1
expect_stat forwarded "$fwd" 1
expect_stat forwarded "$fwd_m" 1 1
exit $ksft_pass
