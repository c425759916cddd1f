#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsecd's command line: roles, options, exit status; the gateway role
# needs a [Control] section, -t checks it, and it refuses to start
# without the kernel module (none on the build host).
set -u
. "$GRPSECD_TESTS/lib.sh"

manager_conf "$PWD/m.conf"
expect 2 '^Usage: grpsecd ROLE ' "$grpsecd"
expect 2 'invalid role "boss"' "$grpsecd" boss
expect 2 'unexpected argument "extra"' "$grpsecd" manager extra
expect 2 "invalid option -- 'x'" "$grpsecd" manager -x
expect 0 '^  gateway +programs grpsec.ko' "$grpsecd" -h
expect 0 '^grpsecd [0-9]+\.[0-9]+\.[0-9]+$' "$grpsecd" -V
expect 0 'm.conf: configuration OK: 1 groups' "$grpsecd" manager -t -c m.conf
expect 1 'm.conf: no \[Control\] section: the gateway role needs one' \
	"$grpsecd" gateway -c m.conf
cat > g.conf <<CONF
[Control]
Manager = 192.0.2.10:4434
ManagerName = manager.example
Certificate = /etc/grpsec/gw.crt
PrivateKey = /etc/grpsec/gw.key
CA = /etc/grpsec/ca.crt
ControlSocket = $PWD/gw.sock
CONF
expect 0 'g.conf: configuration OK: gateway, manager 192.0.2.10:4434' "$grpsecd" gateway -t -c g.conf
expect 1 'kernel: not started' "$grpsecd" gateway -c g.conf
# -t reads a relative path; the daemon keeps the file's absolute path.
expect 0 "^$PWD/m.conf: configuration OK" "$grpsecd" manager -t -c ./m.conf
expect 1 "$PWD/none.conf: cannot open|none.conf: cannot open" "$grpsecd" manager -t -c none.conf
expect 0 '^grpsecctl [0-9.]+$' "$grpsecctl" -V
expect 0 '^Usage: grpsecctl \[-s SOCKET\] \[-j\]' "$grpsecctl" help

finish
