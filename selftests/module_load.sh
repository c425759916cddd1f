#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload grpsec: the generic netlink family comes and goes with
# the module, and a network namespace can be created and destroyed while
# it is loaded (the per-namespace setup and teardown run).

source "$(dirname "$0")/lib.sh"

NS_TMP=grpsec-load-$$

cleanup_test()
{
	"$IP" netns del "$NS_TMP" 2> /dev/null
}

require_root
require_cmd modprobe genl
[ -n "$IP" ] || ksft_skip "iproute2's ip not found"

module_unload
! genl_family_registered grpsec || fail "family grpsec exists before load"

module_load
wait_for 5 genl_family_registered grpsec ||
	fail "generic netlink family grpsec not registered"
run genl ctrl get name grpsec

run "$IP" netns add "$NS_TMP"
run_in "$NS_TMP" "$IP" link set lo up
run_in "$NS_TMP" "$IP" link add dummy-a type veth peer name dummy-b
run "$IP" netns del "$NS_TMP"

refcnt=$(cat /sys/module/grpsec/refcnt)
[ "$refcnt" = 0 ] || fail "module refcount is $refcnt with nothing open"

module_unload
! module_loaded || fail "module still loaded"
! genl_family_registered grpsec || fail "family grpsec left after unload"
! grep -q '^grpsec ' /proc/modules || fail "grpsec still in /proc/modules"
exit $ksft_pass
