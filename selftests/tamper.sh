#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A compromised gateway holds K_up and every member key, but not the
# group keys nor the end-to-end keys.  Whatever it does to the inner
# layer, the backend catches it: tampered or forged inner parts, one
# member's message re-attributed to another (identified group), member
# ids leaked in an anonymous group, inner parts or whole batches replayed,
# and a batch whose tag is wrong.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec-forge grpsec-backend grpsec-keys
setup_namespaces
keys_init

S=aes-128-gcm
N=5
ID=1:identified:$S:1
AN=2:anonymous:$S:1

# attack SPEC ATTACK DATAGRAMS EXPECTED...: the gateway namespace plays the
# malicious gateway against a fresh backend; EXPECTED are key=value pairs
# of the backend's summary.
attack()
{
	local spec=$1 name=$2 datagrams=$3 g mode suite e kv

	shift 3
	IFS=: read -r g mode suite e <<< "$spec"
	backend_start "$K/$name.out" "$spec" -- --batches "$datagrams" \
		--timeout $((30 * TIMEOUT_SCALE))
	n_gw grpsec-forge --backend $IP_BE:$BE_PORT --gateway $GW_ID \
		--up-secret "$K/up" --member 3 --count $N --attack "$name" \
		--group "$spec:$(inner_key "$g" "$mode" "$suite" "$e")"
	backend_wait || true
	echo "# $name: $(cat "$K/$name.out")"
	for kv in "$@"; do
		expect_field "$K/$name.out" "${kv%%=*}" "${kv#*=}"
	done
}

attack $ID honest 1 messages=$N bad_tag=0
attack $ID tamper-inner 1 messages=0 bad_tag=$N
attack $ID reattribute 1 messages=0 bad_tag=$N misattributed=0
attack $ID forge-inner 1 messages=0 bad_tag=$N
attack $AN forge-inner 1 messages=0 bad_tag=$N
attack $AN leak-member-id 1 messages=0 anonymous_with_member_id=$N
attack $ID replay-inner 2 messages=$N replay=$N
attack $AN replay-inner 2 messages=$N replay=$N
attack $ID replay-batch 2 messages=$N batch_replay=1 duplicates=0
attack $ID bad-batch-tag 1 messages=0 batch_bad_tag=1
exit $ksft_pass
