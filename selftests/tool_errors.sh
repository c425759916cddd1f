#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The grpsec tool's errors against the real module: every refusal names
# what was wrong in the kernel's words and exits 2, bad input exits 1
# before the kernel sees it, a user without CAP_NET_ADMIN is turned away,
# and a missing module is either loaded on demand or reported clearly.

source "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
modprobe_path=$(cat /proc/sys/kernel/modprobe 2> /dev/null || true)
cleanup_test()
{
	rm -rf "$tmp"
	[ -z "$modprobe_path" ] || echo "$modprobe_path" > /proc/sys/kernel/modprobe
}

# refused RC REGEX CMD...: CMD exits RC and its stderr matches REGEX.
refused()
{
	local want=$1 re=$2 rc=0
	shift 2
	"$@" 2> "$tmp/err" || rc=$?
	cat "$tmp/err" >&2
	[ "$rc" = "$want" ] || fail "$*: exit $rc, wanted $want"
	grep -qE -- "$re" "$tmp/err" || fail "$*: no /$re/ in its message"
}

require_root
require_cmd grpsec grpsec-app
[ -n "$IP" ] || ksft_skip "iproute2's ip not found"
module_load
ns_create "$NS_GW"

head -c 16 /dev/urandom > "$tmp/k16"
head -c 32 /dev/urandom > "$tmp/k32"
head -c 20 /dev/urandom > "$tmp/k20"

# Bad input: exit 1, the value quoted, the usage shown.
refused 1 'invalid suite "foo"' n_gw grpsec group add 7 suite foo
refused 1 'Usage: grpsec group add ID' n_gw grpsec group add 7 suite foo
refused 1 'invalid endpoint "1.2.3.4"' \
	n_gw grpsec member add 7 1 key "$tmp/k16" endpoint 1.2.3.4
refused 1 'invalid port "x"' n_gw grpsec listen x
refused 1 'invalid downlink sequence "-1"' \
	n_gw grpsec upstream set endpoint 192.0.2.1:7 gateway-id 1 \
	key "$tmp/k16" dl-seq -1

# Refusals by the kernel: exit 2 and its extack text.
n_gw grpsec group add 7
refused 2 '^grpsec: kernel reports: group already exists \(GRPSEC_A_GROUP_ID\)$' \
	n_gw grpsec group add 7
refused 2 'kernel reports: no such group' n_gw grpsec group set 99 msg-limit 5
refused 2 'kernel reports: no such group' n_gw grpsec group del 99
refused 2 'kernel reports: no such group' n_gw grpsec group show 99
refused 2 'kernel reports: no such group' n_gw grpsec member add 99 1 key "$tmp/k16"
n_gw grpsec member add 7 1 key "$tmp/k16"
refused 2 'kernel reports: member already exists \(GRPSEC_A_MEMBER_ID\)' \
	n_gw grpsec member add 7 1 key "$tmp/k16"
refused 2 'kernel reports: no such member' n_gw grpsec member del 7 2
refused 2 'kernel reports: no such member' \
	n_gw grpsec member set 7 2 endpoint 192.0.2.1:1
# A port that is taken is refused, and the gateway keeps listening where
# it was.
n_gw grpsec listen 7000
spawn "$NS_GW" grpsec-app --listen 0.0.0.0:7001 --timeout 60 --quiet \
	--ready-file "$tmp/app.ready"
wait_for 10 test -s "$tmp/app.ready"
refused 2 'kernel reports: UDP port already in use' n_gw grpsec listen 7001
[ "$(n_gw grpsec show listen-port)" = 7000 ] ||
	fail "a refused port changed the listen port"
udp_listening "$NS_GW" 7000 || fail "a refused port closed the listen socket"
n_gw grpsec listen 7000
kill "$spawned"

# Keys of the wrong length are caught before the kernel sees them.
refused 1 'key file ".*/k32" does not hold a 16-byte key' \
	n_gw grpsec member add 7 2 key "$tmp/k32"
refused 1 'key file ".*/k20" does not hold a 32-byte key' \
	n_gw grpsec upstream set endpoint 192.0.2.1:7 gateway-id 1 \
	suite aes-256-gcm key "$tmp/k20"
refused 1 'cannot open key file "/nonexistent"' \
	n_gw grpsec member add 7 2 key /nonexistent

# Bulk import: the kernel's refusals come back by line; the rest is added.
{
	echo "# members of group 7"
	echo "2 $(od -An -tx1 -v -N16 /dev/urandom | tr -d ' \n')"
	echo "1 $(od -An -tx1 -v -N16 /dev/urandom | tr -d ' \n')"
	echo "3 $tmp/k16 epoch 1"
	echo "3 $tmp/k16 epoch 2"
	echo "4 $tmp/k16"
} > "$tmp/members"
refused 2 'members:3: kernel reports: member already exists' \
	n_gw grpsec member import 7 "$tmp/members"
grep -q 'members:5: kernel reports: member already exists' "$tmp/err" ||
	fail "import: line 5 not reported"
grep -q '2 of 5 members refused, the others added' "$tmp/err" ||
	fail "import: no summary"
[ "$(n_gw grpsec member show 7 epoch)" = "1	0
2	0
3	1
4	0" ] || fail "import: the wrong members were added"

# No upstream is not an error.
[ "$(n_gw grpsec upstream show gateway-id)" = "(none)" ] ||
	fail "upstream show gateway-id without an upstream"
n_gw grpsec upstream show | grep -q '^upstream: (none)$' ||
	fail "upstream show without an upstream"

# Without CAP_NET_ADMIN: every command is refused, reading included.
# util-linux setpriv where the VM has it, else busybox start-stop-daemon.
drop=
grpsec_bin=$(command -v grpsec)
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2> /dev/null; then
	drop="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all $grpsec_bin"
elif busybox start-stop-daemon -S -c 65534:65534 -x "$grpsec_bin" -- version \
	> /dev/null 2>&1; then
	drop="busybox start-stop-daemon -S -c 65534:65534 -x $grpsec_bin --"
fi
if [ -n "$drop" ]; then
	# shellcheck disable=SC2086
	refused 2 '^grpsec: operation not permitted \(needs CAP_NET_ADMIN\)$' \
		n_gw $drop show
	# shellcheck disable=SC2086
	refused 2 'operation not permitted \(needs CAP_NET_ADMIN\)' \
		n_gw $drop group add 8
	# shellcheck disable=SC2086
	refused 2 'operation not permitted \(needs CAP_NET_ADMIN\)' \
		n_gw $drop member del 7 1
	# shellcheck disable=SC2086
	refused 2 'operation not permitted \(needs CAP_NET_ADMIN\)' \
		n_gw $drop stats
else
	log "no way to drop privileges here: not checking unprivileged use"
fi

# The highest group id: dumps of it end (its next id would wrap to 0).
groups=$(n_gw grpsec group show dump | wc -l)
members=$(n_gw grpsec member show dump | wc -l)
n_gw grpsec group add 4294967295
n_gw grpsec member add 4294967295 1 key "$tmp/k16"
dump() { timeout 10 "$IP" netns exec "$NS_GW" grpsec "$@" | wc -l; }
[ "$(dump member show 4294967295 last-seq)" = 1 ] ||
	fail "the member dump of group 4294967295 does not end"
[ "$(dump member show dump)" = $((members + 1)) ] ||
	fail "the member dump does not end after group 4294967295"
[ "$(dump group show dump)" = $((groups + 1)) ] ||
	fail "the group dump does not end after group 4294967295"
n_gw grpsec group del 4294967295

# No module: the tool asks the kernel to load it once, and says clearly
# when that does not work.
n_gw grpsec group del 7
module_unload
if [ -n "$modprobe_path" ]; then
	echo /bin/false > /proc/sys/kernel/modprobe
	refused 2 '^grpsec: the grpsec kernel module is not loaded \(modprobe grpsec\)$' \
		grpsec show
	! module_loaded || fail "the module came back with a failing modprobe"
	modprobe=$(command -v modprobe)
	echo "$modprobe" > /proc/sys/kernel/modprobe
	run grpsec show listen-port
	module_loaded || fail "the tool did not autoload the module"
else
	refused 2 'the grpsec kernel module is not loaded' grpsec show
	module_load
fi
exit $ksft_pass
