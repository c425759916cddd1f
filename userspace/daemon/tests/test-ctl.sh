#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The control socket and grpsecctl: every command, its JSON, its errors;
# the socket's mode; a second daemon on the same socket; a stale socket
# left by a killed daemon.
set -u
. "$GRPSECD_TESTS/lib.sh"
json() { /usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); $1"; }

manager_conf "$PWD/m.conf"
start_manager m.conf || exit 1

expect 0 '^role +manager$' ctl
expect 0 '^database +sqlite$' ctl show
expect 0 '^devices +0$' ctl show
[ "$(stat -c %a "$sock")" = 600 ] && pass || fail "socket mode $(stat -c %a "$sock")"
ctl -j | json 'assert d["role"] == "manager" and isinstance(d["pid"], int), d' &&
	pass || fail "show -j"

# groups: the configuration's, with the database's epochs.
expect 0 '^10 +aes-128-gcm +identified' ctl groups
ctl -j groups | json 'g = d[0]; assert g["id"] == 10 and g["epoch"] == 1 and g["members"] == 0, d' &&
	pass || fail "groups -j"

# devices, members: empty, then two devices.
expect 0 '^$' ctl devices
ctl -j devices | json 'assert d == [], d' && pass || fail "devices -j empty"
store_helper enroll 'CN=meter 1,O=Utility' cert 10 > /dev/null || fail "helper: enroll"
store_helper enroll meter-psk-2 psk 10 > /dev/null || fail "helper: enroll psk"
expect 0 '^id +identity +kind +first_enrolled' ctl devices
expect 0 'CN=meter 1,O=Utility +cert +[0-9]{4}-[0-9]{2}-[0-9]{2} ' ctl devices
ctl -j devices | json 'assert [x["kind"] for x in d] == ["cert", "psk"] and d[1]["identity"] == "meter-psk-2", d' &&
	pass || fail "devices -j"
ctl -j members 10 | json 'assert len(d) == 2 and all(m["group"] == 10 and m["state"] == "active" for m in d), d' &&
	pass || fail "members -j"
expect 0 '^members +2$' ctl show

# revoke: by identity (with a blank in it) and by id.
expect 0 '^identity +CN=meter 1,O=Utility$' ctl revoke 'CN=meter 1,O=Utility'
ctl -j revoke 2 | json 'assert d["device"] == 2 and d["members"] == 1 and d["already"] == "no", d' &&
	pass || fail "revoke -j by id"
expect 0 '^already +yes$' ctl revoke 2
ctl -j members | json 'assert all(m["state"] == "revoked" for m in d), d' &&
	pass || fail "members revoked"
expect 2 'no device "CN=nobody"; "devices" lists them' ctl revoke CN=nobody

# Errors say what to do.
expect 2 'no path to the gateways \(no BatchListen\): rekeys could not reach the members; group 10 is unchanged' ctl rekey 10
expect 2 'no group 99 in .*m.conf; "groups" lists them' ctl rekey 99
expect 2 'invalid group "x": a group id is a number' ctl members x
expect 1 'members takes other arguments' ctl members 1 2
expect 1 'show takes no arguments' ctl show extra
expect 1 'invalid command "frob"' ctl frob
expect 1 'unknown option "-x"' ctl -x
expect 0 '^  revoke +Revoke a device' ctl help
expect 3 "cannot reach grpsecd at $PWD/none.sock: No such file" \
	"$grpsecctl" -s "$PWD/none.sock" show
expect 3 "is grpsecd running\? \(systemctl status grpsecd\); -s names another socket" \
	"$grpsecctl" -s "$PWD/none.sock" show

# The protocol itself, as another client sees it.
raw() { /usr/bin/python3 - "$sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
PY
}
expect 0 '^ERROR unknown command "frob"; "help" lists them$' raw $'frob\n'
expect 0 '^ERROR empty request' raw $'\n'
expect 0 '^ERROR request longer than 1024 bytes$' raw "$(printf 'x%.0s' $(seq 1100))"
expect 0 '^OK$' raw $'show\r\n'
expect 0 $'^daemon\trole=manager\t' raw $'show\n'

# A second daemon does not take the socket; a dead one's socket is reused.
expect 1 'another process is listening there' "$grpsecd" manager -c m.conf
kill -9 "$manager_pid"
wait "$manager_pid" 2> /dev/null
[ -S "$sock" ] && pass || fail "the killed daemon's socket should still be there"
start_manager m.conf && pass || fail "restart over a stale socket"
expect 0 '^devices +2$' ctl show
kill "$manager_pid"
wait "$manager_pid"
[ ! -e "$sock" ] && pass || fail "socket left after a clean stop"

finish
