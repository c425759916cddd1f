#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grpsecd manager as the backend's end of the uplink: a gateway's K_up
# from its UpstreamKey file, batches on BatchListen, every message once
# on ApplicationSocket as a JSON line, a replayed batch and replayed
# entries refused and counted in /metrics, also after kill -9 and a
# restart; a K_up file others can read refused on reload, one removed on
# reload: that gateway's batches refused.
set -u
. "$GRPSECD_TESTS/lib.sh"

uplink=$GRPSECD_TESTS/helper-uplink
port=$(random_port)
manager_conf "$PWD/m.conf" '[Group]' 'Id = 20' 'Mode = anonymous' \
	'[Gateway]' 'Id = 7' 'Identity = CN=gw-7' 'Address = 127.0.0.1:7000' \
	"UpstreamKey = $PWD/gw7.key" 'UpstreamSuite = aes-256-gcm'
sed -i "/^\[Manager\]/a BatchListen = 127.0.0.1:$port\nApplicationSocket = $PWD/app.sock" m.conf
head -c 32 /dev/urandom > gw7.key
chmod 600 gw7.key
start_manager m.conf || exit 1

# batch NAME SEQ MSG...: build batch NAME.bin of gateway 7 and send it.
batch()
{
	local name=$1
	shift
	"$uplink" build "$db" "$masterkey" gw7.key aes-256-gcm 7 "$@" > "$name.bin" ||
		{ fail "building $name"; return; }
	resend "$name"
}
resend() { "$uplink" send 127.0.0.1 "$port" "$1.bin"; }

lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
# has_lines FILE N, counts METRIC REASON N: conditions for wait_for.
has_lines() { [ "$(lines "$1")" = "$2" ]; }
counts() { [ "$(metric "$1" "$2")" = "$3" ]; }

# metric NAME REASON: a counter's value in /metrics (0 when absent).
metric()
{
	curl -sf "http://127.0.0.1:$metrics_port/metrics" |
		awk -v s="$1{reason=\"$2\"}" '$1 == s { v = $2 } END { print v + 0 }'
}

# Two applications, each gets every message: grpsec-app reading
# records, and a JSON lines reader.
"$GRPSECD_TESTS/../../sim/grpsec-app" --manager "$PWD/app.sock" --count 3 --timeout 20 \
	--ready-file app.ready > one.records 2>&1 &
records_pid=$!
wait_for test -f app.ready || fail "grpsec-app did not connect"
app one.jsonl
batch b1 100 10:5:1:hello 10:5:2:world 20:0:1:anonymous
wait_for has_lines one.jsonl 3 && pass || fail "$(lines one.jsonl) lines, want 3"
wait "$records_pid" && grep -q '^message gateway 7 group 10 member 5 epoch 1 seq 1 payload hello$' one.records &&
	grep -q '^message gateway 7 group 20 member 0 epoch 1 seq 0 payload anonymous$' one.records &&
	grep -q 'messages=3 malformed=0 duplicates=0 .*result=ok' one.records &&
	pass || { fail "grpsec-app --manager:"; cat one.records; }
grep -q '"group":10,"epoch":1,"mode":"identified","member":5,"seq":1,"payload":"aGVsbG8="' one.jsonl &&
	grep -q '"group":20,"epoch":1,"mode":"anonymous","member":null,"seq":null,"payload":"YW5vbnltb3Vz"' one.jsonl &&
	pass || { fail "records:"; cat one.jsonl; }

resend b1
wait_for counts grpsecd_batches_refused_total replay 1 && pass ||
	fail "replays counted: $(metric grpsecd_batches_refused_total replay)"
[ "$(lines one.jsonl)" = 3 ] && pass || fail "a replayed batch was delivered"

# kill -9, restart: the replay state was saved before the messages went out.
kill -9 "$manager_pid"
wait "$manager_pid" 2> /dev/null
kill "$app_pid" 2> /dev/null
start_manager m.conf || exit 1
app two.jsonl
resend b1
wait_for counts grpsecd_batches_refused_total replay 1 && pass || fail "old batch not refused"
batch b2 101 10:5:2:world 10:5:3:again
wait_for has_lines two.jsonl 1 && grep -q '"seq":3,"payload":"YWdhaW4="' two.jsonl &&
	[ "$(lines two.jsonl)" = 1 ] && pass || { fail "after kill -9: want only seq 3:"; cat two.jsonl; }
[ "$(metric grpsecd_entries_refused_total replay)" = 1 ] && pass || fail "old entry not refused"

# A K_up file that others can read: the reload is refused, the key stays.
chmod 644 gw7.key
expect 2 "gw7.key: readable or writable by group or others" ctl reload
chmod 600 gw7.key
# UpstreamKey removed: gateway 7's batches are refused from then on.
sed -i '/^UpstreamKey/d' m.conf
expect 0 'groups' ctl reload
batch b3 102 10:5:4:late
wait_for counts grpsecd_batches_refused_total unknown_gateway 1 && pass ||
	fail "unknown gateway not counted"
[ "$(lines two.jsonl)" = 1 ] && pass || fail "a batch without K_up was delivered"
finish
