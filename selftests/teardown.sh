#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tearing down under traffic is clean: the gateway's namespace is deleted
# while members stream frames at it, then a new gateway is set up and the
# module is unloaded while frames are in flight.  Any leak, use after free
# or lockdep report fails the run through the kernel log check (debug
# kernel), and the module must really go away.

source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/gateway_lib.sh"

cleanup_test() { gw_cleanup; }

require_root
require_cmd grpsec grpsec-member grpsec-backend grpsec-keys
module_load
setup_namespaces
keys_init

S=chacha20-poly1305
N=200

# stream: members flooding the gateway in the background until killed.
stream()
{
	spawn "$NS_M" grpsec-member --gateway $IP_GW_M:$GW_PORT --group 1 \
		--mode identified --suite $S --epoch 1 --first 1 --count $N \
		--messages 100000 --rate 2000 --timeout 600 \
		--s-auth "$K/s_auth" --s-e2e "$K/s_e2e"
	stream_pid=$spawned
}

# gateway: the gw namespace with its veths, the gateway configured.
gateway()
{
	gw_start
	gw_group 1 identified $S 1 $N
}

gateway
spawn "$NS_BE" grpsec-backend --listen $BE_PORT --gateway $GW_ID \
	--up-secret "$K/up" --group "1:identified:$S:1:$K/s_e2e" \
	--timeout 600
stream
wait_stat forwarded 200

# 1. Delete the gateway's namespace under traffic.  The members' link
# goes with it, so they stop when they notice.
run "$IP" netns del "$NS_GW"
_ns_created=("$NS_M" "$NS_BE")
wait "$stream_pid" 2> /dev/null || true

# 2. A new gateway namespace, traffic again, then unload under traffic.
ns_create "$NS_GW"
veth_pair "$NS_M" m0 $IP_M $IP6_M "$NS_GW" gw-m $IP_GW_M $IP6_GW_M
veth_pair "$NS_GW" gw-be $IP_GW_BE $IP6_GW_BE "$NS_BE" be0 $IP_BE $IP6_BE
n_m "$IP" route add default via $IP_GW_M
gateway
stream
wait_stat forwarded 200
module_unload
! module_loaded || fail "module still loaded"

kill "$stream_pid" 2> /dev/null || true
exit $ksft_pass
