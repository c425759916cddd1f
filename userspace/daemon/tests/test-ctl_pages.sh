#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Listings longer than a page (256 records) come in pages as the client
# reads them: every row once, in order, one status line at the end; the
# (member id, group) cursor across a page boundary that falls between
# two rows of one member; the daemon answers others meanwhile.
set -u
. "$GRPSECD_TESTS/lib.sh"
json() { /usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); $1"; }

manager_conf "$PWD/m.conf" '[Group]' 'Id = 11'
start_manager m.conf || exit 1
# 300 devices, each a member of both groups: 600 member rows.
store_helper enroll-many CN=meter- 300 cert 10 11 > /dev/null || fail "helper: enroll-many"

ctl -j devices | json '
ids = [x["id"] for x in d]
assert ids == list(range(1, 301)), ids[:5]' && pass || fail "devices: 1..300 once each"
ctl -j members | json '
rows = [(m["id"], m["group"]) for m in d]
assert len(rows) == 600 and rows == sorted(set(rows)), len(rows)
assert rows[255] == (128, 11) and rows[256] == (129, 10)' &&
	pass || fail "members: 600 rows once each, in order"
ctl -j members 11 | json 'assert [m["group"] for m in d] == [11] * 300, len(d)' &&
	pass || fail "members 11: 300 rows"
expect 0 '^id +identity +kind' ctl devices
[ "$(ctl devices | wc -l)" = 301 ] && pass || fail "devices for people: $(ctl devices | wc -l) lines"

# The wire: 600 records, then one OK, after a client that went away
# in the middle of a listing.
/usr/bin/python3 - "$sock" > raw.out <<'PY'
import socket, sys
def ask(line, read_all=True):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(line)
    out = b""
    while True:
        b = s.recv(4096)
        if not b or not read_all:
            break
        out += b
    s.close()
    return out.decode()
ask(b"members\n", read_all=False)
lines = ask(b"members\n").split("\n")
print(len(lines), lines[-2], sum(1 for l in lines if l in ("OK", "") or l.startswith("ERROR")))
PY
[ "$(cat raw.out)" = "602 OK 2" ] && pass || fail "raw members: $(cat raw.out), want 602 lines, OK last"
expect 0 '^members +300$' ctl show

finish
