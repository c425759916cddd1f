# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
#
# Helpers shared by the grpsec selftests.  A test is a bash script:
#
#	source "$(dirname "$0")/lib.sh"
#
#	cleanup_test() { ...undo what the test made beyond the namespaces... }
#
#	require_cmd grpsec
#	module_load
#	setup_namespaces
#	n_gw grpsec group add 1
#	n_gw grpsec group show 1
#
# An expected failure is written "! n_m grpsec-member --bad || false", so
# that set -e still stops the test when the command succeeds.
# and exits 0 to pass, 4 (ksft_skip) to skip, anything else to fail.
# lib.sh turns on "set -e" and installs an EXIT trap that calls
# diagnose_test when the test failed and defines one, then cleanup_test
# (when the test defines it), stops the processes started
# with spawn, and deletes the namespaces that setup_namespaces created.
#
# Topology made by setup_namespaces, one network namespace per role:
#
#   members              gw                           backend
#   m0 10.10.0.2/24 ---- gw-m 10.10.0.1/24
#      fd00:10::2/64        fd00:10::1/64
#                        gw-be 10.20.0.1/24 ---------- be0 10.20.0.2/24
#                              fd00:20::1/64               fd00:20::2/64
#
# members routes everything through the gateway, backend reaches the
# members' subnet through the gateway; the gateway does not forward IP:
# frames cross it only through grpsec.

set -e
set -o pipefail

readonly ksft_pass=0
readonly ksft_fail=1
readonly ksft_skip=4

NS_GW=${NS_GW:-gw}
NS_BE=${NS_BE:-backend}
NS_M=${NS_M:-members}

IP_M=10.10.0.2
IP_GW_M=10.10.0.1
IP_GW_BE=10.20.0.1
IP_BE=10.20.0.2
IP6_M=fd00:10::2
IP6_GW_M=fd00:10::1
IP6_GW_BE=fd00:20::1
IP6_BE=fd00:20::2

# Slower kernels (the debug flavour, emulation) scale every timeout.
TIMEOUT_SCALE=${GRPSEC_TIMEOUT_SCALE:-1}

_ns_created=()
_pids=()

log() { echo "# $*" >&2; }

ksft_skip()
{
	echo "SKIP: $*" >&2
	exit $ksft_skip
}

fail()
{
	echo "FAIL: $*" >&2
	exit $ksft_fail
}

# iproute2's ip, never busybox's (which has no netns and no veth peer
# names): look it up by full path.
find_ip()
{
	local p
	for p in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do
		if [ -x "$p" ] && "$p" -V 2>&1 | grep -q iproute2; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
IP=$(find_ip) || IP=

require_root()
{
	[ "$(id -u)" = 0 ] || ksft_skip "must run as root"
}

require_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" > /dev/null || ksft_skip "$c not found"
	done
}

# run_in NS CMD...: print the command, then run it in namespace NS.
run_in()
{
	local ns=$1
	shift
	echo "+ [$ns] $*" >&2
	"$IP" netns exec "$ns" "$@"
}

n_gw() { run_in "$NS_GW" "$@"; }
n_be() { run_in "$NS_BE" "$@"; }
n_m() { run_in "$NS_M" "$@"; }

# run CMD...: print and run a command in the initial namespace.
run()
{
	echo "+ $*" >&2
	"$@"
}

# spawn NS CMD...: start a command in NS in the background; cleanup
# stops it.  The pid is in $spawned.
spawn()
{
	local ns=$1
	shift
	echo "+ [$ns] $* &" >&2
	"$IP" netns exec "$ns" "$@" &
	spawned=$!
	_pids+=("$spawned")
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; fail
# after SECONDS (times the timeout scale).  Use it instead of sleeping.
wait_for()
{
	local limit=$(( $1 * TIMEOUT_SCALE * 10 )) i=0
	shift
	until "$@" > /dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge $limit ]; then
			echo "timed out after $((limit / 10)) s waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

# udp_listening NS PORT: true when a UDP socket in NS is bound to PORT.
udp_listening()
{
	local hex
	hex=$(printf ':%04X ' "$2")
	# awk reads to the end: an early exit (grep -q) would fail the
	# pipeline under pipefail with SIGPIPE, as if nothing listened.
	"$IP" netns exec "$1" cat /proc/net/udp /proc/net/udp6 2> /dev/null |
		awk -v p="$hex" 'index($2 " ", p) { found = 1 } END { exit !found }'
}

# wait_udp NS PORT [SECONDS]: wait until something listens on PORT in NS.
wait_udp()
{
	wait_for "${3:-10}" udp_listening "$1" "$2"
}

module_loaded() { [ -d /sys/module/grpsec ]; }

# genl_family_registered NAME: the generic netlink family NAME exists.
# It lists the families: asking for NAME ("genl ctrl get") would have
# the kernel load the module of that name through its alias first.
genl_family_registered()
{
	local genl
	genl=$(command -v genl) || genl=/usr/sbin/genl
	"$genl" ctrl list 2> /dev/null |
		awk -v n="Name: $1" '$0 ~ n "$" { found = 1 } END { exit !found }'
}

# module_load: load grpsec (modprobe, or insmod of $GRPSEC_KO when set).
module_load()
{
	module_loaded && return 0
	if [ -n "${GRPSEC_KO:-}" ]; then
		run insmod "$GRPSEC_KO"
	else
		run modprobe grpsec || ksft_skip "grpsec module not installed"
	fi
	module_loaded || fail "module did not load"
}

# module_unload: unload grpsec and wait until it is gone.
module_unload()
{
	module_loaded || return 0
	run modprobe -r grpsec || run rmmod grpsec
	wait_for 10 eval '! module_loaded'
}

# ns_create NAME: a fresh namespace with lo up; refuses to reuse one.
ns_create()
{
	if "$IP" netns list | grep -qw "^$1"; then
		fail "namespace $1 exists already; delete it or set NS_GW/NS_BE/NS_M"
	fi
	run "$IP" netns add "$1"
	_ns_created+=("$1")
	run_in "$1" "$IP" link set lo up
}

# veth_pair NS1 DEV1 ADDR1 ADDR6_1 NS2 DEV2 ADDR2 ADDR6_2 (/24 and /64).
veth_pair()
{
	run "$IP" link add "$2" netns "$1" type veth peer name "$6" netns "$5"
	run_in "$1" "$IP" addr add "$3/24" dev "$2"
	run_in "$1" "$IP" addr add "$4/64" dev "$2" nodad
	run_in "$1" "$IP" link set "$2" up
	run_in "$5" "$IP" addr add "$7/24" dev "$6"
	run_in "$5" "$IP" addr add "$8/64" dev "$6" nodad
	run_in "$5" "$IP" link set "$6" up
}

# setup_namespaces: the members | gw | backend topology drawn above.
setup_namespaces()
{
	[ -n "$IP" ] || ksft_skip "iproute2's ip not found"
	ns_create "$NS_M"
	ns_create "$NS_GW"
	ns_create "$NS_BE"
	veth_pair "$NS_M" m0 $IP_M $IP6_M "$NS_GW" gw-m $IP_GW_M $IP6_GW_M
	veth_pair "$NS_GW" gw-be $IP_GW_BE $IP6_GW_BE "$NS_BE" be0 $IP_BE $IP6_BE
	n_m "$IP" route add default via $IP_GW_M
	n_m "$IP" -6 route add default via $IP6_GW_M
	n_be "$IP" route add 10.10.0.0/24 via $IP_GW_BE
	n_be "$IP" -6 route add fd00:10::/64 via $IP6_GW_BE
	wait_for 10 n_m ping -c 1 -W 1 $IP_GW_M
	wait_for 10 n_be ping -c 1 -W 1 $IP_GW_BE
}

cleanup()
{
	local rc=$? ns pid
	set +e
	if [ "$rc" != 0 ] && [ "$rc" != "$ksft_skip" ] &&
	   declare -F diagnose_test > /dev/null; then
		diagnose_test
	fi
	if declare -F cleanup_test > /dev/null; then
		cleanup_test
	fi
	for pid in "${_pids[@]}"; do
		kill "$pid" 2> /dev/null
	done
	for pid in "${_pids[@]}"; do
		wait "$pid" 2> /dev/null
	done
	for ns in "${_ns_created[@]}"; do
		"$IP" netns del "$ns" 2> /dev/null
	done
	exit $rc
}
trap cleanup EXIT
