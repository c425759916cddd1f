#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reload, by grpsecctl and by SIGHUP: a good file is taken whole; a bad
# one, or one that changes what cannot change while running, is refused
# with its problems and the previous configuration stays in force.
set -u
. "$GRPSECD_TESTS/lib.sh"

groups() { ctl -j groups | /usr/bin/python3 -c 'import json, sys; print(" ".join(str(g["id"]) for g in json.load(sys.stdin)))'; }

manager_conf "$PWD/m.conf"
cp m.conf base.conf
start_manager m.conf || exit 1
[ "$(groups)" = 10 ] && pass || fail "groups at start: $(groups)"

# A good file, by grpsecctl.
{ cat base.conf; printf '[Group]\nId = 11\n'; } > m.conf
expect 0 '^groups +2$' ctl reload
[ "$(groups)" = "10 11" ] && pass || fail "groups after reload: $(groups)"
expect 0 '^reloads +1$' ctl show

# A bad file: the problems come back, nothing changes.
{ cat base.conf; printf '[Group]\nId = 12\nSuite = rot13\n'; } > m.conf
n=$(wc -l < m.conf)
expect 2 "m.conf:$n: Suite: invalid suite \"rot13\"" ctl reload
expect 2 'not reloaded, the previous configuration stays in force' ctl reload
[ "$(groups)" = "10 11" ] && pass || fail "groups after a bad reload: $(groups)"
expect 0 '^reloads +1$' ctl show

# What cannot change while running is refused as a whole.
{ sed "s|^ControlSocket = .*|ControlSocket = $PWD/other.sock|" base.conf
  printf '[Group]\nId = 13\n'; } > m.conf
expect 2 'ControlSocket cannot change on reload' ctl reload
{ sed "s|^Database = .*|Database = sqlite:$PWD/other.db|" base.conf; } > m.conf
expect 2 'Database and MasterKey cannot change on reload: restart grpsecd' ctl reload
{ sed "s|^MetricsListen = .*|MetricsListen = 127.0.0.1:$(random_port)|" base.conf; } > m.conf
expect 2 'MetricsListen cannot change on reload' ctl reload
[ "$(groups)" = "10 11" ] && pass || fail "groups after refused reloads: $(groups)"

# SIGHUP: a bad file is logged and kept out, a good one taken.
{ cat base.conf; printf 'Nonsense\n'; } > m.conf
kill -HUP "$manager_pid"
wait_for grep -q 'reload failed, the previous configuration stays in force' m.conf.log &&
	pass || fail "SIGHUP with a bad file: no failure in the log"
grep -q "m.conf:$(wc -l < m.conf): expected \"Key = Value\", got \"Nonsense\"" m.conf.log &&
	pass || fail "SIGHUP: the problem is not in the log"
kill -0 "$manager_pid" && pass || fail "the daemon died on a bad reload"
[ "$(groups)" = "10 11" ] && pass || fail "groups after a bad SIGHUP: $(groups)"
{ cat base.conf; printf '[Group]\nId = 14\n'; } > m.conf
kill -HUP "$manager_pid"
wait_for test "$(groups)" = "10 14" && pass || fail "SIGHUP with a good file: groups $(groups)"

# The outcomes are counted.
metrics=$(curl -s "http://127.0.0.1:$metrics_port/metrics")
grep -q '^grpsecd_reloads_total{outcome="ok"} 2$' <<< "$metrics" &&
	pass || fail "reloads ok: $(grep reloads_total <<< "$metrics")"
grep -q '^grpsecd_reloads_total{outcome="failed"} 6$' <<< "$metrics" &&
	pass || fail "reloads failed: $(grep reloads_total <<< "$metrics")"

finish
