#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The happy path: 1,000 meters of an anonymous group and 1,000 of an
# identified group report at once through the gateway module.  The backend
# receives every message exactly once, checks one tag per batch instead of
# one per message, and anonymous entries carry no member id on the wire.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init

N=1000
MSGS=2
gw_start batch-max 64 flush-usec 2000
gw_group 1 anonymous aes-128-gcm 1 $N
gw_group 2 identified chacha20-poly1305 1 $N

backend_start "$K/be.out" 1:anonymous:aes-128-gcm:1 \
	2:identified:chacha20-poly1305:1 -- \
	--expect $((2 * N * MSGS)) --timeout $((120 * TIMEOUT_SCALE)) \
	--dump "$K/wire"

members 1 anonymous aes-128-gcm 1 $N $MSGS --burst > "$K/m1.out"
members 2 identified chacha20-poly1305 1 $N $MSGS --burst > "$K/m2.out"
backend_wait || fail "backend: $(cat "$K/be.out")"
cat "$K/be.out"

expect_field "$K/be.out" unique $((2 * N * MSGS))
expect_field "$K/be.out" duplicates 0
expect_field "$K/be.out" misattributed 0
expect_stat verified $((2 * N * MSGS))
expect_stat verified $((N * MSGS)) 1
expect_stat forwarded $((N * MSGS)) 2
expect_stat drop-bad-tag 0
expect_stat drop-replay 0

# One tag check per batch: far fewer than one per message.
batches=$(stat batches)
checks=$(field tag_checks "$(cat "$K/be.out")")
[ "$checks" = "$batches" ] ||
	fail "backend checked $checks tags for $batches batches"
[ $((checks * 2)) -le $((2 * N * MSGS)) ] ||
	fail "$checks tag checks for $((2 * N * MSGS)) messages: no batching"
echo "# $((2 * N * MSGS)) messages in $batches batches"

# On the wire: group 1 (anonymous, mode 00) entries have member id 0,
# group 2 (identified, mode 01) entries have the real id.
dump_member_ids "$K/wire" > "$K/ids"
[ "$(wc -l < "$K/ids")" = $((2 * N * MSGS)) ] ||
	fail "the dump holds $(wc -l < "$K/ids") entries"
! grep -q '^00 [0-9a-f]*[1-9a-f]' "$K/ids" ||
	fail "an anonymous entry carries a member id upstream"
[ "$(grep -c '^01 ' "$K/ids")" = $((N * MSGS)) ] ||
	fail "identified entries missing"
! grep -q '^01 00000000$' "$K/ids" ||
	fail "an identified entry lost its member id"

# Every member's last authenticated address and sequence are shown.
[ "$(n_gw grpsec member show 2 last-seq | awk '$2 == '$MSGS | wc -l)" = $N ] ||
	fail "not every member of group 2 shows last-seq $MSGS"
exit $ksft_pass
